/// Vectorized elementary functions on `SIMD16<Float>`, the building blocks of the softmax and
/// activation kernels.
///
/// Everything is branch-free: range limits use `.replacing(with:where:)` (`.clamped` compiles to a
/// slow per-lane loop), FMAs use `addingProduct`, and NaN propagates through every function.
public enum VectorMath {
    /// Lanes below this (ln of the smallest normal float) give exactly 0.
    public static let expLowerLimit: Float = -87.33654
    /// Lanes above this give +infinity (true overflow is at 88.72; the last 0.35 saturates early).
    public static let expUpperLimit: Float = 88.37626

    /// e^x per lane, Cephes `expf` scheme: x = n·ln2 + r with |r| ≤ ln2/2 (Cody–Waite split of ln2),
    /// a degree-6 minimax polynomial for e^r, and 2^n assembled in the exponent bits.
    ///
    /// Max relative error ≈ 2 ulp on [-87.33, 88.37]; x < -87.33 (including -inf) gives exactly 0
    /// (results that would be subnormal are flushed); x > 88.37 gives +inf; NaN gives NaN.
    @inlinable @inline(__always)
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        let lo = V(repeating: -87.33654), hi = V(repeating: 88.37626)
        var v = x.replacing(with: hi, where: x .> hi)
        v.replace(with: lo, where: v .< lo)
        // t = v·log2(e) + 1.5·2^23: the low mantissa bits of t hold n = rint(v·log2(e)).
        let magic = V(repeating: 12_582_912)
        let t = magic.addingProduct(v, V(repeating: 1.44269504088896341))
        let n = t - magic
        // r = v - n·ln2, with ln2 = 0.693359375 - 2.12194440e-4 (Cody–Waite, first part exact).
        var r = v.addingProduct(n, V(repeating: -0.693359375))
        r = r.addingProduct(n, V(repeating: 2.12194440e-4))
        var p = V(repeating: 1.9875691500e-4)
        p = V(repeating: 1.3981999507e-3).addingProduct(p, r)
        p = V(repeating: 8.3334519073e-3).addingProduct(p, r)
        p = V(repeating: 4.1665795894e-2).addingProduct(p, r)
        p = V(repeating: 1.6666665459e-1).addingProduct(p, r)
        p = V(repeating: 5.0000001201e-1).addingProduct(p, r)
        let er = (r + 1).addingProduct(p, r * r)
        // 2^n: (bits(t) - bits(magic) + 127) << 23, n ∈ [-126, 127] after the limits above.
        let nBits = unsafeBitCast(t, to: SIMD16<Int32>.self) &- 0x4B40_0000 &+ 127
        let scale = unsafeBitCast(nBits &<< 23, to: V.self)
        var y = er * scale
        y.replace(with: 0, where: x .< lo)
        y.replace(with: .infinity, where: x .> hi)
        return y
    }

    /// erf(x) per lane: the rational approximation x·P(x²)/Q(x²) on x clamped to [-4, 4] used by
    /// Eigen and XLA (degree 13/8), clipped to [-1, 1]. Max absolute error 3.3e-7 (near |x| = 3.94)
    /// against Foundation's `erf` on [-6, 6]; 1 − erf(4) ≈ 1.5e-8, so the input clamp costs
    /// nothing. (PyTorch's AVX2 `erf` uses Abramowitz–Stegun 7.1.26, ~1.5e-7.) NaN gives NaN.
    @inlinable @inline(__always)
    public static func erf(_ x: SIMD16<Float>) -> SIMD16<Float> {
        typealias V = SIMD16<Float>
        let lo = V(repeating: -4), hi = V(repeating: 4)
        var v = x.replacing(with: hi, where: x .> hi)
        v.replace(with: lo, where: v .< lo)
        let x2 = v * v
        var p = V(repeating: -2.72614225801306e-10)
        p = V(repeating: 2.77068142495902e-08).addingProduct(p, x2)
        p = V(repeating: -2.10102402082508e-06).addingProduct(p, x2)
        p = V(repeating: -5.69250639462346e-05).addingProduct(p, x2)
        p = V(repeating: -7.34990630326855e-04).addingProduct(p, x2)
        p = V(repeating: -2.95459980854025e-03).addingProduct(p, x2)
        p = V(repeating: -1.60960333262415e-02).addingProduct(p, x2)
        var q = V(repeating: -1.45660718464996e-05)
        q = V(repeating: -2.13374055278905e-04).addingProduct(q, x2)
        q = V(repeating: -1.68282697438203e-03).addingProduct(q, x2)
        q = V(repeating: -7.37332916720468e-03).addingProduct(q, x2)
        q = V(repeating: -1.42647390514189e-02).addingProduct(q, x2)
        // The rational function overshoots |1| by up to 2 ulp near |x| = 4: clip to [-1, 1].
        var y = v * p / q
        y.replace(with: 1, where: y .> 1)
        y.replace(with: -1, where: y .< -1)
        return y
    }

    /// 1 / (1 + e^-x) per lane. Saturates to exactly 0 for x < -88.37 and to 1 for large x; NaN gives NaN.
    @inlinable @inline(__always)
    public static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> {
        1 / (1 + exp(-x))
    }

    /// tanh(x) per lane as 2·sigmoid(2x) − 1 (absolute error ≈ 1e-7; relative error grows near 0).
    @inlinable @inline(__always)
    public static func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> {
        2 * sigmoid(2 * x) - 1
    }
}

// MARK: - Buffer helpers shared by the kernels

/// Loads 16 floats from `p` (no alignment needed).
@inline(__always)
func load16(_ p: UnsafePointer<Float>) -> SIMD16<Float> {
    UnsafeRawPointer(p).loadUnaligned(as: SIMD16<Float>.self)
}

/// Stores 16 floats to `p` (no alignment needed).
@inline(__always)
func store16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD16<Float>.self)
}

/// Loads `count` (< 16) floats from `p`, filling the other lanes with `filler`.
@inline(__always)
func loadPartial16(_ p: UnsafePointer<Float>, _ count: Int, filler: Float) -> SIMD16<Float> {
    var v = SIMD16<Float>(repeating: filler)
    for i in 0..<count { v[i] = p[i] }
    return v
}

/// Stores the first `count` (< 16) lanes of `v` to `p`.
@inline(__always)
func storePartial16(_ v: SIMD16<Float>, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
    for i in 0..<count { p[i] = v[i] }
}

/// Largest lane (callers keep NaN out of the lanes), by halving: a few vector steps instead of the
/// stdlib's 16-step scalar loop.
@inline(__always)
func horizontalMax(_ v: SIMD16<Float>) -> Float {
    let a = v.lowHalf, b = v.highHalf
    let m8 = a.replacing(with: b, where: b .> a)
    let c = m8.lowHalf, d = m8.highHalf
    let m4 = c.replacing(with: d, where: d .> c)
    let m2 = SIMD2(Swift.max(m4[0], m4[2]), Swift.max(m4[1], m4[3]))
    return Swift.max(m2[0], m2[1])
}

/// Sum of the lanes by pairwise halving.
@inline(__always)
func horizontalSum(_ v: SIMD16<Float>) -> Float {
    let s8 = v.lowHalf + v.highHalf
    let s4 = s8.lowHalf + s8.highHalf
    return (s4[0] + s4[2]) + (s4[1] + s4[3])
}

/// A lane-wise Float function, as a type so kernels are specialized and inlined per function
/// (a closure here ends up as an indirect call per vector after function merging).
protocol LaneFunction: SendableMetatype {
    static func apply(_ v: SIMD16<Float>) -> SIMD16<Float>
}

/// Applies `F` to `count` floats in place: SIMD16 body plus a zero-padded tail, so every element
/// goes through exactly the same arithmetic.
@inline(__always)
func mapInPlace16<F: LaneFunction>(_ p: UnsafeMutablePointer<Float>, _ count: Int, _: F.Type) {
    var i = 0
    while i + 16 <= count {
        store16(F.apply(load16(p + i)), p + i)
        i += 16
    }
    if i < count {
        storePartial16(F.apply(loadPartial16(p + i, count - i, filler: 0)), p + i, count - i)
    }
}

/// Applies `F` to a whole buffer in place, split across `parallelFor` workers in blocks of 32 Ki
/// floats when the buffer holds at least 64 Ki.
func parallelMapInPlace<F: LaneFunction>(_ buffer: UnsafeMutableBufferPointer<Float>, _ f: F.Type) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    let ptr = SendablePointer(base)
    parallelChunks(buffer.count, grain: 1 << 15) { range in
        mapInPlace16(ptr.base + range.lowerBound, range.count, F.self)
    }
}
