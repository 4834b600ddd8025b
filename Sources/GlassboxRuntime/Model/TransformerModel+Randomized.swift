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
        // Norms and the rest of each listed block are kept (`mappingLinears`: q, k, v, o, then the MLP).
        let blocks = weights.blocks.enumerated().map { l, block in layers.contains(l) ? block.mappingLinears(redraw) : block }
        var randomized = TransformerWeights(embeddings: weights.embeddings, blocks: blocks, head: weights.head)
        randomized.parameterCountAdjustment = weights.parameterCountAdjustment
        return TransformerModel(architecture: architecture, weights: randomized, directory: directory,
                                checkpointDTypes: checkpointDTypes, nonFiniteWeights: nonFiniteWeights,
                                checksActivations: checksActivations)
    }
}
