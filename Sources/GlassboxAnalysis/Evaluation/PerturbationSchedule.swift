import GlassboxTensor

/// Which units are removed at each step of a perturbation curve (docs/methods.md §9.1).
public enum PerturbationSchedule {
    /// How many of `units` units are removed at steps `j = 0…steps`: `round(j · units / steps)`
    /// (halves rounded up). With fewer units than steps this removes at most one unit per step
    /// (some steps repeat a count), so every input has `steps + 1` points at fractions `j / steps`.
    public static func counts(units: Int, steps: Int) -> [Int] {
        precondition(steps >= 1, "a curve needs at least one step")
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
