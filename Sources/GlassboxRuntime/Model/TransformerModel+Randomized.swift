import Foundation
import GlassboxTensor

extension TransformerModel {
    /// A copy of the model whose blocks `layers` have random weights: the model-parameter
    /// randomisation test of Adebayo et al. 2018 (*Sanity Checks for Saliency Maps*, §3.1, cascading
    /// randomisation when called with the top layers, then more and more of them).
    ///
    /// In every listed block each linear map's weight and bias (attention projections, MLP) is
    /// redrawn (a mixture's router and every expert too) from a normal distribution with that tensor's own mean and standard deviation, so
    /// activations keep their scale; norms, embeddings and the head are kept (the head defines
    /// the explained target). Seeded: the same `seed` gives the same weights. Layers outside the
    /// model are ignored.
    public func randomizingBlocks(_ layers: Set<Int>, seed: UInt64) -> TransformerModel {
        var rng = SplitMix64(seed: seed)
        func redraw(_ t: Tensor) -> Tensor {
            let n = Double(t.count)
            guard n > 0 else { return t }
            let mean = t.storage.reduce(0.0) { $0 + Double($1) } / n
            let variance = t.storage.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
            let sd = variance.squareRoot()
            var out = [Float](repeating: 0, count: t.count)
            for i in out.indices {
                // Box–Muller: two uniforms in (0, 1] → one standard normal.
                let u1 = Double(rng.next() >> 11 | 1) / Double(1 << 53), u2 = Double(rng.next() >> 11) / Double(1 << 53)
                out[i] = Float(mean + sd * (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2))
            }
            return Tensor(shape: t.shape, storage: out)
        }
        func redraw(_ linear: Linear) -> Linear {
            Linear(weight: redraw(linear.weight.float32()), layout: linear.layout, bias: linear.bias.map(redraw))
        }
        let blocks = weights.blocks.enumerated().map { l, block -> BlockWeights in
            guard layers.contains(l) else { return block }
            let a = block.attention, m = block.mlp
            // Drawn in this order: q, k, v, o, then the MLP (a mixture: its experts, then the router).
            var attention = AttentionWeights(query: redraw(a.query), key: redraw(a.key), value: redraw(a.value),
                                             output: redraw(a.output))
            (attention.queryNorm, attention.keyNorm) = (a.queryNorm, a.keyNorm)     // norms are kept
            func redrawMLP(_ m: MLPWeights) -> MLPWeights {
                MLPWeights(input: redraw(m.input), up: m.up.map(redraw), output: redraw(m.output))
            }
            let mlp: MLPWeights
            if let mixture = m.mixture {
                let experts = mixture.experts.map(redrawMLP)
                mlp = MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output,
                                 mixture: MixtureWeights(router: redraw(mixture.router), experts: experts, topK: mixture.topK))
            } else {
                mlp = redrawMLP(m)
            }
            var randomized = BlockWeights(ln1: block.ln1, attention: attention, ln2: block.ln2, mlp: mlp)
            (randomized.ln1Post, randomized.ln2Post) = (block.ln1Post, block.ln2Post)
            return randomized
        }
        let randomized = TransformerWeights(embeddings: weights.embeddings, blocks: blocks, head: weights.head)
        return TransformerModel(architecture: architecture, weights: randomized, directory: directory,
                                checkpointDTypes: checkpointDTypes, nonFiniteWeights: nonFiniteWeights,
                                checksActivations: checksActivations)
    }
}
