import GlassboxTensor

/// The sweep's sums over `[rows, columns]` tensors (latent relevance, the budget's ledger), on
/// `parallelFor` workers in fixed chunks combined in a fixed order, so a result does not depend on
/// the thread count. fp64 accumulation throughout.
enum Reductions {
    /// Columns per task of the column sums (a row segment of 256 bytes).
    static let columnChunk = 64

    /// `Σ_r a[r, j]·b[r, j]` (or `Σ_r a[r, j]` without `b`) per column `j`, with the product taken in
    /// Float and accumulated in Double → `[columns]`.
    static func columnSums(_ a: Tensor, times b: Tensor? = nil, columns: Int) -> [Double] {
        precondition(b == nil || b!.count == a.count, "columnSums: \(a.shape) vs \(b!.shape)")
        guard columns > 0 else { return [] }
        let rows = a.count / columns
        var sums = [Double](repeating: 0, count: columns)
        let chunks = (columns + columnChunk - 1) / columnChunk
        a.withUnsafeBufferPointer { ab in
            (b ?? Tensor.zeros([0])).withUnsafeBufferPointer { bb in
                sums.withUnsafeMutableBufferPointer { sb in
                    let (ap, out) = (SendablePointer(UnsafeMutablePointer(mutating: ab.baseAddress!)), SendablePointer(sb.baseAddress!))
                    let bp = b == nil ? nil : SendablePointer(UnsafeMutablePointer(mutating: bb.baseAddress!))
                    parallelFor(chunks) { c in
                        let j0 = c * columnChunk, j1 = min(columns, j0 + columnChunk)
                        for r in 0..<rows {
                            let row = r * columns
                            if let bp {
                                for j in j0..<j1 { out.base[j] += Double(ap.base[row + j] * bp.base[row + j]) }
                            } else {
                                for j in j0..<j1 { out.base[j] += Double(ap.base[row + j]) }
                            }
                        }
                    }
                }
            }
        }
        return sums
    }

    /// `Σ_j a[r, j]·b[r, j]` per row `r` (Double products and sums) → `[rows]`.
    static func rowDots(_ a: Tensor, _ b: Tensor, columns: Int) -> [Float] {
        precondition(a.count == b.count, "rowDots: \(a.shape) vs \(b.shape)")
        let rows = a.count / max(columns, 1)
        var result = [Float](repeating: 0, count: rows)
        guard rows > 0 else { return result }
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                result.withUnsafeMutableBufferPointer { rb in
                    let (ap, bp, out) = (SendablePointer(UnsafeMutablePointer(mutating: ab.baseAddress!)),
                                         SendablePointer(UnsafeMutablePointer(mutating: bb.baseAddress!)), SendablePointer(rb.baseAddress!))
                    parallelFor(rows) { r in
                        var s = 0.0
                        for j in (r * columns)..<((r + 1) * columns) { s += Double(ap.base[j]) * Double(bp.base[j]) }
                        out.base[r] = Float(s)
                    }
                }
            }
        }
        return result
    }

    /// `Σ a ⊙ b` over all elements (Double products and sums), in chunks of `4·columnChunk²`
    /// elements (each summed in 8 lanes) added in order.
    static func dot(_ a: Tensor, _ b: Tensor) -> Double {
        precondition(a.count == b.count, "dot: \(a.shape) vs \(b.shape)")
        let chunk = columnChunk * columnChunk * 4
        let chunks = (a.count + chunk - 1) / chunk
        var partial = [Double](repeating: 0, count: chunks)
        guard chunks > 0 else { return 0 }
        a.withUnsafeBufferPointer { ab in
            b.withUnsafeBufferPointer { bb in
                partial.withUnsafeMutableBufferPointer { pb in
                    let (ap, bp, out) = (SendablePointer(UnsafeMutablePointer(mutating: ab.baseAddress!)),
                                         SendablePointer(UnsafeMutablePointer(mutating: bb.baseAddress!)), SendablePointer(pb.baseAddress!))
                    let count = ab.count
                    parallelFor(chunks) { c in
                        // 8 Double lanes (element i in lane i mod 8), then the lanes in order and the tail.
                        let start = c * chunk, end = min(count, (c + 1) * chunk)
                        var lanes = SIMD8<Double>.zero
                        var i = start
                        while i + 8 <= end {
                            lanes += SIMD8<Double>(UnsafeRawPointer(ap.base + i).loadUnaligned(as: SIMD8<Float>.self))
                                * SIMD8<Double>(UnsafeRawPointer(bp.base + i).loadUnaligned(as: SIMD8<Float>.self))
                            i += 8
                        }
                        var s = lanes.sum()
                        while i < end { s += Double(ap.base[i]) * Double(bp.base[i]); i += 1 }
                        out.base[c] = s
                    }
                }
            }
        }
        return partial.reduce(0, +)
    }
}
