import GlassboxTensor

/// Which experts each position uses and with what weights: the routing of one mixture layer.
public struct ExpertChoice: Sendable, Equatable {
    /// `[n][k]` expert indices, in `torch.topk`'s order.
    public var indices: [[Int]]
    /// `[n][k]` weights (the chosen softmax probabilities, over their sum when the mixture
    /// renormalises), aligned with `indices`.
    public var weights: [[Float]]

    /// Expert `e`'s weight at each of the `n` positions (0 where `e` was not chosen).
    public func weight(expert e: Int) -> [Float] {
        zip(indices, weights).map { ids, ws in zip(ids, ws).reduce(0) { $1.0 == e ? $0 + $1.1 : $0 } }
    }
}

extension MixtureWeights {
    /// The routing from router logits `[n, E]` as transformers' `MixtralSparseMoeBlock` computes it:
    /// `p = softmax(logits)` over the experts, the top `k` of `p` by `torchTopKIndices` (ties as
    /// `torch.topk`), their probabilities divided by their sum when `renormalizes` (Mixtral; Qwen
    /// MoE's `norm_topk_prob`), else kept as they are. Fires `mlp.hook_expert_weights`
    /// (`p`), `mlp.hook_expert_indices` and `mlp.hook_routing_weights`; edits at each are used from
    /// there on (edited indices must name experts).
    func route(_ logits: Tensor, topK k: Int, layer l: Int, hooks: inout HookRun) throws -> ExpertChoice {
        if case .sparseMixer(let jitter) = kind { return try sparseMixerRoute(logits, jitter: jitter, layer: l, hooks: &hooks) }
        let (n, count) = (logits.shape[0], logits.shape[1])
        var probabilities = logits                                   // [n, E]
        softmaxLastDim(&probabilities)
        try hooks.fire(.block(l, .expertWeights), &probabilities)
        var chosen = [[Int]](), picked = [[Float]]()
        for t in 0..<n {
            let row = Array(probabilities.storage[(t * count)..<((t + 1) * count)])
            let top = k == 0 ? [] : torchTopKIndices(row, k: k)   // k = 0 (GraniteMoE): no expert runs
            chosen.append(top)
            picked.append(top.map { row[$0] })
        }
        var indexTensor = Tensor(shape: [n, k], storage: chosen.flatMap { $0.map(Float.init) })   // [n, k]
        try hooks.fire(.block(l, .expertIndices), &indexTensor)
        if hooks.interventions.touches(.block(l, .expertIndices)) {
            chosen = try (0..<n).map { t in
                try (0..<k).map { j in
                    let value = indexTensor[t, j], rounded = value.rounded()
                    // Range-checked as a Float first: `Int(_:)` traps on NaN, ±Inf and 1e20.
                    guard rounded.isFinite, rounded >= 0, rounded < Float(count) else {
                        throw HookError.invalidExpertIndex(point: HookPoint.block(l, .expertIndices).name,
                                                           value: value, experts: count)
                    }
                    let e = Int(rounded)
                    picked[t][j] = probabilities[t, e]
                    return e
                }
            }
        }
        var weights = Tensor(shape: [n, k], storage: picked.flatMap { row in
            guard renormalizes else { return row }
            let sum = row.reduce(0, +)
            return row.map { $0 / sum }
        })                                                           // [n, k]
        try hooks.fire(.block(l, .routingWeights), &weights)
        return ExpertChoice(indices: chosen, weights: (0..<n).map { Array(weights.storage[($0 * k)..<(($0 + 1) * k)]) })
    }

    /// PhiMoE's routing from router logits `[n, E]` (`SparseMixer`: two experts, each weighted by its
    /// own masked softmax, no renormalisation). Fires `mlp.hook_expert_weights` (`[n, E]`, the first
    /// round's masked softmax: 0 at the masked experts), `mlp.hook_expert_indices` (`[n, 2]`) and
    /// `mlp.hook_routing_weights` (`[n, 2]`). Edits are used from there on: the first expert is the
    /// first maximum of the (edited) first-round softmax, weighted by its value there; the second
    /// round reads the logits without the first expert; edited indices are weighted as sparsemixer
    /// weighs them (`SparseMixer.weights`, the first slot from the edited softmax).
    private func sparseMixerRoute(_ logits: Tensor, jitter: Double, layer l: Int, hooks: inout HookRun) throws -> ExpertChoice {
        let (n, count) = (logits.shape[0], logits.shape[1])
        let rows = (0..<n).map { Array(logits.storage[($0 * count)..<(($0 + 1) * count)]) }
        var first = Tensor(shape: [n, count], storage: rows.flatMap { SparseMixer.round($0, excluding: nil, jitter: jitter).softmax })
        try hooks.fire(.block(l, .expertWeights), &first)                 // [n, E]
        var chosen = [[Int]](), picked = [[Float]]()
        for t in 0..<n {
            let q = Array(first.storage[(t * count)..<((t + 1) * count)])
            var e1 = 0
            for e in q.indices where q[e] > q[e1] { e1 = e }            // the first maximum
            let second = SparseMixer.round(rows[t], excluding: e1, jitter: jitter)
            chosen.append([e1, second.chosen])
            picked.append([q[e1], second.softmax[second.chosen]])
        }
        var indexTensor = Tensor(shape: [n, 2], storage: chosen.flatMap { $0.map(Float.init) })   // [n, 2]
        try hooks.fire(.block(l, .expertIndices), &indexTensor)
        if hooks.interventions.touches(.block(l, .expertIndices)) {
            for t in 0..<n {
                chosen[t] = try (0..<2).map { j in
                    let value = indexTensor[t, j], rounded = value.rounded()
                    guard rounded.isFinite, rounded >= 0, rounded < Float(count) else {
                        throw HookError.invalidExpertIndex(point: HookPoint.block(l, .expertIndices).name,
                                                           value: value, experts: count)
                    }
                    return Int(rounded)
                }
                let weights = SparseMixer.weights(rows[t], indices: chosen[t], jitter: jitter)
                picked[t] = [first[t, chosen[t][0]], weights[1]]
            }
        }
        var weights = Tensor(shape: [n, 2], storage: picked.flatMap { $0 })   // [n, 2]
        try hooks.fire(.block(l, .routingWeights), &weights)
        return ExpertChoice(indices: chosen, weights: (0..<n).map { Array(weights.storage[($0 * 2)..<(($0 + 1) * 2)]) })
    }

    /// `x [n, d] → [n, d]`: `Σ_e w_e(t) · expert_e(x_t)` over each position's chosen experts, each
    /// expert `w2(act(w1·x) ⊙ w3·x)` run on the rows routed to it and accumulated in expert order
    /// (as transformers' `index_add_`). Fires `mlp.hook_router_logits`, the routing points (`route`)
    /// and, for every expert in order, `mlp.experts.{e}.hook_gate|hook_pre|hook_post` (`[n, dff]`,
    /// zero rows where the expert is not used); with a shared expert (Qwen2-MoE) then adds
    /// `σ(shared_expert_gate·x) ⊙ shared_expert(x)` after the routed sum, as
    /// `Qwen2MoeSparseMoeBlock.forward`, firing `mlp.shared_expert.*` and `mlp.hook_shared_expert_gate`.
    func forward(_ x: Tensor, layer l: Int, activation: Activation, hooks: inout HookRun) throws -> Tensor {
        let (n, d) = (x.shape[0], x.shape[1])
        var logits = router(x)                                       // [n, E]
        try hooks.fire(.block(l, .routerLogits), &logits)
        let choice = try route(logits, topK: topK, layer: l, hooks: &hooks)
        var out = Tensor.zeros([n, d])
        for (e, expert) in experts.enumerated() {
            let share = choice.weight(expert: e)                     // [n]
            let routed = (0..<n).filter { choice.indices[$0].contains(e) }
            let rows = Tensor(shape: [routed.count, d], storage: routed.flatMap { x.storage[($0 * d)..<(($0 + 1) * d)] })
            func scattered(_ t: Tensor?) -> Tensor {                 // [m, dff] → [n, dff], zero rows elsewhere
                let dff = expert.input.outFeatures
                var full = Tensor.zeros([n, dff])
                if let t { for (i, p) in routed.enumerated() { full.storage.replaceSubrange((p * dff)..<((p + 1) * dff), with: t.storage[(i * dff)..<((i + 1) * dff)]) } }
                return full
            }
            func gathered(_ full: Tensor) -> Tensor {
                let dff = full.shape[1]
                return Tensor(shape: [routed.count, dff], storage: routed.flatMap { full.storage[($0 * dff)..<(($0 + 1) * dff)] })
            }
            var gate = scattered(routed.isEmpty ? nil : expert.input(rows))     // [n, dff]
            try hooks.fire(.block(l, .expert(e, .gate)), &gate)
            var linear = scattered(routed.isEmpty ? nil : expert.up!(rows))     // [n, dff]
            try hooks.fire(.block(l, .expert(e, .pre)), &linear)
            var post = gate
            activation.apply(&post)
            multiplyInPlace(&post, linear)
            let routedSet = Set(routed)
            for p in 0..<n where !routedSet.contains(p) {                          // the expert did not run there
                for j in 0..<post.shape[1] { post.storage[p * post.shape[1] + j] = 0 }
            }
            try hooks.fire(.block(l, .expert(e, .post)), &post)
            guard !routed.isEmpty else { continue }
            let y = expert.output(gathered(post))                               // [m, d]
            for (i, p) in routed.enumerated() {
                for j in 0..<d { out.storage[p * d + j] += y.storage[i * d + j] * share[p] }
            }
        }
        if let shared { addInPlace(&out, try shared.forward(x, layer: l, activation: activation, hooks: &hooks)) }
        return out
    }
}

extension SharedExpertWeights {
    /// `x [n, d] → [n, d]`: `σ(gate·x) ⊙ down(act(gate_proj·x) ⊙ up_proj·x)` on every position
    /// (`Qwen2MoeSparseMoeBlock`'s shared expert), firing `mlp.shared_expert.hook_gate`, `hook_pre`,
    /// `hook_post` (`[n, dffShared]`) and `mlp.hook_shared_expert_gate` (`[n, 1]`, the gate's logit,
    /// before the sigmoid). Without a gate (`GraniteMoeSharedMLP`) the MLP's output as it is.
    func forward(_ x: Tensor, layer l: Int, activation: Activation, hooks: inout HookRun) throws -> Tensor {
        var pre = mlp.input(x)                                       // [n, dffShared]
        try hooks.fire(.block(l, .sharedExpert(.gate)), &pre)
        var linear = mlp.up!(x)                                      // [n, dffShared]
        try hooks.fire(.block(l, .sharedExpert(.pre)), &linear)
        var post = pre
        activation.apply(&post)
        multiplyInPlace(&post, linear)
        try hooks.fire(.block(l, .sharedExpert(.post)), &post)
        var y = mlp.output(post)                                     // [n, d]
        guard let gate else { return y }
        var factor = gate(x)                                         // [n, 1], the logit
        try hooks.fire(.block(l, .sharedExpertGate), &factor)
        sigmoidActivation(&factor)                                   // σ
        let d = y.shape[1]
        for t in 0..<y.shape[0] { for j in 0..<d { y.storage[t * d + j] *= factor.storage[t] } }
        return y
    }
}
