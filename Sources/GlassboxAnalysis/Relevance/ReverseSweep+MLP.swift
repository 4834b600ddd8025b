import GlassboxRuntime
import GlassboxTensor

extension ReverseSweep {
    /// The MLP: gradient at its input `[n, d]` from the gradient at `hook_mlp_out` `[n, d]`
    /// (docs/methods.md §2.3 steps 2–3), accumulating neuron relevance `Σ_t post ⊙ g_post`.
    ///
    /// Standard `W_out·φ(W_in·x)`: `g_pre = g_post ⊙ ρ(pre)` (identity rule) or `⊙ φ'(pre)`.
    /// Gated `W_down·(φ(gate) ⊙ up)`:
    /// - uniform (AttnLRP): `g_h = g_post/2`, `g_up = g_h ⊙ φ(gate)`, `g_gate = g_h ⊙ up ⊙ ρ(gate)`
    /// - detached gate (CP-LRP): `g_up = g_post ⊙ φ(gate)`, `g_gate = 0`
    /// - gradient: the product rule, `g_gate = g_post ⊙ up ⊙ φ'(gate)`.
    mutating func mlpBackward(layer l: Int, _ gOut: Tensor) throws -> Tensor {
        let arch = architecture
        let mlp = weights.blocks[l].mlp
        let linearRule = table[.linear], activationRule = table[.activation]
        let pre = try tensor(.block(l, .mlpPre))                          // [n, dff]
        var activated = pre
        arch.activation.apply(&activated)                        // φ(pre)
        var post = activated
        let up: Tensor? = mlp.up == nil ? nil : try tensor(.block(l, .mlpPreLinear))
        if let up { multiplyInPlace(&post, up) }                          // φ(gate) ⊙ up

        let gPost = linearBackward(mlp.output, gOut, rule: linearRule, input: { post })   // [n, dff]
        accumulateNeuronRelevance(layer: l, post: post, gPost: gPost)
        let reader = self
        let input = { try reader.mlpInput(layer: l) }               // read by the Gamma rule only

        guard let upWeights = mlp.up, let up else {
            var gPre = gPost
            ActivationRules.apply(.model(arch.activation), rule: activationRule, x: pre, to: &gPre)
            return try linearBackward(mlp.input, gPre, rule: linearRule, input: input)
        }
        var gH = gPost
        if case .uniform(let k) = table[.gatedProduct] { scaleInPlace(&gH, 1 / k) }
        var gUp = gH
        multiplyInPlace(&gUp, activated)                                  // g_up = g_h ⊙ φ(gate)
        var gX = try linearBackward(upWeights, gUp, rule: linearRule, input: input)
        if table[.gatedProduct] != .detachedGate {
            var gGate = gH
            multiplyInPlace(&gGate, up)                                   // g_h ⊙ up
            ActivationRules.apply(.model(arch.activation), rule: activationRule, x: pre, to: &gGate)
            addInPlace(&gX, try linearBackward(mlp.input, gGate, rule: linearRule, input: input))
        }
        return gX
    }

    /// The MLP's input: `ln2` output (pre-norm) or `ln1` output (post-norm, `h = ln1(pre + attn)`).
    func mlpInput(layer l: Int) throws -> Tensor {
        let block = weights.blocks[l]
        return architecture.placement == .pre
            ? try normOutput(block.ln2, layer: l, site: .ln2)
            : try normOutput(block.ln1, layer: l, site: .ln1)
    }

    /// `neurons[l, i] = Σ_t post[t, i]·g_post[t, i]`.
    mutating func accumulateNeuronRelevance(layer l: Int, post: Tensor, gPost: Tensor) {
        let dff = post.dim(-1)
        let sums = Reductions.columnSums(post, times: gPost, columns: dff)
        for i in 0..<dff { neurons[l, i] = Float(sums[i]) }
    }
}
