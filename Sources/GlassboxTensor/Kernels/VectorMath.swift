internal import CGlassboxKernels

/// Vectorized elementary functions on `SIMD16<Float>`, the building blocks of the softmax and
/// activation kernels.
///
/// The arithmetic lives in C (`CGlassboxKernels`, see ``KernelVariant``) so it can use FMA without
/// compiler flags; these entry points run one 16-lane vector through the current variant, for
/// tests and one-off use. Bulk work goes through the tensor kernels (`softmaxLastDim`, `geluErf`,
/// …), which call the same code once per buffer. Everything is branch-free and NaN propagates
/// through every function.
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
    public static func exp(_ x: SIMD16<Float>) -> SIMD16<Float> { lanes(GB_UNARY_EXP, x) }

    /// erf(x) per lane: the rational approximation x·P(x²)/Q(x²) on x clamped to [-4, 4] used by
    /// Eigen and XLA (degree 13/8), clipped to [-1, 1]. Max absolute error 3.3e-7 (near |x| = 3.94)
    /// against Foundation's `erf` on [-6, 6]; 1 − erf(4) ≈ 1.5e-8, so the input clamp costs
    /// nothing. (PyTorch's AVX2 `erf` uses Abramowitz–Stegun 7.1.26, ~1.5e-7.) NaN gives NaN.
    public static func erf(_ x: SIMD16<Float>) -> SIMD16<Float> { lanes(GB_UNARY_ERF, x) }

    /// 1 / (1 + e^-x) per lane. Saturates to exactly 0 for x < -88.37 and to 1 for large x; NaN gives NaN.
    public static func sigmoid(_ x: SIMD16<Float>) -> SIMD16<Float> { lanes(GB_UNARY_SIGMOID, x) }

    /// tanh(x) per lane as 2·sigmoid(2x) − 1 (absolute error ≈ 1e-7; relative error grows near 0).
    public static func tanh(_ x: SIMD16<Float>) -> SIMD16<Float> { lanes(GB_UNARY_TANH, x) }

    /// `f` on the 16 lanes of `x` through the current kernel variant.
    private static func lanes(_ f: gb_unary, _ x: SIMD16<Float>) -> SIMD16<Float> {
        var input = x, output = SIMD16<Float>()
        withUnsafePointer(to: &input) { source in
            withUnsafeMutablePointer(to: &output) { destination in
                source.withMemoryRebound(to: Float.self, capacity: 16) { xp in
                    destination.withMemoryRebound(to: Float.self, capacity: 16) { yp in
                        KernelTable.current.map(f, xp, yp, 16)
                    }
                }
            }
        }
        return output
    }
}

/// Applies the lane function `f` to a whole buffer in place, split across `parallelFor` workers in
/// blocks of 32 Ki floats when the buffer holds at least 64 Ki. Every element goes through the
/// same arithmetic (16-lane vectors, zero-padded tail), so the split never changes a result.
func parallelMapInPlace(_ buffer: UnsafeMutableBufferPointer<Float>, _ f: gb_unary) {
    guard let base = buffer.baseAddress, buffer.count > 0 else { return }
    let kernels = KernelTable.current
    let ptr = SendablePointer(base)
    parallelChunks(buffer.count, grain: 1 << 15) { range in
        let p = ptr.base + range.lowerBound
        kernels.map(f, p, p, range.count)
    }
}
