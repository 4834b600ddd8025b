import GlassboxRuntime
import GlassboxTensor

/// The backward of LayerNorm / RMSNorm, `y = γ ⊙ x̂ + β` with `x̂ = (x − μ)/σ` (or `x/σ`), per row.
enum NormRules {
    /// `g_x [m, d]` from `g_y [m, d]`, with `u = γ ⊙ g_y`:
    ///
    /// - `.frozenStatistics` (AttnLRP §3.3; LXT `layer_norm_forward` / `rms_norm_forward`, σ detached):
    ///   LayerNorm `g_x = (u − mean(u))/σ` (the centring stays an ε = 0 linear map, `β` absorbs);
    ///   RMSNorm `g_x = u/σ` (the whole layer an identity: exactly conservative).
    /// - `.gradient`: the true derivative, LayerNorm `(u − mean(u) − x̂·mean(u ⊙ x̂))/σ`,
    ///   RMSNorm `(u − x̂·mean(u ⊙ x̂))/σ`.
    ///
    /// - Parameters:
    ///   - normalized: `x̂ [m, d]`, before `γ`, `β` (recomputed from the norm's input: a LayerNorm's
    ///     `hook_normalized` is its output); read only by `.gradient`.
    ///   - scale: `σ [m, 1]` (`hook_scale`).
    ///   Rows of `g_y` that are entirely zero give zero rows without further work.
    static func backward(_ norm: Norm, _ gy: Tensor, normalized: () throws -> Tensor, scale: Tensor,
                         rule: RelevanceRule) rethrows -> Tensor {
        if case .identity = norm.kind { return affine(gy, gamma: norm.weight, beta: nil) }   // y = γ ⊙ x (γ = 1)
        let d = gy.dim(-1), rows = gy.count / max(d, 1)
        precondition(scale.count == rows, "norm backward: scale \(scale.shape) for \(rows) rows")
        let centered = if case .layerNorm = norm.kind { true } else { false }
        let exact = rule == .gradient
        let xhat = exact ? try normalized() : nil
        var gx = Tensor.zeros(gy.shape)
        gy.withUnsafeBufferPointer { g in
            norm.weight.withUnsafeBufferPointer { gamma in
                gx.withUnsafeMutableBufferPointer { out in
                    let (gp, gammaP, op) = (UnsafeSendable(UnsafeMutablePointer(mutating: g.baseAddress!)),
                                            UnsafeSendable(UnsafeMutablePointer(mutating: gamma.baseAddress!)),
                                            UnsafeSendable(out.baseAddress!))
                    let inverse = scale.storage.map { 1 / Double($0) }
                    let xh = xhat?.storage
                    let rowsPerTask = max(1, (1 << 14) / max(d, 1))
                    parallelFor((rows + rowsPerTask - 1) / rowsPerTask) { task in
                        for r in (task * rowsPerTask)..<min(rows, (task + 1) * rowsPerTask) {
                            let row = gp.base + r * d, o = op.base + r * d
                            guard (0..<d).contains(where: { row[$0] != 0 }) else { continue }
                            var mean = 0.0, dot = 0.0
                            for j in 0..<d {
                                let u = Double(gammaP.base[j] * row[j])
                                mean += u
                                if let xh { dot += u * Double(xh[r * d + j]) }
                            }
                            mean = centered ? mean / Double(d) : 0
                            dot /= Double(d)
                            for j in 0..<d {
                                var v = Double(gammaP.base[j] * row[j]) - mean
                                if let xh { v -= Double(xh[r * d + j]) * dot }
                                o[j] = Float(v * inverse[r])
                            }
                        }
                    }
                }
            }
        }
        return gx
    }
}
