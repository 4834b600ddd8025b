import Foundation
import GlassboxTensor

/// PhiMoE's router in evaluation: transformers 4.53.3's `sparsemixer(scores, jitter_eps,
/// training=False)` (`modeling_phimoe.py`, called by `PhimoeSparseMoeBlock.forward` with its default
/// `top_k=2`, whatever `num_experts_per_tok` says), on one position's router logits `s [E]`:
/// 1. `m, e₁ = max(s)` (the first maximal index, as `torch.max`); a logit is masked when
///    `(m − s_e) / max(|s_e|, m) > 2·jitter` (float32, as torch); `q₁ = softmax` over the unmasked
///    logits (the masked ones −∞); the first weight is `q₁[e₁]`;
/// 2. the same over `s` with `e₁` set to −∞: `m₂, e₂ = max`, masked when `(m₂ − s_e) / max(|s_e|, m₂)
///    > 2·jitter` (the divisor from the original `s`), `q₂ = softmax`; the second weight `q₂[e₂]`.
/// No renormalisation: the two weights are the two softmaxes' values. `jitter` is
/// `router_jitter_noise` (it only widens or narrows the mask in evaluation; no noise is drawn).
public enum SparseMixer {
    /// One round: the masked softmax `[E]` of `logits` with `excluded` (if any) at −∞ and the mask
    /// around the maximum of the rest, and that maximum's index.
    public static func round(_ logits: [Float], excluding excluded: Int?, jitter: Double) -> (softmax: [Float], chosen: Int) {
        var scores = logits
        if let excluded { scores[excluded] = -.infinity }
        var chosen = 0
        for e in scores.indices where scores[e] > scores[chosen] { chosen = e }   // the first maximum
        let top = scores[chosen]
        let threshold = Float(2 * jitter)                         // a Python float compared with float32
        let kept: [Bool] = scores.indices.map { e in
            guard scores[e] != -.infinity else { return false }
            let factor = max(logits[e].magnitude, top)            // scores.abs().clamp(min=max), original logits
            return !((top - logits[e]) / factor > threshold)      // NaN (0 / 0) is not masked, as torch
        }
        var out = [Float](repeating: 0, count: scores.count)
        let peak = scores.indices.filter { kept[$0] }.map { scores[$0] }.max() ?? -.infinity
        var sum: Float = 0
        for e in scores.indices where kept[e] { out[e] = Float(Foundation.exp(Double(scores[e] - peak))); sum += out[e] }
        for e in scores.indices { out[e] = kept[e] ? out[e] / sum : 0 }
        return (out, chosen)
    }

    /// Both rounds on one position: experts `[e₁, e₂]`, weights `[q₁[e₁], q₂[e₂]]` and the two
    /// softmaxes (`[E]` each; 0 at the masked experts).
    public static func route(_ logits: [Float], jitter: Double) -> (indices: [Int], weights: [Float], softmaxes: [[Float]]) {
        let first = round(logits, excluding: nil, jitter: jitter)
        let second = round(logits, excluding: first.chosen, jitter: jitter)
        return ([first.chosen, second.chosen], [first.softmax[first.chosen], second.softmax[second.chosen]],
                [first.softmax, second.softmax])
    }

    /// The weights sparsemixer gives the experts `indices` (`[e₁, e₂]`, e.g. edited at
    /// `mlp.hook_expert_indices`): `q₁[e₁]` from the first round, and `q₂[e₂]` from the second
    /// round run with `e₁` excluded (0 where the expert is masked).
    public static func weights(_ logits: [Float], indices: [Int], jitter: Double) -> [Float] {
        let first = round(logits, excluding: nil, jitter: jitter)
        let second = round(logits, excluding: indices[0], jitter: jitter)
        return [first.softmax[indices[0]], second.softmax[indices[1]]]
    }
}
