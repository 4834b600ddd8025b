import Foundation
import GlassboxRuntime

/// One curve: the target's reading after each step (docs/methods.md §9.1).
public struct PerturbationCurve: Sendable, Equatable {
    /// `[steps + 1]`: the target's logit (or similarity) at fractions `0, 1/K, …, 1`.
    public let values: [Float]
    /// `[steps + 1]`: the target's probability (or similarity) at the same fractions.
    public let probabilities: [Float]

    /// A curve from its two series (equal lengths; a precondition checks them).
    public init(values: [Float], probabilities: [Float]) {
        precondition(values.count == probabilities.count, "a curve's series differ in length")
        (self.values, self.probabilities) = (values, probabilities)
    }

    /// The point-wise mean of `curves` (all of one length, at least one).
    public static func mean(_ curves: [PerturbationCurve]) -> PerturbationCurve {
        precondition(!curves.isEmpty, "the mean of no curves")
        let k = curves[0].values.count
        func average(_ series: (PerturbationCurve) -> [Float]) -> [Float] {
            (0..<k).map { j in Float(curves.reduce(0.0) { $0 + Double(series($1)[j]) } / Double(curves.count)) }
        }
        return PerturbationCurve(values: average(\.values), probabilities: average(\.probabilities))
    }
}

/// The MoRF and LeRF curves of one ranking of one input.
public struct PerturbationCurves: Sendable, Equatable {
    /// `[steps + 1]`: units removed at each step (`PerturbationSchedule.counts`); the last is the
    /// number of removable units.
    public let counts: [Int]
    /// Most relevant first.
    public let morf: PerturbationCurve
    /// Least relevant first.
    public let lerf: PerturbationCurve

    /// Curves from their parts (all `counts.count` long; a precondition checks them).
    public init(counts: [Int], morf: PerturbationCurve, lerf: PerturbationCurve) {
        precondition(morf.values.count == counts.count && lerf.values.count == counts.count, "curve lengths differ from the steps")
        (self.counts, self.morf, self.lerf) = (counts, morf, lerf)
    }

    /// The point-wise mean of the curves of several rankings of the same input (the random ranking
    /// over seeds).
    public static func mean(_ curves: [PerturbationCurves]) -> PerturbationCurves {
        PerturbationCurves(counts: curves[0].counts, morf: .mean(curves.map(\.morf)), lerf: .mean(curves.map(\.lerf)))
    }
}

extension PerturbationRunner {
    /// The MoRF and LeRF curves of each ranking in `scorings`, all run in one batch.
    ///
    /// Step `j` of MoRF removes the `counts[j]` highest-scored `units`, step `j` of LeRF the
    /// `counts[j]` lowest-scored (`PerturbationSchedule`). Step 0 is the unperturbed input and step
    /// `steps` has every unit removed, in both curves.
    ///
    /// - Parameters:
    ///   - scorings: each `[n]`, one score per input position (only `units` are read).
    ///   - units: the removable positions (special tokens and the explained position are usually left out).
    ///   - steps: `K` in `1…PerturbationSchedule.maximumSteps`.
    public func curves(_ scorings: [[Float]], units: [Int], steps: Int) throws -> [PerturbationCurves] {
        let counts = try PerturbationSchedule.counts(units: units.count, steps: steps)
        for scores in scorings where scores.count != length {
            throw AnalysisError.invalidOption("\(scores.count) scores for an input of \(length) positions")
        }
        var removals: [[Int]] = []
        for scores in scorings {
            for mostRelevantFirst in [true, false] {
                let order = PerturbationSchedule.order(scores, units: units, mostRelevantFirst: mostRelevantFirst)
                removals += counts.map { Array(order.prefix($0)) }
            }
        }
        let readings = try read(removals)
        let width = counts.count
        return scorings.indices.map { s in
            func curve(_ offset: Int) -> PerturbationCurve {
                let slice = readings[(offset * width)..<((offset + 1) * width)]
                return PerturbationCurve(values: slice.map(\.value), probabilities: slice.map(\.probability))
            }
            return PerturbationCurves(counts: counts, morf: curve(2 * s), lerf: curve(2 * s + 1))
        }
    }

    /// The random ranking's curves: the mean over `seeds` of the curves of seeded random scores.
    public func randomCurves(units: [Int], steps: Int, seeds: [UInt64]) throws -> PerturbationCurves {
        guard !seeds.isEmpty else { throw AnalysisError.invalidOption("the random ranking needs at least one seed") }
        let scorings = seeds.map { PerturbationSchedule.randomScores(length: length, seed: $0) }
        return .mean(try curves(scorings, units: units, steps: steps))
    }
}
