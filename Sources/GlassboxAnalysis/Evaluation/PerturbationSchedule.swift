import GlassboxTensor

/// Which units are removed at each step of a perturbation curve (docs/methods.md §9.1).
public enum PerturbationSchedule {
    /// The most steps a curve may have: far above any useful value (each step is a point of every
    /// curve, and steps beyond an input's removable units repeat a point), low enough that a typo
    /// cannot ask for gigabytes of curve points.
    public static let maximumSteps = 1_000

    /// How many of `units` units are removed at steps `j = 0…steps`: `round(j · units / steps)`
    /// (halves rounded up). With fewer units than steps this removes at most one unit per step
    /// (some steps repeat a count), so every input has `steps + 1` points at fractions `j / steps`.
    ///
    /// - Throws: `AnalysisError.invalidOption` for `steps` outside `1…maximumSteps` or a negative
    ///   `units`.
    public static func counts(units: Int, steps: Int) throws -> [Int] {
        guard steps >= 1 else { throw AnalysisError.invalidOption("--steps must be at least 1, got \(steps)") }
        guard steps <= maximumSteps else {
            throw AnalysisError.invalidOption("--steps must be at most \(maximumSteps) (each step is a point of every curve; "
                                              + "steps beyond an input's removable tokens repeat a point), got \(steps)")
        }
        guard units >= 0 else { throw AnalysisError.invalidOption("a curve removes 0 or more units, got \(units)") }
        return (0...steps).map { j in (j * units * 2 + steps) / (2 * steps) }
    }

    /// The fractions `j / steps`, `j = 0…steps`: the x-axis every curve shares.
    public static func fractions(steps: Int) -> [Double] {
        (0...steps).map { Double($0) / Double(steps) }
    }

    /// `units` in removal order: by score, highest first (`mostRelevantFirst`, MoRF) or lowest first
    /// (LeRF); ties keep ascending position order in both.
    ///
    /// - Parameters:
    ///   - scores: `[n]`, one per input position.
    ///   - units: the removable positions (each `< n`).
    public static func order(_ scores: [Float], units: [Int], mostRelevantFirst: Bool) -> [Int] {
        units.sorted { a, b in
            let (sa, sb) = (scores[a], scores[b])
            if sa != sb { return mostRelevantFirst ? sa > sb : sa < sb }
            return a < b
        }
    }

    /// Seeded random scores `[n]` (uniform in [0, 1)): the random ranking's "method".
    public static func randomScores(length n: Int, seed: UInt64) -> [Float] {
        var rng = SplitMix64(seed: seed)
        return (0..<n).map { _ in Float.random(in: 0..<1, using: &rng) }
    }
}
