import GlassboxTensor

extension TransformerModel {
    /// Runs block `layer` alone on its input `x` `[n, d]` (what that block's `hook_resid_pre` held in
    /// a full forward pass) and returns the points of that block `capture` selects.
    ///
    /// The same code runs on the same input as in `forward`, with the same rotary tables for `n`
    /// positions, so the captured tensors are bitwise the full pass's (for the same thread count and
    /// `attention`). Checkpointed relevance sweeps recompute each layer's activations this way from
    /// the layer inputs they kept (docs/methods.md §2.3, "Checkpointing"). No interventions, no
    /// finiteness check.
    ///
    /// - Precondition: `0 ≤ layer < architecture.layers` and `x` is `[n, dModel]` with `n ≥ 1`.
    public func forwardBlock(_ x: Tensor, layer: Int, capture: HookFilter,
                             attention: AttentionPath = .automatic) throws -> ActivationCache {
        let arch = architecture
        precondition(layer >= 0 && layer < arch.layers, "forwardBlock: layer \(layer) of \(arch.layers)")
        precondition(x.rank == 2 && x.shape[1] == arch.dModel && x.shape[0] > 0, "forwardBlock: input \(x.shape)")
        let n = x.shape[0]
        var hooks = HookRun(inputIDs: [], capture: capture, interventions: Interventions())
        hooks.attentionPath = attention
        let rotary = arch.rotaryTables(length: n)(layer)   // the full pass's tables for this layer
        _ = try weights.blocks[layer].forward(x, layer: layer, architecture: arch, rotary: rotary, hooks: &hooks)
        return hooks.cache
    }
}
