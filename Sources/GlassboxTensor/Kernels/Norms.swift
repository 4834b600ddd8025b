/// LayerNorm statistics over the last dimension (no affine part; see `affine`).
///
/// - Parameters:
///   - x: `[n, d]` (any rank ≥ 1: `[..., d]`).
///   - eps: added to the biased variance, as in `torch.nn.LayerNorm`.
/// - Returns: `normalized` `[n, d]` = (x − μ) / scale, and `scale` `[n, 1]` = sqrt(mean((x − μ)²) + eps).
///
/// Sums are taken in blocks of 16-lane Float vectors reduced into Double (a C kernel, the current
/// ``KernelVariant``: FMA for the squares where the CPU has it), and the variance is
/// computed around the first-pass mean with the usual correction term (corrected two-pass), so
/// μ and scale are accurate to ~1e-7 relative. `normalized` multiplies by the Float reciprocal of
/// the Double-precision scale (PyTorch multiplies by rsqrt too).
public func layerNormalize(_ x: Tensor, eps: Float) -> (normalized: Tensor, scale: Tensor) {
    normalize(x, eps: eps, centered: true)
}

/// RMSNorm statistics over the last dimension.
///
/// - Parameters:
///   - x: `[n, d]` (any rank ≥ 1: `[..., d]`).
///   - eps: added to mean(x²), as in Llama's `RMSNorm`.
/// - Returns: `normalized` `[n, d]` = x / scale, and `scale` `[n, 1]` = sqrt(mean(x²) + eps).
public func rmsNormalize(_ x: Tensor, eps: Float) -> (normalized: Tensor, scale: Tensor) {
    normalize(x, eps: eps, centered: false)
}

/// Per-feature affine map after a normalization.
///
/// - Parameters:
///   - x: `[n, d]` (any rank ≥ 1: `[..., d]`).
///   - gamma: `[d]` multiplier, or nil for 1.
///   - beta: `[d]` offset, or nil for 0.
/// - Returns: `[n, d]` with y = x ⊙ gamma + beta broadcast over rows.
public func affine(_ x: Tensor, gamma: Tensor?, beta: Tensor?) -> Tensor {
    precondition(x.rank >= 1, "affine: x must have rank ≥ 1")
    let d = x.dim(-1)
    if let gamma { precondition(gamma.count == d, "affine: gamma \(gamma.shape) does not match d = \(d)") }
    if let beta { precondition(beta.count == d, "affine: beta \(beta.shape) does not match d = \(d)") }
    var y = x
    guard d > 0, x.count > 0 else { return y }
    let rows = x.count / d
    let ones = [Float](repeating: 1, count: gamma == nil ? d : 0)
    let zeros = [Float](repeating: 0, count: beta == nil ? d : 0)
    (gamma?.storage ?? ones).withUnsafeBufferPointer { gb in
        (beta?.storage ?? zeros).withUnsafeBufferPointer { bb in
            y.withUnsafeMutableBufferPointer { yb in
                let g = gb.baseAddress!, b = bb.baseAddress!, out = yb.baseAddress!
                for r in 0..<rows {
                    let row = out + r * d
                    for j in 0..<d { row[j] = row[j] * g[j] + b[j] }
                }
            }
        }
    }
    return y
}

// MARK: - Implementation

private func normalize(_ x: Tensor, eps: Float, centered: Bool) -> (normalized: Tensor, scale: Tensor) {
    precondition(x.rank >= 1, "\(centered ? "layerNormalize" : "rmsNormalize"): x must have rank ≥ 1")
    let d = x.dim(-1)
    var scaleShape = Array(x.shape.dropLast())
    scaleShape.append(1)
    guard d > 0 else {
        return (x, Tensor(shape: scaleShape, repeating: Float(Double(eps).squareRoot())))
    }
    let rows = x.count / d
    var normalized = x
    var scale = Tensor.zeros(scaleShape)
    normalized.withUnsafeMutableBufferPointer { nb in
        scale.withUnsafeMutableBufferPointer { sb in
            guard rows > 0 else { return }
            let xp = SendablePointer(nb.baseAddress!), sp = SendablePointer(sb.baseAddress!)
            let kernels = KernelTable.current
            parallelChunks(rows, grain: max(1, (1 << 15) / d)) { range in
                kernels.normalizeRows(xp.base + range.lowerBound * d, rows: range.count, d: d, eps: eps,
                                      centered: centered, scale: sp.base + range.lowerBound)
            }
        }
    }
    return (normalized, scale)
}
