import GlassboxRuntime
import GlassboxTensor

/// Recomputes one head's attention pattern from the cached (post-RoPE) `q` and `k`, with the
/// forward's own kernels (`gemm`, `Architecture.finishScores`, `softmaxLastDim`), so the values are bitwise those
/// of `Attention+Forward`. The sweeps keep no `[H, n, n]` tensors: each head's pattern is rebuilt
/// when its backward needs it.
enum AttentionPatterns {
    /// Writes `A_h = softmax(mask(cap(scale · q[:, h] · k[:, g]ᵀ + alibi_h)))` `[n, n]` into `pattern`
    /// (`cap`: Gemma 2's soft-cap, `alibi_h`: ALiBi's `slope_h · j`, where the model has them;
    /// `Architecture.finishScores`).
    ///
    /// - Parameters:
    ///   - q: `[n, H, dh]`; k: `[n, Hkv, dh]`; `g = h ÷ (H/Hkv)`.
    static func pattern(q: Tensor, k: Tensor, head h: Int, layer l: Int, architecture arch: Architecture,
                        into pattern: inout Tensor) {
        let (n, H, Hkv, dh) = (q.shape[0], arch.heads, arch.kvHeads, arch.headDim)
        let g = h / (H / Hkv)
        precondition(pattern.shape == [n, n], "pattern buffer \(pattern.shape) for n = \(n)")
        q.withUnsafeBufferPointer { qp in
            k.withUnsafeBufferPointer { kp in
                pattern.withUnsafeMutableBufferPointer { ap in
                    gemm(m: n, n: n, k: dh, a: qp.baseAddress! + h * dh, lda: H * dh,
                         b: kp.baseAddress! + g * dh, ldb: Hkv * dh, transposeB: true,
                         c: ap.baseAddress!, ldc: n, alpha: arch.attentionScale(layer: l))
                }
            }
        }
        arch.finishScores(&pattern, layer: l, head: h)
        softmaxLastDim(&pattern)
    }
}
