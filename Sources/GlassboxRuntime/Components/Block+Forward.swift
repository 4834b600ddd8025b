import GlassboxTensor

extension BlockWeights {
    /// One block on the residual stream `[n, d]`; returns the block output.
    ///
    /// Pre-norm: `mid = x + attn(ln1(x))`, `post = mid + mlp(ln2(mid))`.
    /// Parallel (GPT-NeoX `use_parallel_residual`): `post = x + attn(ln1(x)) + mlp(ln2(x))`, summed
    /// as Hugging Face does (`mlp + attn + x`); no `hook_resid_mid`.
    /// Post-norm (BERT): `mid = x + attn(x)`, `h = ln1(mid)`, `post = h + mlp(h)`, output `ln2(post)`.
    /// Sandwich (Gemma 2, 3): `mid = x + ln1_post(attn(ln1(x)))`, `post = mid + ln2_post(mlp(ln2(mid)))`.
    /// Branch-output (OLMo 2): `mid = x + ln1(attn(x))`, `post = mid + ln2(mlp(mid))`, the two norms
    /// firing as `ln1_post` / `ln2_post`.
    func forward(_ x: Tensor, layer l: Int, architecture arch: Architecture, rotary: RotaryTables?,
                 hooks: inout HookRun) throws -> Tensor {
        var residPre = x
        try hooks.fire(.block(l, .residPre), &residPre)
        switch arch.placement {
        case .pre where arch.parallelResidual:
            let h = try ln1(residPre, scalePoint: .block(l, .ln1(.scale)),
                            normalizedPoint: .block(l, .ln1(.normalized)), hooks: &hooks)
            var attnOut = try attention.forward(h, layer: l, architecture: arch, rotary: rotary, hooks: &hooks)
            try hooks.fire(.block(l, .attnOut), &attnOut)
            let h2 = try ln2(residPre, scalePoint: .block(l, .ln2(.scale)),
                             normalizedPoint: .block(l, .ln2(.normalized)), hooks: &hooks)
            var mlpOut = try mlp.forward(h2, layer: l, activation: arch.activation, hooks: &hooks)
            try hooks.fire(.block(l, .mlpOut), &mlpOut)
            var residPost = added(added(mlpOut, attnOut), residPre)
            try hooks.fire(.block(l, .residPost), &residPost)
            return residPost
        case .pre:
            let h = try ln1(residPre, scalePoint: .block(l, .ln1(.scale)),
                            normalizedPoint: .block(l, .ln1(.normalized)), hooks: &hooks)
            var attnOut = try attention.forward(h, layer: l, architecture: arch, rotary: rotary, hooks: &hooks)
            try hooks.fire(.block(l, .attnOut), &attnOut)
            var residMid = added(residPre, attnOut)
            try hooks.fire(.block(l, .residMid), &residMid)
            let h2 = try ln2(residMid, scalePoint: .block(l, .ln2(.scale)),
                             normalizedPoint: .block(l, .ln2(.normalized)), hooks: &hooks)
            var mlpOut = try mlp.forward(h2, layer: l, activation: arch.activation, hooks: &hooks)
            try hooks.fire(.block(l, .mlpOut), &mlpOut)
            var residPost = added(residMid, mlpOut)
            try hooks.fire(.block(l, .residPost), &residPost)
            return residPost
        case .sandwich, .branchOutput:
            let sandwich = arch.placement == .sandwich
            let h = sandwich
                ? try ln1(residPre, scalePoint: .block(l, .ln1(.scale)), normalizedPoint: .block(l, .ln1(.normalized)),
                          hooks: &hooks)
                : residPre
            let attnRaw = try attention.forward(h, layer: l, architecture: arch, rotary: rotary, hooks: &hooks)
            guard let attnNorm = sandwich ? ln1Post : ln1 else { preconditionFailure("a sandwich block needs ln1_post") }
            var attnOut = try attnNorm(attnRaw, scalePoint: .block(l, .ln1Post(.scale)),
                                       normalizedPoint: .block(l, .ln1Post(.normalized)), hooks: &hooks)
            try hooks.fire(.block(l, .attnOut), &attnOut)
            var residMid = added(residPre, attnOut)
            try hooks.fire(.block(l, .residMid), &residMid)
            let h2 = sandwich
                ? try ln2(residMid, scalePoint: .block(l, .ln2(.scale)), normalizedPoint: .block(l, .ln2(.normalized)),
                          hooks: &hooks)
                : residMid
            let mlpRaw = try mlp.forward(h2, layer: l, activation: arch.activation, hooks: &hooks)
            guard let mlpNorm = sandwich ? ln2Post : ln2 else { preconditionFailure("a sandwich block needs ln2_post") }
            var mlpOut = try mlpNorm(mlpRaw, scalePoint: .block(l, .ln2Post(.scale)),
                                     normalizedPoint: .block(l, .ln2Post(.normalized)), hooks: &hooks)
            try hooks.fire(.block(l, .mlpOut), &mlpOut)
            var residPost = added(residMid, mlpOut)
            try hooks.fire(.block(l, .residPost), &residPost)
            return residPost
        case .post:
            var attnOut = try attention.forward(residPre, layer: l, architecture: arch, rotary: rotary, hooks: &hooks)
            try hooks.fire(.block(l, .attnOut), &attnOut)
            var residMid = added(residPre, attnOut)
            try hooks.fire(.block(l, .residMid), &residMid)
            let h = try ln1(residMid, scalePoint: .block(l, .ln1(.scale)),
                            normalizedPoint: .block(l, .ln1(.normalized)), hooks: &hooks)
            var mlpOut = try mlp.forward(h, layer: l, activation: arch.activation, hooks: &hooks)
            try hooks.fire(.block(l, .mlpOut), &mlpOut)
            var residPost = added(h, mlpOut)
            try hooks.fire(.block(l, .residPost), &residPost)
            var out = try ln2(residPost, scalePoint: .block(l, .ln2(.scale)),
                              normalizedPoint: .block(l, .ln2(.normalized)), hooks: &hooks)
            try hooks.fire(.block(l, .normalizedResidPost), &out)
            return out
        }
    }
}
