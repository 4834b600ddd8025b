import GlassboxRuntime
import GlassboxTensor

extension ReverseSweep {
    /// Multi-head (grouped-query) attention: gradient at the attention input `[n, d]` from the
    /// gradient at `hook_attn_out` `[n, d]` (docs/methods.md §2.3 steps 5–7).
    ///
    /// Per head `h` with KV head `g = h ÷ (H/Hkv)`, `A_h = softmax(scale·q_h·k_gᵀ (+ alibi_h) + mask)`,
    /// `z_h = A_h·v_g`:
    /// - `g_v_g += f_v · A_hᵀ·g_z_h`
    /// - `g_A = g_z_h·v_gᵀ`, `g_S = A_h ⊙ (g_A − rowsum(A_h ⊙ g_A))` (softmax, true gradient = AttnLRP
    ///   Prop. 3.1), `g_q_h = f_qk·scale·g_S·k_g`, `g_k_g += f_qk·scale·g_Sᵀ·q_h`
    ///
    /// ALiBi's `slope_h · j` is a constant addend of the scores: `g_S` passes to `scale·q·kᵀ` whole,
    /// so the bias's share of the scores' relevance (`g_S ⊙ alibi`) is absorbed, as LXT's
    /// gradient×input rules do with a constant (Tests/Fixtures/relevance/bloom-*).
    /// with `f_qk` = ¼ and `f_v` = ½ under AttnLRP's uniform rules, `f_qk` = 0 (detached, skipped)
    /// under CP-LRP, 1 for the gradient. Then RoPE is undone on `g_q`, `g_k` (the rotation's
    /// transpose) and the three projections are taken back.
    ///
    /// Without an attention observer, heads and blocks of `rowBlock` query rows against only the
    /// keys they can see (causal and sliding-window masks) run as parallel tasks
    /// (`attentionTasks`); with one, each head's whole `[n, n]` pattern and gradient are built in
    /// turn and handed to it. Patterns are the forward's (when captured) or recomputed from the
    /// cached `q`, `k` (equal to the forward's up to float summation order; masked entries exactly 0).
    mutating func attentionBackward(layer l: Int, _ gOut: Tensor) throws -> Tensor {
        let arch = architecture
        let w = weights.blocks[l].attention
        let (H, dh) = (arch.heads, arch.headDim)
        let projectionRule = table[.attentionProjections]
        let z = try tensor(.block(l, .z))                                            // [n, H, dh]

        // Output projection: g_z [n, H·dh] (per-head slices of the concatenated heads).
        let gZ = linearBackward(w.output, gOut, rule: projectionRule, input: { z.reshaped([n, H * dh]) })
        accumulateHeadRelevance(layer: l, z: z, gZ: gZ)
        gradientObserver?(.block(l, .z), gZ)

        let qkFactor: Float? = switch table[.attentionScores] {
        case .detached: nil
        case .uniform(let k): 1 / k
        default: 1
        }
        let vFactor: Float = if case .uniform(let k) = table[.attentionValues] { 1 / k } else { 1 }
        var grads = AttentionGradients(n: n, heads: H, kvHeads: arch.kvHeads, headDim: dh)
        // hook_v is before clip_qkv (OLMo, OLMoE); the pattern weighs the clamped values.
        let hookV = try tensor(.block(l, .v))
        var clippedV = hookV
        arch.clipQKV(&clippedV)
        let cached = LayerAttention(q: arch.scored(try tensor(.block(l, arch.scoredQuery))),
                                    k: arch.scored(try tensor(.block(l, arch.scoredKey))),
                                    v: clippedV,
                                    kept: layerCache?[.block(l, .pattern)] ?? cache[.block(l, .pattern)], gZ: gZ)
        if attentionObserver == nil {
            attentionTasks(layer: l, cached, qkFactor: qkFactor, vFactor: vFactor, into: &grads)
        } else {
            precondition(segments.count == 1, "attention observers see whole patterns: one input per sweep")
            var work = AttentionWork(capacity: n * n, softCapped: arch.attentionSoftCap != nil)
            for h in 0..<H {
                headBlockBackward(layer: l, head: h, (0..<n, 0..<n), cached, qkFactor: qkFactor, vFactor: vFactor,
                                  work: &work, into: &grads)
            }
        }

        // What the softmax kept: R_z − R_v − R_q − R_k (rotated q, k; before RoPE is undone).
        if latents { ledger.softmax += Self.dot(z, gZ) - Self.dot(cached.v, grads.v) - Self.dot(cached.q, grads.q) - Self.dot(cached.k, grads.k) }

        let reader = self
        let input: () throws -> Tensor = { try reader.attentionInput(layer: l) }
        let kvWidth = arch.kvHeads * dh
        // clip_qkv: back through the clamp to hook_v (its derivative, 1 inside, 0 where clipped).
        var clipped = arch.clipQKV(backward: &grads.v, input: hookV)
        var gX = try linearBackward(w.value, grads.v.reshaped([n, kvWidth]), rule: projectionRule, input: input)
        gradientObserver?(.block(l, .v), grads.v.reshaped([n, kvWidth]))
        if qkFactor != nil {
            if let rotary = rotary(l) {        // RoPE's transpose: rotate by −θ
                applyRotary(&grads.q, cos: rotary.cos, sin: Self.negated(rotary.sin), layout: rotaryLayout)
                applyRotary(&grads.k, cos: rotary.cos, sin: Self.negated(rotary.sin), layout: rotaryLayout)
            }
            // OLMoE's clip_qkv: back through the clamp at the QK-norm's output γ ⊙ x̂ (its input there).
            let whole = arch.qkNormScope == .wholeProjection
            if let norm = w.queryNorm {
                clipped += try arch.clipQK(backward: &grads.q, input: try normOutput(norm, layer: l, site: BlockSite.qNorm, whole: whole),
                                           at: .afterQKNorm)
            }
            if let norm = w.keyNorm {
                clipped += try arch.clipQK(backward: &grads.k, input: try normOutput(norm, layer: l, site: BlockSite.kNorm, whole: whole),
                                           at: .afterQKNorm)
            }
            // QK-norm (Qwen3, Gemma 3 per head; OLMo 2 over the whole projection): back through the
            // RMSNorm with the normalization rule (docs/methods.md §2.5b), from γ ⊙ x̂ to hook_q / hook_k.
            if let norm = w.queryNorm {
                grads.q = try headNormBackward(norm, grads.q, layer: l, site: BlockSite.qNorm, whole: whole)
            }
            if let norm = w.keyNorm {
                grads.k = try headNormBackward(norm, grads.k, layer: l, site: BlockSite.kNorm, whole: whole)
            }
            // OLMo's clip_qkv: from the clamp's output to hook_q / hook_k.
            clipped += try arch.clipQK(backward: &grads.q, input: try tensor(.block(l, .q)), at: .projection)
            clipped += try arch.clipQK(backward: &grads.k, input: try tensor(.block(l, .k)), at: .projection)
            gradientObserver?(.block(l, .q), grads.q.reshaped([n, H * dh]))
            gradientObserver?(.block(l, .k), grads.k.reshaped([n, kvWidth]))
            addInPlace(&gX, try linearBackward(w.query, grads.q.reshaped([n, H * dh]), rule: projectionRule, input: input))
            addInPlace(&gX, try linearBackward(w.key, grads.k.reshaped([n, kvWidth]), rule: projectionRule, input: input))
        }
        if latents { ledger.biases += clipped }          // a clipped element is the constant ±c
        return gX
    }

    /// A QK-norm's output `γ ⊙ x̂ (+ β)` `[n, heads, dh]` from the cached `hook_normalized`, with the
    /// forward pass's kernels (`AttentionWeights.projectionNorm` / `headNorm`), so it equals the
    /// forward's value bit for bit: what OLMoE's `clip_qkv` clamped.
    private func normOutput(_ norm: Norm, layer l: Int, site: (NormSite) -> BlockSite, whole: Bool) throws -> Tensor {
        let normalized = try tensor(.block(l, site(.normalized)))                      // [n, heads, dh]
        guard whole else { return norm.perHeadAffine(normalized) }
        return affine(normalized.reshaped([n, normalized.count / max(n, 1)]), gamma: norm.weight, beta: norm.bias)
            .reshaped(normalized.shape)
    }

    /// The backward of a QK-norm on `g [n, heads, dh]` at its output, from the cached
    /// `hook_normalized` `x̂ [n, heads, dh]` and `hook_scale`: per head (`[n, heads, 1]`, with `γ [dh]`
    /// shared or `[heads·dh]` one per head), or over each position's whole `heads·dh` values (`whole`,
    /// OLMo 2; `[n, 1]`).
    private func headNormBackward(_ norm: Norm, _ g: Tensor, layer l: Int,
                                  site: (NormSite) -> BlockSite, whole: Bool = false) throws -> Tensor {
        let (heads, dh) = whole ? (1, g.shape[1] * g.shape[2]) : (g.shape[1], g.shape[2])
        let normalized = try tensor(.block(l, site(.normalized))).reshaped([n * heads, dh])
        let scale = try tensor(.block(l, site(.scale))).reshaped([n * heads, 1])
        if norm.weight.count != dh {
            // One γ (β) per head [heads·dh] (StableLM): u = γ ⊙ g over each position's heads, then the
            // rule with γ = 1 per head — the same products NormRules forms with a shared γ.
            let width = heads * dh
            if table[.normalization] == .frozenStatistics && latents {
                ledger.biases += RelevanceLedger.biasShare(norm.bias, g.reshaped([n, width]))
            }
            let u = affine(g.reshaped([n, width]), gamma: norm.weight, beta: nil).reshaped([n * heads, dh])
            let unit = Norm(kind: norm.kind, weight: Tensor(shape: [dh], repeating: 1), bias: nil)
            return NormRules.backward(unit, u, normalized: { normalized }, scale: scale, rule: table[.normalization])
                .reshaped(g.shape)
        }
        return try normBackward(norm, g.reshaped([n * heads, dh]), normalized: { normalized }, scale: scale)
            .reshaped(g.shape)
    }

    /// One head on query rows `block.rows` against keys `block.keys` (`B = rows`, `K = keys`).
    private func headBlockBackward(layer l: Int, head h: Int, _ block: (rows: Range<Int>, keys: Range<Int>),
                                   _ cached: LayerAttention, qkFactor: Float?, vFactor: Float, work: inout AttentionWork,
                                   into grads: inout AttentionGradients) {
        let arch = architecture
        let (H, Hkv, dh) = (arch.heads, arch.kvHeads, arch.headDim)
        let g = h / (H / Hkv)
        let (r0, b, k0, kk) = (block.rows.lowerBound, block.rows.count, block.keys.lowerBound, block.keys.count)
        let (q, k, v, gZ) = (cached.q, cached.k, cached.v, cached.gZ)
        let scale = arch.attentionScale(layer: l)
        let cap = arch.attentionSoftCap
        let (qRow, kvRow) = (H * dh, Hkv * dh)
        work.pattern.withUnsafeMutableBufferPointer { ab in
            work.gradient.withUnsafeMutableBufferPointer { gb in
                let a = ab.baseAddress!, ga = gb.baseAddress!
                // A [B, K]: the kept pattern's block, or scale·q·kᵀ masked and soft-maxed.
                if let kept = cached.kept, cap == nil {
                    kept.withUnsafeBufferPointer { src in
                        for i in 0..<b { (a + i * kk).update(from: src.baseAddress! + (h * n + r0 + i) * n + k0, count: kk) }
                    }
                } else {
                    q.withUnsafeBufferPointer { qp in
                        k.withUnsafeBufferPointer { kp in
                            gemm(m: b, n: kk, k: dh, a: qp.baseAddress! + r0 * qRow + h * dh, lda: qRow,
                                 b: kp.baseAddress! + k0 * kvRow + g * dh, ldb: kvRow, transposeB: true, c: a, ldc: kk, alpha: scale)
                        }
                    }
                    if let slopes = arch.alibiSlopes {      // ALiBi: a constant addend (no gradient of its own)
                        for i in 0..<b { addKeyPositionBias(a + i * kk, keys: block.keys, slope: slopes[h]) }
                    }
                    if let cap {                            // Gemma 2: keep the soft-cap's local factor, then cap
                        for i in 0..<(b * kk) {
                            work.capFactor[i] = ActivationRules.softCapFactor(a[i], cap: cap, rule: table[.activation])
                            a[i] = softCapped(a[i], cap)
                        }
                    }
                    Self.mask(a, rows: block.rows, keys: block.keys, arch.attentionMask(layer: l))
                    softmaxRows(UnsafeMutableBufferPointer(start: a, count: b * kk), rowLength: kk)
                }
                // g_v[keys, g] += f_v · Aᵀ · g_z[rows, h]      ([B, K]ᵀ · [B, dh] → [K, dh])
                gZ.withUnsafeBufferPointer { gzp in
                    grads.v.withUnsafeMutableBufferPointer { gvp in
                        gemm(m: kk, n: dh, k: b, a: a, lda: kk, transposeA: true,
                             b: gzp.baseAddress! + r0 * qRow + h * dh, ldb: qRow, transposeB: false,
                             c: gvp.baseAddress! + k0 * kvRow + g * dh, ldc: kvRow, alpha: vFactor, beta: 1)
                    }
                }
                guard qkFactor != nil || attentionObserver != nil else { return }
                // g_A [B, K] = g_z[rows, h] · v[keys, g]ᵀ
                gZ.withUnsafeBufferPointer { gzp in
                    v.withUnsafeBufferPointer { vp in
                        gemm(m: b, n: kk, k: dh, a: gzp.baseAddress! + r0 * qRow + h * dh, lda: qRow,
                             b: vp.baseAddress! + k0 * kvRow + g * dh, ldb: kvRow, transposeB: true, c: ga, ldc: kk)
                    }
                }
                if let observer = attentionObserver {       // whole matrices only (one block)
                    observer(l, h, Tensor(shape: [n, n], storage: Array(ab.prefix(n * n))),
                             Tensor(shape: [n, n], storage: Array(gb.prefix(n * n))))
                }
                guard let qkFactor else { return }
                Self.softmaxBackward(pattern: a, gradient: ga, rows: b, columns: kk)          // g_S, in place
                if cap != nil {                             // through the soft-cap: activation rule (§2.5e)
                    for i in 0..<(b * kk) { ga[i] *= work.capFactor[i] }
                }
                let alpha = qkFactor * scale
                // g_q[rows, h] = f·scale · g_S · k[keys, g]    ([B, K] · [K, dh])
                k.withUnsafeBufferPointer { kp in
                    grads.q.withUnsafeMutableBufferPointer { gqp in
                        gemm(m: b, n: dh, k: kk, a: ga, lda: kk, b: kp.baseAddress! + k0 * kvRow + g * dh, ldb: kvRow,
                             transposeB: false, c: gqp.baseAddress! + r0 * qRow + h * dh, ldc: qRow, alpha: alpha)
                    }
                }
                // g_k[keys, g] += f·scale · g_Sᵀ · q[rows, h]   ([B, K]ᵀ · [B, dh] → [K, dh])
                q.withUnsafeBufferPointer { qp in
                    grads.k.withUnsafeMutableBufferPointer { gkp in
                        gemm(m: kk, n: dh, k: b, a: ga, lda: kk, transposeA: true, b: qp.baseAddress! + r0 * qRow + h * dh,
                             ldb: qRow, transposeB: false, c: gkp.baseAddress! + k0 * kvRow + g * dh, ldc: kvRow,
                             alpha: alpha, beta: 1)
                    }
                }
            }
        }
    }

    /// Query row blocks of at most `size` rows, each with the keys any of its rows can see:
    /// `0..<r1` (causal), `r0 − w + 1..<r1` (sliding window `w`), `r0 − r..<r1 + r` (bidirectional
    /// window of radius `r`), all (bidirectional).
    static func rowBlocks(n: Int, mask: AttentionMaskKind, size: Int) -> [(rows: Range<Int>, keys: Range<Int>)] {
        guard n > size, size > 0 else { return [(0..<n, 0..<n)] }
        return stride(from: 0, to: n, by: size).map { r0 in
            let r1 = min(n, r0 + size)
            switch mask {
            case .none: return (r0..<r1, 0..<n)
            case .causal: return (r0..<r1, 0..<r1)
            case .slidingWindow(let w): return (r0..<r1, max(0, r0 - w + 1)..<r1)
            case .bidirectionalWindow(let r): return (r0..<r1, max(0, r0 - r)..<min(n, r1 + r))
            }
        }
    }

    /// Sets the entries the mask hides to `-inf` (as `applyMask` does for the whole matrix): global
    /// query `r`, key `c` is visible iff `c ≤ r` (causal) and `r − c < w` (sliding window), or
    /// `|r − c| ≤ radius` (bidirectional window).
    static func mask(_ a: UnsafeMutablePointer<Float>, rows: Range<Int>, keys: Range<Int>, _ mask: AttentionMaskKind) {
        if case .none = mask { return }
        let (kk, k0) = (keys.count, keys.lowerBound)
        for (i, r) in rows.enumerated() {
            // visible keys of row r (AttentionMaskKind.visibleKeys), as local columns [first, end)
            let visible = mask.visibleKeys(last: r, keys: k0 + kk)
            let end = min(kk, max(0, visible.upperBound - k0))
            let first = min(end, max(0, visible.lowerBound - k0))
            let row = a + i * kk
            if first > 0 { row.update(repeating: -.infinity, count: first) }
            if end < kk { (row + end).update(repeating: -.infinity, count: kk - end) }
        }
    }

    /// The attention's input: `ln1` output (pre-norm, sandwich) or the block input (post-norm,
    /// branch-output norms), for Gamma.
    func attentionInput(layer l: Int) throws -> Tensor {
        [.pre, .sandwich].contains(architecture.placement)
            ? try normOutput(weights.blocks[l].ln1, layer: l, site: .ln1)
            : try tensor(.block(l, .residPre))
    }

    /// `heads[l, h] += Σ_{t, j} z[t, h, j]·g_z[t, h, j]`.
    mutating func accumulateHeadRelevance(layer l: Int, z: Tensor, gZ: Tensor) {
        guard latents else { return }
        let (H, dh) = (architecture.heads, architecture.headDim)
        var sums = [Double](repeating: 0, count: H)
        z.withUnsafeBufferPointer { zp in
            gZ.withUnsafeBufferPointer { gp in
                for t in 0..<n {
                    for h in 0..<H {
                        let base = (t * H + h) * dh
                        var s: Float = 0
                        for j in 0..<dh { s += zp[base + j] * gp[base + j] }
                        sums[h] += Double(s)
                    }
                }
            }
        }
        for h in 0..<H { heads[l, h] = Float(sums[h]) }
    }

    /// Softmax backward in place: `g ← A ⊙ (g − rowsum(A ⊙ g))` for `rows × columns` (masked
    /// entries, where `A = 0`, get exactly 0).
    static func softmaxBackward(pattern: UnsafeMutablePointer<Float>, gradient: UnsafeMutablePointer<Float>, rows: Int, columns: Int) {
        let a = UnsafeSendable(pattern), gp = UnsafeSendable(gradient)
        parallelFor(rows) { r in softmaxBackwardRows(pattern: a.base, gradient: gp.base, rows: r..<(r + 1), columns: columns) }
    }

    /// The same on a `[rows, columns]` pattern and gradient.
    static func softmaxBackward(pattern: Tensor, into g: inout Tensor) {
        var a = pattern
        let columns = pattern.dim(-1)
        a.withUnsafeMutableBufferPointer { ap in
            g.withUnsafeMutableBufferPointer { gp in
                softmaxBackward(pattern: ap.baseAddress!, gradient: gp.baseAddress!, rows: ap.count / columns, columns: columns)
            }
        }
    }

    /// `Σ a ⊙ b` over all elements (fp64 accumulation).
    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        Reductions.dot(a, b)
    }

    static func negated(_ t: Tensor) -> Tensor {
        Tensor(shape: t.shape, storage: t.storage.map { -$0 })
    }
}

/// The per-layer gradients at `q` `[n, H, dh]`, `k` and `v` `[n, Hkv, dh]`.
struct AttentionGradients {
    var q: Tensor, k: Tensor, v: Tensor

    init(n: Int, heads: Int, kvHeads: Int, headDim: Int) {
        q = .zeros([n, heads, headDim])
        k = .zeros([n, kvHeads, headDim])
        v = .zeros([n, kvHeads, headDim])
    }
}

/// One layer's cached `q`, `k`, `v`, kept pattern (or nil) and the gradient at `z` `[n, H·dh]`.
struct LayerAttention {
    let q: Tensor, k: Tensor, v: Tensor, kept: Tensor?, gZ: Tensor
}

/// Scratch for one head block: the pattern, the gradient at it and, with soft-capped scores, the
/// cap's local factor (`B·K` floats each).
struct AttentionWork {
    var pattern: [Float], gradient: [Float], capFactor: [Float]

    init(capacity: Int, softCapped: Bool = false) {
        pattern = [Float](repeating: 0, count: capacity)
        gradient = [Float](repeating: 0, count: capacity)
        capFactor = [Float](repeating: 0, count: softCapped ? capacity : 0)
    }
}
