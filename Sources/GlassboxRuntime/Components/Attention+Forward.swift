import GlassboxTensor

extension AttentionWeights {
    /// Multi-head (grouped-query) attention on `x [n, d]` → `attn_out [n, d]`, firing
    /// q, k, v, (rotary models) rot_q, rot_k, attn_scores, pattern, z and (only when wanted) result.
    ///
    /// `q`, `k`, `v` fire as projected (then clamped where the model clips them, `clip_qkv`:
    /// `Architecture.clipQKV`, q and k before the QK-norm (OLMo) or after it (OLMoE),
    /// `Architecture.qkvClipPoint`); where the model uses RoPE they are then rotated by `rotary`
    /// (cos/sin `[n, rotaryDim]`) and fire again as `rot_q`, `rot_k` (TransformerLens's order); a
    /// NoPE layer of a rotary model (`Architecture.unrotatedLayers`, `rotary` nil) fires them unrotated.
    /// `S_h = scale · q_h·k_gᵀ` with `g = h ÷ (H/Hkv)`, masked to `-inf`; `A_h = softmax(S_h)`;
    /// `z_h = A_h·v_g`; `out = Σ_h z_h·W_O^h + b_O`. Where `hooks.attentionPath` allows it (no
    /// hook reads or edits this layer's scores or pattern), `z` comes from `blockedAttention`
    /// instead and attn_scores / pattern do not fire.
    func forward(_ x: Tensor, layer: Int, architecture arch: Architecture, rotary: RotaryTables?,
                 hooks: inout HookRun) throws -> Tensor {
        let n = x.shape[0]
        let (heads, kvHeads, dh) = (arch.heads, arch.kvHeads, arch.headDim)

        var q = query(x).reshaped([n, heads, dh])       // [n, H, dh]
        try hooks.fire(.block(layer, .q), &q)
        var k = key(x).reshaped([n, kvHeads, dh])       // [n, Hkv, dh]
        try hooks.fire(.block(layer, .k), &k)
        var v = value(x).reshaped([n, kvHeads, dh])     // [n, Hkv, dh]
        try hooks.fire(.block(layer, .v), &v)
        arch.clipQKV(&v)                                // clip_qkv, after hook_v
        arch.clipQK(&q, at: .projection); arch.clipQK(&k, at: .projection)   // OLMo's clip_qkv, after hook_q/k
        let whole = arch.qkNormScope == .wholeProjection
        if let queryNorm {                              // QK-norm (Qwen3, Gemma 3 per head; OLMo 2 whole), before RoPE
            q = whole ? try projectionNorm(q, queryNorm, layer: layer, site: BlockSite.qNorm, hooks: &hooks)
                : try headNorm(q, queryNorm, layer: layer, site: BlockSite.qNorm, hooks: &hooks)
        }
        if let keyNorm {
            k = whole ? try projectionNorm(k, keyNorm, layer: layer, site: BlockSite.kNorm, hooks: &hooks)
                : try headNorm(k, keyNorm, layer: layer, site: BlockSite.kNorm, hooks: &hooks)
        }
        arch.clipQK(&q, at: .afterQKNorm); arch.clipQK(&k, at: .afterQKNorm)  // OLMoE's clip_qkv, after q_norm/k_norm
        if let rotary {                                 // hook_q / hook_k above are before RoPE
            applyRotary(&q, cos: rotary.cos, sin: rotary.sin, layout: rotary.layout)
            try hooks.fire(.block(layer, .rotQ), &q)
            applyRotary(&k, cos: rotary.cos, sin: rotary.sin, layout: rotary.layout)
            try hooks.fire(.block(layer, .rotK), &k)
        } else if arch.unrotatedLayers.contains(layer) { // NoPE layer of a rotary model: the identity rotation
            try hooks.fire(.block(layer, .rotQ), &q)
            try hooks.fire(.block(layer, .rotK), &k)
        }

        let scale = arch.attentionScale(layer: layer)
        let patternNeeded = hooks.wants(.block(layer, .attnScores)) || hooks.wants(.block(layer, .pattern))
        var z: Tensor                                   // [n, H, dh]
        if let blockSize = try hooks.attentionPath.blockSize(length: n, patternNeeded: patternNeeded, layer: layer) {
            // Tiles of [B, C] keys with an online softmax; no [H, n, n] tensor (methods §0.4).
            z = blockedAttention(q: q, k: k, v: v, scale: scale, mask: arch.attentionMask(layer: layer),
                                 blockSize: blockSize, softCap: arch.attentionSoftCap, keySlopes: arch.alibiSlopes)
        } else {
            z = try fullAttention(q: q, k: k, v: v, layer: layer, scale: scale, architecture: arch, hooks: &hooks)
        }
        try hooks.fire(.block(layer, .z), &z)

        // Per-head outputs are materialised only when asked for. When they are only captured, the
        // output still comes from one matmul, so capturing never changes the numbers; when they
        // are edited, the output is their sum.
        let resultPoint = HookPoint.block(layer, .result)
        if hooks.wants(resultPoint) {
            var result = perHeadOutputs(z, heads: heads, headDim: dh)   // [n, H, d]
            try hooks.fire(resultPoint, &result)
            if hooks.interventions.touches(resultPoint) { return sumHeads(result, bias: output.bias) }
        }
        return output(z.reshaped([n, heads * dh]))
    }

    /// The unblocked path: `S [H, n, n]` whole, masked, fired as attn_scores, softmaxed in place and
    /// fired as pattern; returns `z = A_h·v_g` `[n, H, dh]`.
    private func fullAttention(q: Tensor, k: Tensor, v: Tensor, layer: Int, scale: Float, architecture arch: Architecture,
                               hooks: inout HookRun) throws -> Tensor {
        let n = q.shape[0]
        let (heads, kvHeads, dh) = (arch.heads, arch.kvHeads, arch.headDim)
        let group = heads / kvHeads
        // scores[h] = scale · q[:, h, :] · k[:, g, :]ᵀ, read in place through row strides.
        var scores = Tensor(shape: [heads, n, n]) { out in
            Self.eachHead(heads, q, k, out) { h, qp, kp, o in
                gemm(m: n, n: n, k: dh, a: qp + h * dh, lda: heads * dh, b: kp + (h / group) * dh, ldb: kvHeads * dh,
                     transposeB: true, c: o + h * n * n, ldc: n, alpha: scale)
            }
        }
        arch.finishScores(&scores, layer: layer)        // ALiBi, soft-cap (Gemma 2), then the mask
        try hooks.fire(.block(layer, .attnScores), &scores)

        var pattern = consume scores                   // a move: no [H, n, n] copy
        softmaxLastDim(&pattern)
        try hooks.fire(.block(layer, .pattern), &pattern)

        // z[:, h, :] = pattern[h] · v[:, g, :]   → [n, H, dh]
        return Tensor(shape: [n, heads, dh]) { out in
            Self.eachHead(heads, pattern, v, out) { h, ap, vp, o in
                gemm(m: n, n: dh, k: n, a: ap + h * n * n, lda: n, b: vp + (h / group) * dh, ldb: kvHeads * dh,
                     transposeB: false, c: o + h * dh, ldc: heads * dh)
            }
        }
    }

    /// `body(h, a, b, out)` for every head `h`, heads side by side on single-threaded products:
    /// per head the products are small, and BLAS's own threads would spend more time meeting
    /// than multiplying.
    private static func eachHead(_ heads: Int, _ a: Tensor, _ b: Tensor, _ out: UnsafeMutableBufferPointer<Float>,
                                 _ body: @Sendable (Int, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>,
                                                    UnsafeMutablePointer<Float>) -> Void) {
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                let (ap, bp) = (SendablePointer(UnsafeMutablePointer(mutating: ab.baseAddress!)),
                                SendablePointer(UnsafeMutablePointer(mutating: bb.baseAddress!)))
                let o = SendablePointer(out.baseAddress!)
                withSerialBLAS { parallelFor(heads) { h in body(h, ap.base, bp.base, o.base) } }
            }
        }
    }

    /// RMSNorm or LayerNorm over the last axis of `x [n, heads, dh]` (QK-norm), firing `site(.scale)` `[n, heads, 1]`
    /// and `site(.normalized)` `[n, heads, dh]` (before `γ`, TransformerLens's RMSNorm convention);
    /// returns `γ ⊙ x̂ + β` `[n, heads, dh]` (`Norm.perHeadAffine`). An edited scale divides the input in its place.
    func headNorm(_ x: Tensor, _ norm: Norm, layer: Int, site: (NormSite) -> BlockSite,
                  hooks: inout HookRun) throws -> Tensor {
        let (n, heads, dh) = (x.shape[0], x.shape[1], x.shape[2])
        let flat = x.reshaped([n * heads, dh])
        let (flatNormalized, flatScale) = norm.normalize(flat)
        var scale = flatScale.reshaped([n, heads, 1])
        var normalized = flatNormalized.reshaped([n, heads, dh])
        let scalePoint = HookPoint.block(layer, site(.scale))
        if hooks.interventions.touches(scalePoint) {
            try hooks.fire(scalePoint, &scale)
            if scale.storage != flatScale.storage {
                normalized = norm.divided(flat, by: scale.reshaped([n * heads, 1])).reshaped([n, heads, dh])
            }
        } else {
            try hooks.fire(scalePoint, &scale)
        }
        try hooks.fire(.block(layer, site(.normalized)), &normalized)
        return norm.perHeadAffine(normalized)           // γ [dh] shared, or one per head (StableLM)
    }

    /// RMSNorm over all `heads·dh` values of each position of `x [n, heads, dh]` (OLMo 2's QK-norm,
    /// before the head split), firing `site(.scale)` `[n, 1]` and `site(.normalized)` `[n, heads, dh]`
    /// (before `γ`); returns `γ ⊙ x̂` `[n, heads, dh]` with `γ [heads·dh]`. An edited scale divides
    /// the input in its place.
    func projectionNorm(_ x: Tensor, _ norm: Norm, layer: Int, site: (NormSite) -> BlockSite,
                        hooks: inout HookRun) throws -> Tensor {
        let n = x.shape[0]
        let flat = x.reshaped([n, x.count / max(n, 1)])             // [n, heads·dh]
        var (flatNormalized, scale) = norm.normalize(flat)          // [n, heads·dh], [n, 1]
        let scalePoint = HookPoint.block(layer, site(.scale))
        if hooks.interventions.touches(scalePoint) {
            let statistic = scale
            try hooks.fire(scalePoint, &scale)
            if scale.storage != statistic.storage { flatNormalized = norm.divided(flat, by: scale) }
        } else {
            try hooks.fire(scalePoint, &scale)
        }
        var normalized = flatNormalized.reshaped(x.shape)
        try hooks.fire(.block(layer, site(.normalized)), &normalized)
        return affine(normalized.reshaped(flat.shape), gamma: norm.weight, beta: norm.bias).reshaped(x.shape)
    }

    /// `result[:, h, :] = z[:, h, :] · W_O^h` → `[n, H, d]`, where `W_O^h` is rows `h·dh..<(h+1)·dh`
    /// of `W_O [H·dh, d]` (or the matching columns of an `[d, H·dh]` weight).
    func perHeadOutputs(_ z: Tensor, heads: Int, headDim dh: Int) -> Tensor {
        let n = z.shape[0], d = output.outFeatures
        let transposed = output.layout == .outIn
        return Tensor(shape: [n, heads, d]) { out in
            z.withUnsafeBufferPointer { zp in
                for h in 0..<heads {
                    let inputs = h * dh..<(h + 1) * dh
                    // W_O^h: [d, dh] columns of an [d, H·dh] weight, or [dh, d] rows of an [H·dh, d] one.
                    let w = transposed ? output.weight.columnBlock(inputs) : output.weight.rowBlock(inputs)
                    gemm(m: n, n: d, k: dh, a: zp.baseAddress! + h * dh, lda: heads * dh,
                         weight: w, transposeB: transposed, c: out.baseAddress! + h * d, ldc: heads * d)
                }
            }
        }
    }

    /// `out[i] = Σ_h result[i, h] + bias` → `[n, d]`.
    func sumHeads(_ result: Tensor, bias: Tensor?) -> Tensor {
        let (n, heads, d) = (result.shape[0], result.shape[1], result.shape[2])
        var out = Tensor.zeros([n, d])
        for h in 0..<heads {
            // Gather head h's rows [n, d] and accumulate.
            let headRows = Tensor(shape: [n, d]) { dst in
                result.withUnsafeBufferPointer { src in
                    for i in 0..<n {
                        (dst.baseAddress! + i * d).update(from: src.baseAddress! + (i * heads + h) * d, count: d)
                    }
                }
            }
            addInPlace(&out, headRows)
        }
        if let bias { addRowInPlace(&out, bias) }
        return out
    }
}

/// The cos/sin tables `[n, rotaryDim]` shared by every layer of one forward pass, and the pairing
/// they were laid out for.
struct RotaryTables {
    let cos: Tensor
    let sin: Tensor
    let layout: RotaryLayout

    /// `rope`'s tables for positions `0..<n`.
    init(_ rope: RotaryEmbedding, length n: Int) {
        (cos, sin) = rope.tables(length: n)
        layout = rope.layout
    }
}

extension Architecture {
    /// The rotary tables of one forward pass over `n` positions, per layer: `position`'s tables,
    /// or `slidingRotary`'s in sliding-window layers (Gemma 3); `nil` in `unrotatedLayers` (NoPE)
    /// and in models without RoPE. Each table is computed once.
    func rotaryTables(length n: Int) -> (Int) -> RotaryTables? {
        func tables(_ rope: RotaryEmbedding?) -> RotaryTables? {
            rope.map { RotaryTables($0, length: n) }
        }
        let global: RotaryTables? = if case .rotary(let rope) = position { tables(rope) } else { nil }
        let sliding = tables(slidingRotary)
        return { layer in
            if unrotatedLayers.contains(layer) { return nil }
            if let sliding, layer < slidingWindows.count, slidingWindows[layer] != nil { return sliding }
            return global
        }
    }
}
