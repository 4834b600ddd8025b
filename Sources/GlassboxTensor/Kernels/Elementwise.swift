/// a += b elementwise, in place.
///
/// - Parameters:
///   - a: any shape.
///   - b: the same shape as `a`.
public func addInPlace(_ a: inout Tensor, _ b: Tensor) {
    precondition(a.shape == b.shape, "addInPlace: shapes \(a.shape) and \(b.shape) differ")
    b.withUnsafeBufferPointer { bb in
        a.withUnsafeMutableBufferPointer { ab in
            guard let ap = ab.baseAddress, let bp = bb.baseAddress else { return }
            for i in 0..<ab.count { ap[i] += bp[i] }
        }
    }
}

/// a[r, :] += row for every row r, in place.
///
/// - Parameters:
///   - a: `[n, d]` (any rank ≥ 1: `[..., d]`).
///   - row: `[d]` (any shape with `d` elements).
public func addRowInPlace(_ a: inout Tensor, _ row: Tensor) {
    precondition(a.rank >= 1, "addRowInPlace: a must have rank ≥ 1")
    let d = a.dim(-1)
    precondition(row.count == d, "addRowInPlace: row \(row.shape) does not match last dim of \(a.shape)")
    guard d > 0 else { return }
    let rows = a.count / d
    row.withUnsafeBufferPointer { rb in
        a.withUnsafeMutableBufferPointer { ab in
            guard let ap = ab.baseAddress, let rp = rb.baseAddress else { return }
            for r in 0..<rows {
                let p = ap + r * d
                for j in 0..<d { p[j] += rp[j] }
            }
        }
    }
}

/// a *= s elementwise, in place.
///
/// - Parameter a: any shape.
public func scaleInPlace(_ a: inout Tensor, _ s: Float) {
    a.withUnsafeMutableBufferPointer { ab in
        guard let ap = ab.baseAddress else { return }
        for i in 0..<ab.count { ap[i] *= s }
    }
}

/// a + b elementwise.
///
/// - Parameters:
///   - a: any shape.
///   - b: the same shape as `a`.
/// - Returns: the sum, shaped like `a`.
public func added(_ a: Tensor, _ b: Tensor) -> Tensor {
    var y = a
    addInPlace(&y, b)
    return y
}

/// Sum of all finite entries of `a` (NaN and ±infinity skipped), accumulated in Double. Used by
/// trace printing as a cheap fingerprint.
///
/// - Parameter a: any shape.
public func finiteSum(_ a: Tensor) -> Double {
    a.withUnsafeBufferPointer { ab in
        var s = 0.0
        for v in ab where v.isFinite { s += Double(v) }
        return s
    }
}

/// The largest elementwise |a − b| and the first flat index where it occurs.
///
/// - Parameters:
///   - a: any shape.
///   - b: the same number of elements as `a` (compared in flat row-major order).
/// - Returns: `value` is +infinity where one side is NaN and the other is not, or where the two are
///   different infinities / an infinity and a finite number; NaN vs NaN and equal infinities count
///   as 0. `index` is -1 for empty tensors, otherwise the first index attaining `value`.
public func maxAbsDifference(_ a: Tensor, _ b: Tensor) -> (value: Float, index: Int) {
    precondition(a.count == b.count, "maxAbsDifference: \(a.shape) and \(b.shape) differ in size")
    guard a.count > 0 else { return (0, -1) }
    return a.withUnsafeBufferPointer { ab in
        b.withUnsafeBufferPointer { bb in
            var best: Float = -1, bestIndex = 0
            for i in 0..<ab.count {
                let x = ab[i], y = bb[i]
                let d: Float
                if x.isNaN || y.isNaN {
                    d = (x.isNaN && y.isNaN) ? 0 : .infinity
                } else if x == y {
                    d = 0                                   // includes equal infinities
                } else {
                    d = abs(x - y)                          // inf when either side is infinite
                }
                if d > best {
                    best = d
                    bestIndex = i
                }
            }
            return (best, bestIndex)
        }
    }
}
