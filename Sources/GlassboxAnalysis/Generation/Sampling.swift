import Foundation
import GlassboxTensor

/// How the next token is chosen from a step's logits (docs/methods.md §11.2).
public enum Sampling: Sendable, Equatable {
    /// The arg-max token (the lowest id among equal maxima, as `torch.argmax`).
    case greedy
    /// A draw from the warped distribution, in the order of `transformers`' logits warpers:
    /// logits ÷ `temperature`, then top-k (keep the `topK` largest; ties at the k-th value kept),
    /// then top-p (keep the smallest set of most probable tokens whose probability reaches
    /// `topP`, at least one), then softmax and one draw. The random number generator is
    /// SplitMix64 seeded with `seed`: one uniform draw `u ∈ [0, 1)` per step (53 bits), and the
    /// token is the first id, in ascending id order, whose cumulative probability exceeds `u`.
    case sample(temperature: Float, topK: Int?, topP: Float?, seed: UInt64)
}

/// Why sampling options are unusable.
public enum SamplingError: Error, Equatable, LocalizedError {
    /// `temperature` is not a finite number above 0 (the value as given, in Double).
    case temperature(Double)
    /// `topK` is below 1.
    case topK(Int)
    /// `topP` is not in (0, 1].
    case topP(Float)

    /// One readable line naming the bad value.
    public var errorDescription: String? {
        switch self {
        case .temperature(let t): "the temperature must be a number above 0, got \(t)"
        case .topK(let k): "top-k must be at least 1, got \(k)"
        case .topP(let p): "top-p must be in (0, 1], got \(p)"
        }
    }
}

extension Sampling {
    /// Throws `SamplingError` for a temperature ≤ 0 or not finite, top-k < 1, top-p outside (0, 1].
    public func validate() throws {
        guard case .sample(let t, let k, let p, _) = self else { return }
        guard t.isFinite && t > 0 else { throw SamplingError.temperature(Double(t)) }
        if let k, k < 1 { throw SamplingError.topK(k) }
        if let p, !(p > 0 && p <= 1) { throw SamplingError.topP(p) }
    }

    /// The warped probabilities `[V]` of one step's logits `[V]` (zeros where a warper removed
    /// the token); greedy gives one-hot at the arg-max.
    ///
    /// - Throws: `SamplingError` for options `validate()` refuses; `AnalysisError.invalidOption`
    ///   for empty `logits`.
    public func probabilities(_ logits: [Float]) throws -> [Float] {
        try validate()
        guard !logits.isEmpty else { throw AnalysisError.invalidOption("there are no logits to choose a token from") }
        switch self {
        case .greedy:
            var p = [Float](repeating: 0, count: logits.count)
            p[argmax(logits)] = 1
            return p
        case .sample(let temperature, let topK, let topP, _):
            // (l − max l) / T, not l / T − max l / T: for a tiny T, l / T overflows to ±Inf and the
            // softmax would give NaN; shifted first, the maxima score 0 and the rest fall to −Inf
            // at worst, so T → 0 becomes greedy. Softmax is unchanged by the shift.
            let top = Double(logits.lazy.filter(\.isFinite).max() ?? 0)
            var scores = logits.map { Float((Double($0) - top) / Double(temperature)) }
            if let topK, topK < scores.count {
                let kth = scores.sorted(by: >)[topK - 1]
                for i in scores.indices where scores[i] < kth { scores[i] = -.infinity }
            }
            var probs = softmax(scores)
            if let topP, topP < 1 {
                // transformers removes tokens whose cumulative probability, in ascending order,
                // is at most 1 − top_p; the most probable token always stays.
                let order = probs.indices.sorted { probs[$0] < probs[$1] || (probs[$0] == probs[$1] && $0 < $1) }
                var cumulative: Float = 0
                for (rank, i) in order.enumerated() where rank < order.count - 1 {
                    cumulative += probs[i]
                    if cumulative <= 1 - topP { scores[i] = -.infinity }
                }
                probs = softmax(scores)
            }
            return probs
        }
    }
}

/// The first index of the largest value.
func argmax(_ values: [Float]) -> Int {
    var best = 0
    for i in values.indices where values[i] > values[best] { best = i }
    return best
}

/// `softmax(x)` in Double accumulation; `-inf` entries get probability 0. Finite, non-NaN `x`
/// (with at least one finite entry) gives finite probabilities.
func softmax(_ x: [Float]) -> [Float] {
    let m = x.max() ?? 0
    let e = x.map { $0 == -.infinity ? 0 : Double(Foundation.exp(Double($0 - m))) }
    let total = e.reduce(0, +)
    return e.map { Float($0 / total) }
}
