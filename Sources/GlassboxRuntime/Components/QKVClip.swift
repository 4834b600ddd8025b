import GlassboxTensor

extension Architecture {
    /// `clip_qkv` (transformers 4.53.3 `OlmoAttention.forward`: `query_states.clamp_(min=-c,
    /// max=c)`, likewise keys and values, after the projections and before the head split and RoPE;
    /// `OlmoeAttention.forward` the same after its QK-norm): every element of `x` (q `[n, H, dh]`,
    /// k or v `[n, Hkv, dh]`, any shape) clamped to `[−c, c]` in place; nothing without a clip.
    /// `hook_q`/`hook_k`/`hook_v` fire before it (the projections' outputs, what a forward hook on
    /// `q_proj` records), as do the QK-norm's `scale`/`normalized` (inside `q_norm`, whose output the
    /// clamp then changes); `rot_q`/`rot_k` and `z` after it. Values use this directly; queries and
    /// keys go through `clipQK(_:at:)`, which places the clamp at `qkvClipPoint`.
    public func clipQKV(_ x: inout Tensor) {
        guard let c = qkvClip else { return }
        x.withUnsafeMutableBufferPointer { p in
            for i in p.indices { p[i] = Swift.min(Swift.max(p[i], -c), c) }
        }
    }

    /// The clamp's backward on `g`, the gradient at its output (any shape, as `x`): `g` where
    /// `−c ≤ x ≤ c` and 0 where `x` was clipped (torch's `clamp` derivative; LXT 2.1 has no rule for
    /// a clamp, so its gradient passes). `x` is the clamp's input (`hook_q`/`hook_k`/`hook_v`).
    /// Returns what the clipped elements keep in the gradient × input form, `Σ_clipped ±c · g` (the
    /// clamp's output there is the constant `±c` (`c` for every element when `c < 0`, as torch's clamp), which hands nothing on, as a bias); 0 without a clip.
    @discardableResult
    public func clipQKV(backward g: inout Tensor, input x: Tensor) -> Double {
        guard let c = qkvClip else { return 0 }
        precondition(g.count == x.count, "clip_qkv backward: gradient and input sizes differ")
        var kept = 0.0
        x.withUnsafeBufferPointer { xp in
            g.withUnsafeMutableBufferPointer { gp in
                for i in gp.indices where xp[i] > c || xp[i] < -c {
                    kept += Double(Swift.min(Swift.max(xp[i], -c), c)) * Double(gp[i])   // the clamp's output
                    gp[i] = 0
                }
            }
        }
        return kept
    }

    /// The clamp of queries or keys `x` where the model clamps them: `clipQKV` when `point` is
    /// `qkvClipPoint`, nothing at the other point. Every path that turns `hook_q`/`hook_k` into what
    /// the scores read calls this at both points, `.projection` before the QK-norm and
    /// `.afterQKNorm` after it (where a model has no QK-norm the two points coincide).
    public func clipQK(_ x: inout Tensor, at point: QKVClipPoint) {
        if point == qkvClipPoint { clipQKV(&x) }
    }

    /// Cached `scoredQuery` / `scoredKey` values `x` as the scores read them. In a model without a
    /// rotary embedding those points are `hook_q` / `hook_k` themselves, which fire before
    /// clip_qkv's clamp at the projections (MPT: `MptAttention` clamps the fused `Wqkv` output), so
    /// the clamp is applied here; in rotary models `hook_rot_q` / `hook_rot_k` already hold it.
    public func scored(_ x: Tensor) -> Tensor {
        if case .rotary = position { return x }
        var y = x
        clipQK(&y, at: .projection)
        return y
    }

    /// `clipQKV(backward:input:)` for queries or keys at `point`: the clamp's backward when it acts
    /// there (`x` its input: `hook_q`/`hook_k` at `.projection`, the QK-norm's output at
    /// `.afterQKNorm`); 0 and `g` unchanged at the other point.
    @discardableResult
    public func clipQK(backward g: inout Tensor, input x: @autoclosure () throws -> Tensor, at point: QKVClipPoint) rethrows -> Double {
        guard qkvClip != nil, point == qkvClipPoint else { return 0 }
        return clipQKV(backward: &g, input: try x())
    }
}
