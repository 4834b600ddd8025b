import Foundation

/// The faithfulness numbers of one ranking on one input, from its probability curves
/// (docs/methods.md §9.2).
///
/// - ABPC, the area between the perturbation curves (Blücher, Vielhaben & Strodthoff 2024, *Decoupling
///   pixel flipping and occlusion strategy for consistent XAI benchmarks*; the measure the AttnLRP paper,
///   Achtibat et al. 2024, reports): `AUC(LeRF) − AUC(MoRF)`, each area by the trapezoid rule over
///   the fractions `j / K` (so in probability units, at most 1). Higher is more faithful.
/// - AOPC comprehensiveness and sufficiency (DeYoung et al. 2020, ERASER, Eq. in §4 "Soft scores";
///   as ferret implements them: `AOPC_Comprehensiveness_Evaluation`, `AOPC_Sufficiency_Evaluation`
///   in `ferret/evaluators/faithfulness_measures.py`): the mean, over the removal steps, of
///   `p(x) − p(x without its top-k units)` and of `p(x) − p(x with only its top-k units)`. As in
///   ferret, k runs over the distinct non-empty sets: comprehensiveness over MoRF steps 1…K that
///   remove something new, sufficiency over the kept sets of LeRF steps 0…K−1 that keep something
///   (LeRF step j keeps the top `n − counts[j]`). With one unit per step (K = n) these are
///   ferret's defaults (`based_on: "k"`, thresholds 1…n). Higher comprehensiveness and lower
///   sufficiency are better. Unlike ferret, a removed unit is replaced by the baseline, not deleted.
public struct FaithfulnessMetrics: Sendable, Equatable {
    /// `AUC(LeRF) − AUC(MoRF)` of the probability curves.
    public let abpc: Double
    /// AOPC comprehensiveness.
    public let comprehensiveness: Double
    /// AOPC sufficiency.
    public let sufficiency: Double

    /// The three numbers of one input's curves.
    public init(_ curves: PerturbationCurves) {
        let morf = curves.morf.probabilities.map(Double.init), lerf = curves.lerf.probabilities.map(Double.init)
        abpc = Self.area(lerf) - Self.area(morf)
        let p0 = morf[0], n = curves.counts.last ?? 0
        var seen = Set<Int>([0]), comp: [Double] = []
        for j in 1..<curves.counts.count where seen.insert(curves.counts[j]).inserted {
            comp.append(p0 - morf[j])
        }
        var kept = Set<Int>([0]), suff: [Double] = []
        for j in 0..<(curves.counts.count - 1) where kept.insert(n - curves.counts[j]).inserted {
            suff.append(lerf[0] - lerf[j])
        }
        comprehensiveness = comp.isEmpty ? 0 : comp.reduce(0, +) / Double(comp.count)
        sufficiency = suff.isEmpty ? 0 : suff.reduce(0, +) / Double(suff.count)
    }

    /// The area under `y` sampled at `j / (y.count − 1)`: the trapezoid rule on [0, 1].
    public static func area(_ y: [Double]) -> Double {
        guard y.count > 1 else { return 0 }
        let h = 1 / Double(y.count - 1)
        return zip(y, y.dropFirst()).reduce(0) { $0 + ($1.0 + $1.1) / 2 * h }
    }
}
