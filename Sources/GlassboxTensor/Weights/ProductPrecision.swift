internal import CGlassboxKernels

/// How products with a ``WeightMatrix`` are computed (docs/methods.md §0.7).
public enum ProductPrecision: String, Sendable, Equatable, CaseIterable {
    /// Weights converted exactly to Float32, Float32 activations, sgemm: the reference numbers.
    case exact
    /// Weights and activations rounded to bfloat16 (round to nearest even), products summed in
    /// Float32 by an AVX512-BF16 kernel (`vdpbf16ps`) where the CPU has it, else a portable one.
    /// About 3 significant digits per operand; faster where the kernel runs.
    case bf16

    /// The precision weight products on the current task use (`exact` unless set with
    /// ``withProductPrecision(_:_:)``). Read once per product, before going parallel.
    @TaskLocal public static var current: ProductPrecision = .exact
}

/// Runs `body` with weight products in `precision` on the current task (and the tasks it starts).
public func withProductPrecision<R>(_ precision: ProductPrecision, _ body: () throws -> R) rethrows -> R {
    try ProductPrecision.$current.withValue(precision, operation: body)
}

/// Which build of the bf16 product kernel runs (`best`: AVX512-BF16 where the CPU has it).
public enum BF16KernelVariant: String, Sendable, CaseIterable {
    /// The scalar build, any CPU.
    case portable
    /// The AVX512-BF16 build (nil from ``kernel`` when the CPU lacks it).
    case avx512

    /// The fastest variant this CPU runs.
    public static var best: BF16KernelVariant { gb_bf16_gemm_for(GB_BF16_ISA_AVX512) != nil ? .avx512 : .portable }

    /// Whether this CPU runs the variant.
    public var isSupported: Bool { kernel != nil }

    var kernel: gb_bf16_gemm_fn? {
        gb_bf16_gemm_for(self == .avx512 ? GB_BF16_ISA_AVX512 : GB_BF16_ISA_PORTABLE)
    }
}

/// Float32 → bfloat16 bits, round to nearest even (NaN stays NaN): `count` values.
public func roundToBF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, count: Int) {
    guard count > 0 else { return }
    gb_f32_to_bf16(source, destination, count)
}

/// `C[m, n] = bf16(A[m, k]) · bf16(W[n, k])ᵀ + beta · C` by `variant`'s kernel, rows of `n` split
/// across threads: A and W bf16 bits, rows `lda` / `ldw` elements apart.
public func bf16Gemm(m: Int, n: Int, k: Int, a: UnsafePointer<UInt16>, lda: Int, w: UnsafePointer<UInt16>, ldw: Int,
                     c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, variant: BF16KernelVariant = .best) {
    guard m > 0, n > 0 else { return }
    guard let kernel = variant.kernel else { preconditionFailure("bf16 kernel \(variant) not supported on this CPU") }
    let (ap, wp, cp) = (SendableConstPointer(a), SendableConstPointer(w), SendablePointer(c))
    if variant == .avx512 && m >= Int(GB_BF16_PACKED_MIN_ROWS) {
        // A packed once for every thread; each thread takes whole register tiles of W's rows.
        let packed = UnsafeMutablePointer<UInt32>.allocate(capacity: gb_bf16_packed_a_count(m, k))
        defer { packed.deallocate() }
        gb_bf16_pack_a(m, k, a, lda, packed)
        let pp = SendableConstPointer(UnsafePointer(packed))
        let tileColumns = Int(GB_BF16_PACKED_COLUMNS)
        let grain = max(tileColumns, (n / (2 * Threading.threads) + tileColumns - 1) / tileColumns * tileColumns)
        parallelChunks(n, grain: grain) { cols in
            gb_bf16_gemm_packed_a(m, cols.count, k, pp.base, wp.base + cols.lowerBound * ldw, ldw, cp.base + cols.lowerBound, ldc, beta)
        }
        return
    }
    parallelChunks(n, grain: max(4, 262_144 / max(1, m * k))) { cols in
        kernel(m, cols.count, k, ap.base, lda, wp.base + cols.lowerBound * ldw, ldw, cp.base + cols.lowerBound, ldc, beta)
    }
}

/// A read-only pointer handed to worker threads.
struct SendableConstPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
    init(_ p: UnsafePointer<T>) { base = p }
}
