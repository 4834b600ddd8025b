import GlassboxRuntime
import GlassboxTensor

/// Chefer et al.'s relevance propagation (CVPR 2021, `ViT_LRP.py` / `BERT.py` `relprop`), top-down
/// over cached activations, reporting each head's relevance at its attention probabilities
/// `R_A [n, n]` (after the ÷2 of `A·v`, the code's `attn_cam`).
///
/// Rules (`CheferRules`): linear α=1 β=0; residual adds by the z-rule with abs-sum rescaling;
/// `A·v` and `q·kᵀ` by the z-rule, then ÷2 per operand; softmax, LayerNorm, RMSNorm, GELU, tanh,
/// dropout identities. Beyond the reference (GPT-2 / Llama have no Chefer implementation): RoPE
/// by the z-rule through the rotation, GQA by summing the shared K/V heads' relevance (their
/// `Clone`), gated MLPs by the z-rule on the product then ÷2 per factor (as their matmuls).
struct CheferSweep {
    let model: TransformerModel
    let cache: ActivationCache
    let n: Int
    /// Called with each head's `R_A [n, n]`, layers top-down.
    var observer: (_ layer: Int, _ head: Int, _ relevance: Tensor) -> Void

    var architecture: Architecture { model.architecture }
    var weights: TransformerWeights { model.weights }

    func tensor(_ point: HookPoint) throws -> Tensor {
        guard let t = cache[point] else {
            throw AnalysisError.invalidOption("chefer: hook \(point.name) was not captured by the forward pass")
        }
        return t
    }

    /// Every point except the `[H, n, n]` ones (patterns are recomputed per head) and `hook_result`.
    static let capture = HookFilter.matching { point in
        if case .block(_, let site) = point { return site != .attnScores && site != .pattern && site != .result }
        return true
    }

    /// Propagates from relevance at the last block's output `[n, d]` down to block `stopLayer`;
    /// returns the relevance at that block's input.
    @discardableResult
    func blocks(_ relevance: Tensor, stopLayer: Int) throws -> Tensor {
        if let refusal = TransformerAttribution.refusal(model) { throw refusal }
        var r = relevance
        for l in stride(from: architecture.layers - 1, through: stopLayer, by: -1) {
            let block = weights.blocks[l]
            let residPre = try tensor(.block(l, .residPre)), attnOut = try tensor(.block(l, .attnOut))
            let mlpOut = try tensor(.block(l, .mlpOut))
            switch architecture.placement {
            case .pre:
                // out = mid + mlp(ln2(mid)); mid = pre + attn(ln1(pre)); norms: identity
                let (rMid, rMLP) = CheferRules.add(try tensor(.block(l, .residMid)), mlpOut, relevance: r)
                var rMidTotal = rMid
                addInPlace(&rMidTotal, try mlp(layer: l, rMLP, input: norm(block.ln2, l, .ln2)))
                let (rPre, rAttn) = CheferRules.add(residPre, attnOut, relevance: rMidTotal)
                r = rPre
                addInPlace(&r, try attention(layer: l, rAttn, input: norm(block.ln1, l, .ln1)))
            case .sandwich, .branchOutput:
                preconditionFailure("refused above")
            case .post:
                // out = ln2(h + mlp(h)); h = ln1(pre + attn(pre)); norms: identity
                let h = try norm(block.ln1, l, .ln1)
                let (rMLP, rH) = CheferRules.add(mlpOut, h, relevance: r)
                var rHTotal = rH
                addInPlace(&rHTotal, try mlp(layer: l, rMLP, input: h))
                let (rAttn, rPre) = CheferRules.add(attnOut, residPre, relevance: rHTotal)
                r = rPre
                addInPlace(&r, try attention(layer: l, rAttn, input: residPre))
            }
        }
        return r
    }

    /// The output `γ ⊙ x̂ + β` `[n, d]` of a block norm, recomputed from its cached input.
    func norm(_ norm: Norm, _ l: Int, _ site: NormSiteKind) throws -> Tensor {
        norm(try tensor(site.input(layer: l, architecture: architecture)))
    }

    /// MLP relprop: relevance at its input `[n, d]` from relevance at `hook_mlp_out`.
    func mlp(layer l: Int, _ r: Tensor, input: Tensor) throws -> Tensor {
        let w = weights.blocks[l].mlp
        let pre = try tensor(.block(l, .mlpPre))
        var post = pre
        architecture.activation.apply(&post)
        let up: Tensor? = w.up == nil ? nil : try tensor(.block(l, .mlpPreLinear))
        if let up { multiplyInPlace(&post, up) }
        var rPost = CheferRules.linear(w.output, input: post, relevance: r)       // [n, dff]
        guard let upWeights = w.up else {
            return CheferRules.linear(w.input, input: input, relevance: rPost)   // activation: identity
        }
        // z-rule on φ(gate) ⊙ up gives each factor R (where the product is non-zero); ÷2 each.
        for i in 0..<rPost.count where post.storage[i] == 0 { rPost.storage[i] = 0 }
        scaleInPlace(&rPost, 0.5)
        var out = CheferRules.linear(w.input, input: input, relevance: rPost)
        addInPlace(&out, CheferRules.linear(upWeights, input: input, relevance: rPost))
        return out
    }

    /// Attention relprop: relevance at its input `[n, d]` from relevance at `hook_attn_out`,
    /// reporting `R_A` per head.
    func attention(layer l: Int, _ r: Tensor, input x: Tensor) throws -> Tensor {
        let arch = architecture, w = weights.blocks[l].attention
        let (H, Hkv, dh) = (arch.heads, arch.kvHeads, arch.headDim)
        let q = try tensor(.block(l, arch.scoredQuery)), k = try tensor(.block(l, arch.scoredKey))   // rotated (RoPE)
        let v = try tensor(.block(l, .v))
        let z = try tensor(.block(l, .z))
        let rZ = CheferRules.linear(w.output, input: z.reshaped([n, H * dh]), relevance: r)   // [n, H·dh]
        var rQ = Tensor.zeros([n, H, dh]), rK = Tensor.zeros([n, Hkv, dh]), rV = Tensor.zeros([n, Hkv, dh])
        var pattern = Tensor.zeros([n, n])
        for h in 0..<H {
            let g = h / (H / Hkv)
            AttentionPatterns.pattern(q: q, k: k, head: h, layer: l, architecture: arch, into: &pattern)
            let qh = Self.slice(q, head: h), kg = Self.slice(k, head: g), vg = Self.slice(v, head: g)   // [n, dh]
            // A·v: S = R_z / z; R_A = A ⊙ (S·vᵀ)/2; R_v = v ⊙ (Aᵀ·S)/2
            let s = CheferRules.ratio(Self.slice(rZ.reshaped([n, H, dh]), head: h), Self.slice(z, head: h))
            var rA = matmul(s, vg, transposeB: true)                                  // [n, n]
            multiplyInPlace(&rA, pattern)
            scaleInPlace(&rA, 0.5)
            var rv = matmul(Self.transposed(pattern), s)                              // [n, dh]
            multiplyInPlace(&rv, vg)
            scaleInPlace(&rv, 0.5)
            Self.accumulate(&rV, rv, head: g)
            observer(l, h, rA)
            // softmax: identity; q·kᵀ: S = R_A / (q·kᵀ); R_q = q ⊙ (S·k)/2; R_k = k ⊙ (Sᵀ·q)/2
            let s2 = CheferRules.ratio(rA, matmul(qh, kg, transposeB: true))
            var rq = matmul(s2, kg)
            multiplyInPlace(&rq, qh)
            scaleInPlace(&rq, 0.5)
            Self.accumulate(&rQ, rq, head: h)
            var rk = matmul(Self.transposed(s2), qh)
            multiplyInPlace(&rk, kg)
            scaleInPlace(&rk, 0.5)
            Self.accumulate(&rK, rk, head: g)
        }
        if let rope = arch.rotary(layer: l) {   // the layer's own (ModernBERT's local θ); NoPE layers rotate nothing
            // The pure rotation: with cos/sin scaled by s (LongRoPE, YaRN) the map is s·Rot, and the
            // z-rule's x_pre = Rot⁻¹·x_rot / s times s·Rotᵀ·(R / x_rot) is the same product.
            let tables = ropeTables(positions: Array(0..<n), inverseFrequencies: rope.inverseFrequencies(length: n),
                                    layout: rope.layout)
            rQ = Self.unrotate(relevance: rQ, rotated: q, tables, layout: rope.layout)
            rK = Self.unrotate(relevance: rK, rotated: k, tables, layout: rope.layout)
        }
        var out = CheferRules.linear(w.query, input: x, relevance: rQ.reshaped([n, H * dh]))
        addInPlace(&out, CheferRules.linear(w.key, input: x, relevance: rK.reshaped([n, Hkv * dh])))
        addInPlace(&out, CheferRules.linear(w.value, input: x, relevance: rV.reshaped([n, Hkv * dh])))
        return out
    }

    /// z-rule through RoPE's rotation: `R_pre = x_pre ⊙ Rotᵀ·(R / x_rot)`, `x_pre = Rot⁻¹·x_rot`.
    static func unrotate(relevance r: Tensor, rotated: Tensor, _ tables: (cos: Tensor, sin: Tensor),
                         layout: RotaryLayout) -> Tensor {
        let minusSin = ReverseSweep.negated(tables.sin)
        var s = CheferRules.ratio(r, rotated)
        applyRotary(&s, cos: tables.cos, sin: minusSin, layout: layout)
        var pre = rotated
        applyRotary(&pre, cos: tables.cos, sin: minusSin, layout: layout)
        multiplyInPlace(&s, pre)
        return s
    }

    /// Head `h` of `[n, heads, dh]` → `[n, dh]`.
    static func slice(_ x: Tensor, head h: Int) -> Tensor {
        let (n, heads, dh) = (x.shape[0], x.shape[1], x.shape[2])
        var out = Tensor.zeros([n, dh])
        for t in 0..<n { for j in 0..<dh { out.storage[t * dh + j] = x.storage[(t * heads + h) * dh + j] } }
        return out
    }

    /// `x[:, h, :] += part` for `x [n, heads, dh]`, `part [n, dh]`.
    static func accumulate(_ x: inout Tensor, _ part: Tensor, head h: Int) {
        let (n, heads, dh) = (x.shape[0], x.shape[1], x.shape[2])
        for t in 0..<n { for j in 0..<dh { x.storage[(t * heads + h) * dh + j] += part.storage[t * dh + j] } }
    }

    static func transposed(_ m: Tensor) -> Tensor {
        let (r, c) = (m.shape[0], m.shape[1])
        var out = Tensor.zeros([c, r])
        for i in 0..<r { for j in 0..<c { out.storage[j * r + i] = m.storage[i * c + j] } }
        return out
    }
}
