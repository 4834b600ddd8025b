import GlassboxTensor

extension TransformerModel {
    /// A copy of the model whose weight matrices (linear layers and the token table) are Float32
    /// copies instead of the checkpoint's stored format: what loading did before weights stayed in
    /// their dtype (docs/methods.md §0.7). Twice the memory of a bf16 checkpoint; for measuring
    /// the stored-format products against it. Every field of the weights is carried over (the
    /// blocks' by `BlockWeights.mappingLinears`); a field added to the embedding or head structs
    /// must be added here too.
    public func widenedToFloat32() -> TransformerModel {
        func widen(_ l: Linear) -> Linear { Linear(weight: l.weight.float32(), layout: l.layout, bias: l.bias) }
        func widen(_ l: Linear?) -> Linear? { l.map { widen($0) } }
        let e = weights.embeddings, h = weights.head
        let token = e.token.float32()
        // A tied head keeps sharing the (widened) token table.
        let unembed = h.unembed.map { u in
            u.weight.sharesStorage(with: e.token) ? Linear(weight: token, layout: u.layout, bias: u.bias) : widen(u)
        }
        let blocks = weights.blocks.map { $0.mappingLinears(widen) }
        var embeddings = EmbeddingWeights(token: token, position: e.position, tokenType: e.tokenType, norm: e.norm,
                                          patch: widen(e.patch), classToken: e.classToken)
        (embeddings.scale, embeddings.paddingIndex, embeddings.projection) = (e.scale, e.paddingIndex, widen(e.projection))
        var head = HeadWeights(finalNorm: h.finalNorm, pooler: widen(h.pooler), transform: widen(h.transform),
                               transformNorm: h.transformNorm, unembed: unembed)
        (head.poolerActivation, head.transformActivation) = (h.poolerActivation, h.transformActivation)
        head.poolerNorm = h.poolerNorm
        var widened = TransformerWeights(embeddings: embeddings, blocks: blocks, head: head)
        widened.parameterCountAdjustment = weights.parameterCountAdjustment
        return TransformerModel(architecture: architecture, weights: widened, directory: directory,
                                checkpointDTypes: checkpointDTypes, nonFiniteWeights: nonFiniteWeights,
                                checksActivations: checksActivations)
    }
}
