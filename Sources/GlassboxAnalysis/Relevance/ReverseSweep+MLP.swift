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
    ///
    /// Every step but the neuron sums is row by row, so long inputs go through in chunks of
    /// `mlpRowChunk` rows: the `[rows, d_ff]` temporaries (`φ(pre)`, `post`, `g_post`, `g_up`,
    /// `g_gate`) then stay `O(mlpRowChunk · d_ff)` instead of `O(n · d_ff)`.
    mutating func mlpBackward(layer l: Int, _ gOut: Tensor) throws -> Tensor {
        if let mixture = weights.blocks[l].mlp.mixture { return try mixtureBackward(mixture, layer: l, gOut) }
        let chunk = max(mlpRowChunk, 1)
        if let live = LinearRules.sparseRows(gOut) {      // the top layer: only the explained rows
            let (part, sums) = try mlpRowsBackward(layer: l, gOut.gatherRows(live), slice: { $0.gatherRows(live) })
            setNeuronRelevance(layer: l, sums)
            return part.scatterRows(live, count: n)
        }
        guard n > chunk else {
            let (gX, sums) = try mlpRowsBackward(layer: l, gOut, slice: { $0 })
            setNeuronRelevance(layer: l, sums)
            return gX
        }
        let d = gOut.dim(-1)
        var gX = Tensor.zeros([n, d])
        var total = [Double](repeating: 0, count: latents ? weights.blocks[l].mlp.input.outFeatures : 0)
        for r0 in stride(from: 0, to: n, by: chunk) {
            let rows = r0..<min(n, r0 + chunk)
            let (part, sums) = try mlpRowsBackward(layer: l, gOut.rows(rows), slice: { $0.rows(rows) })
            for i in total.indices { total[i] += sums[i] }
            gX.withUnsafeMutableBufferPointer { dst in
                part.withUnsafeBufferPointer { src in
                    (dst.baseAddress! + r0 * d).update(from: src.baseAddress!, count: src.count)
                }
            }
        }
        setNeuronRelevance(layer: l, total)
        return gX
    }

    /// The MLP backward of some rows (`gOut` is `[rows, d]`, `slice` takes those rows of an `[n, …]`
    /// activation): the gradient at the MLP's input for those rows and their neuron sums
    /// `Σ_t post ⊙ g_post` `[d_ff]`.
    private func mlpRowsBackward(layer l: Int, _ gOut: Tensor, slice: (Tensor) -> Tensor) throws -> (Tensor, [Double]) {
        let arch = architecture
        let mlp = weights.blocks[l].mlp
        let linearRule = table[.linear], activationRule = table[.activation]
        let pre = slice(try tensor(.block(l, .mlpPre)))                   // [rows, dff]
        var activated = pre
        arch.activation.apply(&activated)                        // φ(pre)
        var post = activated
        let up: Tensor? = mlp.up == nil ? nil : slice(try tensor(.block(l, .mlpPreLinear)))
        if let up { multiplyInPlace(&post, up) }                          // φ(gate) ⊙ up

        let gPost = linearBackward(mlp.output, gOut, rule: linearRule, input: { post })   // [rows, dff]
        let sums = latents ? Reductions.columnSums(post, times: gPost, columns: post.dim(-1)) : []
        let reader = self
        let input = { slice(try reader.mlpInput(layer: l)) }        // read by the Gamma rule only

        guard let upWeights = mlp.up, let up else {
            var gPre = gPost
            ActivationRules.apply(.model(arch.activation), rule: activationRule, x: pre, to: &gPre)
            return (try linearBackward(mlp.input, gPre, rule: linearRule, input: input), sums)
        }
        return (try gatedBackward(mlp.input, upWeights, gPost, pre: pre, activated: activated, up: up, input: input), sums)
    }

    /// The gated product's backward, `g_post [n, dff]` → the gradient at the MLP input `[n, d]`, under
    /// the table's `gatedProduct` and `activation` rules (see `mlpBackward`); `activated` is `φ(pre)`.
    func gatedBackward(_ gateWeights: Linear, _ upWeights: Linear, _ gPost: Tensor, pre: Tensor, activated: Tensor,
                       up: Tensor, input: () throws -> Tensor) throws -> Tensor {
        let linearRule = table[.linear]
        var gH = gPost
        if case .uniform(let k) = table[.gatedProduct] { scaleInPlace(&gH, 1 / k) }
        var gUp = gH
        multiplyInPlace(&gUp, activated)                                  // g_up = g_h ⊙ φ(gate)
        var gX = try linearBackward(upWeights, gUp, rule: linearRule, input: input)
        if table[.gatedProduct] != .detachedGate {
            var gGate = gH
            multiplyInPlace(&gGate, up)                                   // g_h ⊙ up
            ActivationRules.apply(.model(architecture.activation), rule: table[.activation], x: pre, to: &gGate)
            addInPlace(&gX, try linearBackward(gateWeights, gGate, rule: linearRule, input: input))
        }
        return gX
    }

    /// The MLP's input: `ln2` output (pre-norm, sandwich), `ln1` output (post-norm,
    /// `h = ln1(pre + attn)`) or `resid_mid` (branch-output norms, OLMo 2).
    func mlpInput(layer l: Int) throws -> Tensor {
        let block = weights.blocks[l]
        switch architecture.placement {
        case .pre, .sandwich: return try normOutput(block.ln2, layer: l, site: .ln2)
        case .post: return try normOutput(block.ln1, layer: l, site: .ln1)
        case .branchOutput: return try tensor(.block(l, .residMid))
        }
    }

    /// `neurons[l, offset + i] = sums[i]`, the column sums `Σ_t post[t, i]·g_post[t, i]` (`offset`:
    /// expert `e`'s `e·dff` in a mixture).
    mutating func setNeuronRelevance(layer l: Int, _ sums: [Double], offset: Int = 0) {
        guard latents else { return }
        for i in sums.indices { neurons[l, offset + i] = Float(sums[i]) }
    }

    /// `neurons[l, offset + i] = Σ_t post[t, i]·g_post[t, i]` (one expert of a mixture).
    mutating func accumulateNeuronRelevance(layer l: Int, post: Tensor, gPost: Tensor, offset: Int = 0) {
        guard latents else { return }
        setNeuronRelevance(layer: l, Reductions.columnSums(post, times: gPost, columns: post.dim(-1)), offset: offset)
    }
}
