import Foundation
import GlassboxRuntime
import GlassboxTensor

extension PatchingMetric {
    /// The metric of one logit row.
    ///
    /// - Parameters:
    ///   - logits: `[V]` (or `[1, V]`): the run's logits at the metric position.
    ///   - cleanLogProbs: `[V]` log-softmax of the clean run at that position (KL only).
    ///   - scores: how `prob` and `logprob` read the answer's probability
    ///     (`ClassScoreFunction.logProbability`): the softmax over the row, or (sigmoid classifiers)
    ///     `log σ(z_answer) = −softplus(−z_answer)` and its `exp`.
    ///     KL is softmax only (refused for other heads before).
    /// - Returns: the value, accumulated in Double.
    func evaluate(_ logits: Tensor, cleanLogProbs: [Double], scores: ClassScoreFunction) -> Float {
        let row = logits.storage
        switch self {
        case .logitDiff(let a, let w): return row[a] - row[w]
        case .logProb(let a): return Float(scores.logProbability(of: a, in: row[...]))
        case .prob(let a): return Float(Foundation.exp(scores.logProbability(of: a, in: row[...])))
        case .kl:
            let logP = Self.logSoftmax(row)
            var sum = 0.0
            for (lc, lp) in zip(cleanLogProbs, logP) { sum += Foundation.exp(lc) * (lc - lp) }
            return Float(sum)
        }
    }

    /// `[V]`: `x − logsumexp(x)` in Double.
    static func logSoftmax(_ row: [Float]) -> [Double] {
        let top = Double(row.max() ?? 0)
        let sum = row.reduce(0.0) { $0 + Foundation.exp(Double($1) - top) }
        let lse = top + Foundation.log(sum)
        return row.map { Double($0) - lse }
    }
}
