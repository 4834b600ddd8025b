import GlassboxTensor

extension Architecture {
    /// Layer `layer`'s step from the scaled products `S = scale · q·kᵀ` `[heads, n, n]` to the scores
    /// the softmax reads, in place: ALiBi's `slope_h · j` where positions are ALiBi biases, then
    /// Gemma 2's soft-cap `cap·tanh(S/cap)`, then the layer's mask (causal, sliding window, or none)
    /// to `-inf`. The forward pass's full attention path and every analysis that recomputes a
    /// pattern call this one function, so they cannot drift apart.
    ///
    /// - Parameter head: the one head `scores` (`[n, n]` or `[1, n, n]`) belong to; `nil` when they
    ///   are all `H` heads' `[H, n, n]`.
    public func finishScores(_ scores: inout Tensor, layer: Int, head: Int? = nil) {
        if let slopes = alibiSlopes {
            addALiBi(&scores, slopes: head.map { [slopes[$0]] } ?? slopes, origin: alibiOrigin)
        }
        if let cap = attentionSoftCap { softCap(&scores, cap) }   // Gemma 2: before the mask
        applyMask(&scores, attentionMask(layer: layer))
    }
}

extension AttentionWeights {
    /// The queries layer `layer`'s scores read, recomputed from `hook_q` values `q [n, H, dh]` at
    /// positions `0..<n` without hooks: the QK-norm where the model has one (per head, or over the
    /// whole `H·dh` projection in OLMo 2), with `clip_qkv`'s clamp before it (OLMo) or after it
    /// (OLMoE), then the rotary embedding where the model has one; the forward pass's order and kernels. Returns `[n, H, dh]` (what `Architecture.scoredQuery` holds).
    public func scoredQueries(_ q: Tensor, layer: Int, architecture arch: Architecture) -> Tensor {
        scored(q, norm: queryNorm, layer: layer, architecture: arch)
    }

    /// The keys layer `layer`'s scores read, from `hook_k` values `k [n, Hkv, dh]`, as `scoredQueries`.
    public func scoredKeys(_ k: Tensor, layer: Int, architecture arch: Architecture) -> Tensor {
        scored(k, norm: keyNorm, layer: layer, architecture: arch)
    }

    /// The clamp (`clip_qkv`) at its point, QK-norm, then RoPE on `x [n, heads, dh]` → `[n, heads, dh]`.
    private func scored(_ x: Tensor, norm: Norm?, layer: Int, architecture arch: Architecture) -> Tensor {
        var y = x
        arch.clipQK(&y, at: .projection)                                        // OLMo's clip_qkv
        if let norm {
            if arch.qkNormScope == .wholeProjection {
                let n = y.shape[0]
                y = norm(y.reshaped([n, y.count / max(n, 1)])).reshaped(x.shape)   // γ [heads·dh]
            } else {
                y = norm.perHead(y)                                              // γ [dh]
            }
        }
        arch.clipQK(&y, at: .afterQKNorm)                                       // OLMoE's clip_qkv
        if let rope = arch.rotary(layer: layer) {
            let tables = rope.tables(length: x.shape[0])
            applyRotary(&y, cos: tables.cos, sin: tables.sin, layout: rope.layout)
        }
        return y
    }
}
