import GlassboxRuntime
import GlassboxTensor

extension ReverseSweep {
    /// A sparse mixture of experts (Mixtral): gradient at its input `[n, d]` from the gradient at
    /// `hook_mlp_out` `[n, d]` (docs/methods.md §2.5c). The output is `Σ_e w_e(t)·y_e(t)` with
    /// `y_e = w2(φ(w1·x) ⊙ w3·x)` and routing weights `w = p_K / Σ_K p`, `p = softmax(router·x)`,
    /// `K` the chosen experts. Rules, keyed as LXT's gated MLP (the routing weight is the gate of
    /// the expert's output):
    /// - the product `w_e·y_e` takes the table's `gatedProduct` rule: uniform (AttnLRP, `÷2`: half to
    ///   the expert, half to the router), detached gate (CP-LRP: the weights are constants, all
    ///   relevance flows through the experts) or the product rule (gradient);
    /// - each expert is a gated MLP with the dense rules (`gatedBackward`); its neurons go to
    ///   `neurons[l, e·dff + i]`;
    /// - the renormalisation `p / Σ_K p` (Mixtral; Qwen MoE with `norm_topk_prob`) takes the
    ///   `normalization` rule: the sum frozen (AttnLRP, as LXT freezes a norm's statistic: relevance
    ///   passes unchanged) or its true derivative; without it `w = p_K`;
    /// - Qwen2-MoE's shared expert `σ(g)·s(x)`, `g = shared_expert_gate·x`: the product as an expert's
    ///   (`gatedProduct`: half to the shared expert, half to its gate under AttnLRP; CP-LRP the gate
    ///   constant), `s` a gated MLP with the dense rules, the sigmoid the `activation` rule (identity
    ///   under AttnLRP, as LXT's rule on elementwise non-linearities) and the gate a linear map; its
    ///   neurons follow the routed experts' (`neurons[l, E·dff + i]`, as `FFNMemories` numbers them);
    /// - the router softmax keeps its true gradient (AttnLRP Prop. 3.1, as the attention softmax;
    ///   what it keeps is booked with the softmax's share) and the router is a linear map (ε = 0).
    mutating func mixtureBackward(_ mixture: MixtureWeights, layer l: Int, _ gOut: Tensor) throws -> Tensor {
        let (d, count, k) = (gOut.shape[1], mixture.experts.count, mixture.topK)
        let indices = try tensor(.block(l, .expertIndices))               // [n, k]
        let routing = try tensor(.block(l, .routingWeights))              // [n, k]
        let product = table[.gatedProduct]
        let divisor: Float = if case .uniform(let u) = product { u } else { 1 }
        let reader = self
        let input = { try reader.mlpInput(layer: l) }                     // read by the Gamma rule only
        var gX = Tensor.zeros([n, d])
        var gWeights = Tensor.zeros([n, k])                               // at the routing weights
        for (e, expert) in mixture.experts.enumerated() {
            guard let upWeights = expert.up else { continue }
            let pre = try tensor(.block(l, .expert(e, .gate))), up = try tensor(.block(l, .expert(e, .pre)))   // [n, dff]
            var activated = pre
            architecture.activation.apply(&activated)
            var post = activated
            multiplyInPlace(&post, up)                                    // zero rows where e is not chosen
            let dff = post.shape[1]
            var slot = [Int?](repeating: nil, count: n)                  // e's column in `indices` at t
            for t in 0..<n { slot[t] = (0..<k).first { Int(indices[t, $0]) == e } }
            // g_y = g_out · w_e (÷ the uniform divisor); rows where e is not chosen stay 0.
            var gY = Tensor.zeros([n, d])
            for t in 0..<n { if let j = slot[t] {
                let w = routing[t, j] / divisor
                for c in 0..<d { gY.storage[t * d + c] = gOut.storage[t * d + c] * w }
            } }
            let gPost = linearBackward(expert.output, gY, rule: table[.linear], input: { post })   // [n, dff]
            accumulateNeuronRelevance(layer: l, post: post, gPost: gPost, offset: e * dff)
            addInPlace(&gX, try gatedBackward(expert.input, upWeights, gPost, pre: pre, activated: activated, up: up, input: input))
            guard product != .detachedGate else { continue }
            let y = expert.output(post)                                   // [n, d], y_e
            for t in 0..<n { if let j = slot[t] {
                var s = 0.0
                for c in 0..<d { s += Double(gOut.storage[t * d + c]) * Double(y.storage[t * d + c]) }
                gWeights[t, j] = Float(s) / divisor                       // g_w = (g_out · y_e) ÷ divisor
            } }
        }
        if let shared = mixture.shared {
            let offset = mixture.experts.reduce(0) { $0 + $1.output.inFeatures }
            // GraniteMoeShared's ungated shared MLP is a summand, not a product: no divisor.
            addInPlace(&gX, try sharedExpertBackward(shared, layer: l, gOut, divisor: shared.gate == nil ? 1 : divisor,
                                                     neuronOffset: offset, input: input))
        }
        guard product != .detachedGate else { return gX }
        if case .sparseMixer(let jitter) = mixture.kind {
            addInPlace(&gX, try sparseMixerBackward(mixture, layer: l, gWeights, jitter: jitter, input: input))
            return gX
        }
        // w_j = p_j / S, S = Σ_K p: frozen S gives g_p = g_w / S; the true derivative subtracts Σ_i g_w,i w_i.
        // Without renormalisation (Qwen MoE's norm_topk_prob false) w_j = p_j: g_p = g_w.
        let probabilities = try tensor(.block(l, .expertWeights))        // [n, E]
        let logits = try tensor(.block(l, .routerLogits))                 // [n, E]
        var gP = Tensor.zeros([n, count])
        for t in 0..<n {
            let chosen = (0..<k).map { Int(indices[t, $0]) }
            guard mixture.renormalizes else {
                for (j, e) in chosen.enumerated() { gP[t, e] += gWeights[t, j] }
                continue
            }
            let sum = chosen.reduce(Float(0)) { $0 + probabilities[t, $1] }
            let centre = table[.normalization] == .frozenStatistics ? 0
                : (0..<k).reduce(Float(0)) { $0 + gWeights[t, $1] * routing[t, $1] }
            for (j, e) in chosen.enumerated() { gP[t, e] += (gWeights[t, j] - centre) / sum }
        }
        // Softmax over the experts: g_logits = p ⊙ (g_p − Σ_e p_e g_p,e).
        var gLogits = Tensor.zeros([n, count])
        for t in 0..<n {
            let inner = (0..<count).reduce(Float(0)) { $0 + probabilities[t, $1] * gP[t, $1] }
            for e in 0..<count { gLogits[t, e] = probabilities[t, e] * (gP[t, e] - inner) }
        }
        ledger.softmax += Self.dot(probabilities, gP) - Self.dot(logits, gLogits)
        addInPlace(&gX, try linearBackward(mixture.router, gLogits, rule: table[.linear], input: input))
        return gX
    }

    /// PhiMoE's router (`SparseMixer`): the gradient at the mixture input from `gWeights` `[n, 2]`,
    /// the gradient at the two routing weights. Each weight `w_j = q_j[e_j]` is its round's softmax
    /// over the logits its mask keeps (the masks are constants: transformers computes them under
    /// `torch.no_grad`), whose true gradient it keeps as the Mixtral router's softmax does:
    /// `g_logit_e += g_w,j · w_j · (δ_{e,e_j} − q_j[e])` for the kept `e`; no renormalisation. The
    /// router is a linear map (ε = 0); the softmaxes' share goes to the ledger's softmax entry.
    private mutating func sparseMixerBackward(_ mixture: MixtureWeights, layer l: Int, _ gWeights: Tensor, jitter: Double,
                                              input: () throws -> Tensor) throws -> Tensor {
        let indices = try tensor(.block(l, .expertIndices))               // [n, 2]
        let logits = try tensor(.block(l, .routerLogits))                 // [n, E]
        let count = logits.shape[1]
        var gLogits = Tensor.zeros([n, count])
        var kept = 0.0                                                    // Σ g_w · w, the relevance at the weights
        for t in 0..<n {
            let row = Array(logits.storage[(t * count)..<((t + 1) * count)])
            let chosen = [Int(indices[t, 0]), Int(indices[t, 1])]
            let rounds = [SparseMixer.round(row, excluding: nil, jitter: jitter).softmax,
                          SparseMixer.round(row, excluding: chosen[0], jitter: jitter).softmax]
            for j in 0..<2 {
                let q = rounds[j], w = q[chosen[j]], g = gWeights[t, j]
                kept += Double(g * w)
                for e in 0..<count {                                      // masked e: q[e] = 0, no term
                    gLogits[t, e] += g * w * ((e == chosen[j] ? 1 : 0) - q[e])
                }
            }
        }
        ledger.softmax += kept - Self.dot(logits, gLogits)
        return try linearBackward(mixture.router, gLogits, rule: table[.linear], input: input)
    }

    /// Qwen2-MoE's shared expert `σ(g) ⊙ s(x)` (`[n, d]`): the gradient at the mixture input from
    /// `gOut` `[n, d]`, with the product's `gatedProduct` rule (`divisor`: the uniform rule's),
    /// the shared MLP's dense rules and the sigmoid's `activation` rule on the gate logit
    /// (`mlp.hook_shared_expert_gate`, `[n, 1]`); its neurons' relevance goes to `neurons[l, neuronOffset + i]`.
    /// `input` reads the mixture input (Gamma only). Without a gate (GraniteMoeShared) `s(x)` alone:
    /// the shared MLP's dense rules.
    private mutating func sharedExpertBackward(_ shared: SharedExpertWeights, layer l: Int, _ gOut: Tensor, divisor: Float,
                                               neuronOffset: Int, input: () throws -> Tensor) throws -> Tensor {
        let d = gOut.shape[1]
        let pre = try tensor(.block(l, .sharedExpert(.gate))), up = try tensor(.block(l, .sharedExpert(.pre)))   // [n, dffS]
        let logit = shared.gate == nil ? nil : try tensor(.block(l, .sharedExpertGate))   // [n, 1]
        var sigma = logit ?? Tensor(shape: [n, 1], repeating: 1)                         // σ(logit); 1 without a gate
        if logit != nil { sigmoidActivation(&sigma) }
        var activated = pre
        architecture.activation.apply(&activated)
        var post = activated
        multiplyInPlace(&post, up)                                        // [n, dffS]
        var gY = gOut                                                     // g_s = g_out · σ ÷ divisor
        for t in 0..<n { for c in 0..<d { gY.storage[t * d + c] *= sigma.storage[t] / divisor } }
        let gPost = linearBackward(shared.mlp.output, gY, rule: table[.linear], input: { post })   // [n, dffS]
        accumulateNeuronRelevance(layer: l, post: post, gPost: gPost, offset: neuronOffset)
        var gX = try gatedBackward(shared.mlp.input, shared.mlp.up!, gPost, pre: pre, activated: activated, up: up, input: input)
        guard let gate = shared.gate, let logit, table[.gatedProduct] != .detachedGate else { return gX }
        let y = shared.mlp.output(post)                                   // [n, d], s(x)
        var gGate = Tensor.zeros([n, 1])                                  // at σ: (g_out · s) ÷ divisor
        for t in 0..<n {
            var s = 0.0
            for c in 0..<d { s += Double(gOut.storage[t * d + c]) * Double(y.storage[t * d + c]) }
            gGate.storage[t] = Float(s) / divisor
        }
        ActivationRules.apply(.model(.sigmoid), rule: table[.activation], x: logit, to: &gGate)
        addInPlace(&gX, try linearBackward(gate, gGate, rule: table[.linear], input: input))
        return gX
    }
}
