import GlassboxRuntime
import GlassboxTensor

/// One perturbation of AtMan: the explained group and the key columns it suppresses, with their
/// factors. An immutable record (the reference mutates its config dicts in place and labels them
/// by loop index, which is wrong for custom index subsets; docs/methods.md §4.4).
public struct AtManSuppression: Sendable, Equatable {
    /// The explained positions (one token, a word or a sentence).
    public let group: [Int]
    /// Suppressed positions, ascending: the group plus its conceptual neighbours.
    public let keys: [Int]
    /// One factor per key.
    public let factors: [Float]
}

extension AtMan {
    /// Conceptual suppression (AtMan, NeurIPS 2023; `atman_magma/conceptual_suppression.py`): suppressing a
    /// token also suppresses the tokens whose input embeddings resemble it.
    enum ConceptualSuppression {
        /// Cosine similarities `[n, n]` of the rows of `embeddings` `[n, d]`, as the reference computes
        /// them: each row divided by `max(‖row‖, 1e-8)`, products in float32, clipped to `[−1, 1]`.
        static func similarities(_ embeddings: Tensor) -> Tensor {
            let (n, d) = (embeddings.shape[0], embeddings.shape[1])
            var unit = embeddings
            unit.withUnsafeMutableBufferPointer { u in
                for i in 0..<n {
                    let row = u.baseAddress! + i * d
                    var sum: Float = 0
                    for j in 0..<d { sum += row[j] * row[j] }
                    let norm = max(sum.squareRoot(), 1e-8)
                    for j in 0..<d { row[j] /= norm }
                }
            }
            var sims = matmul(unit, unit, transposeB: true)                     // [n, n]
            sims.withUnsafeMutableBufferPointer { s in
                for i in s.indices { s[i] = min(1, max(-1, s[i])) }
            }
            return sims
        }

        /// The suppression of each group.
        ///
        /// Every member of a group gets factor `f`. With a threshold `κ`, every position `j` outside
        /// the group whose similarity to some member `i` is `≥ κ` is suppressed too, with
        /// `(1 − f)(1 − cos_ij) + f` when `scaled` (1 for a negative cosine, as the reference) or `f`
        /// otherwise; a position reached from several members keeps its smallest factor. For
        /// one-token groups this is exactly the reference's `modify_configs`.
        ///
        /// - Parameters:
        ///   - groups: the explained groups.
        ///   - similarities: `[n, n]` (needed only with a threshold).
        static func suppressions(groups: [[Int]], factor f: Float, threshold: Float?, scaled: Bool,
                                 similarities: Tensor?) -> [AtManSuppression] {
            groups.map { group in
                var factors: [Int: Float] = [:]
                for i in group { factors[i] = f }
                if let threshold, let sims = similarities {
                    let n = sims.shape[0]
                    let members = Set(group)
                    for i in group {
                        for j in 0..<n where !members.contains(j) {
                            let c = sims[i, j]
                            guard c >= threshold else { continue }
                            let neighbour = !scaled ? f : (c >= 0 && c <= 1 ? (1 - f) * (1 - c) + f : 1)
                            factors[j] = min(factors[j] ?? .infinity, neighbour)
                        }
                    }
                }
                let keys = factors.keys.sorted()
                return AtManSuppression(group: group, keys: keys, factors: keys.map { factors[$0]! })
            }
        }
    }
}
