internal import CGlassboxKernels

/// Which build of the C kernels (`CGlassboxKernels`: softmax, the activations and their
/// derivatives, the norm statistics, the half-precision conversions) runs.
///
/// The package is compiled for the baseline CPU (a package used as a versioned dependency may not
/// pass `-target-cpu`), so the kernels that need AVX2, FMA or F16C to be fast live in C, compiled
/// twice: with `__attribute__((target("avx2,fma,f16c")))` on every function, and as portable C
/// vectors. The CPU is asked once (`__builtin_cpu_supports`) which one to use. Both compute the
/// same polynomials in the same order; the AVX2 build fuses the multiply-adds (its results are
/// bit-identical to the Swift `SIMD16` kernels it replaced, compiled for Haswell), the portable
/// build on x86-64 rounds them twice (within an ulp per step).
///
/// Tests and comparisons can run a block of code on a chosen variant with ``using(_:_:)``.
public enum KernelVariant: String, Sendable, CaseIterable, CustomStringConvertible {
    /// Portable C vectors for any CPU (SSE2 on x86-64, NEON on arm64).
    case portable
    /// x86-64 with AVX2, FMA and F16C (Haswell, Zen and later).
    case avx2

    /// The variant kernels use by default: the fastest this CPU supports, detected on first use.
    public static var best: KernelVariant { KernelTable.best.variant }

    /// The variant kernels called from the current task or thread use: the innermost
    /// ``using(_:_:)``, else ``best``.
    public static var current: KernelVariant { KernelTable.current.variant }

    /// Whether this CPU (and this build's architecture) can run the variant.
    public var isSupported: Bool { gb_kernels_for(isa) != nil }

    /// The variants this CPU can run, portable first.
    public static var supported: [KernelVariant] { allCases.filter(\.isSupported) }

    /// Runs `body` with every kernel it calls (on this task or thread, including the worker blocks
    /// the kernels start themselves) using `variant`; other tasks and threads are not affected.
    /// Traps when the CPU does not support `variant`.
    public static func using<R>(_ variant: KernelVariant, _ body: () throws -> R) rethrows -> R {
        precondition(variant.isSupported, "KernelVariant.\(variant) is not supported on this CPU")
        return try KernelTable.$override.withValue(variant, operation: body)
    }

    /// The variant's name: `portable` or `avx2`.
    public var description: String { rawValue }

    var isa: gb_kernel_isa {
        switch self {
        case .portable: GB_KERNEL_ISA_PORTABLE
        case .avx2: GB_KERNEL_ISA_AVX2
        }
    }
}

/// A resolved `gb_kernels` table (a pointer to constant C data, safe to share).
struct KernelTable: @unchecked Sendable {
    let table: UnsafePointer<gb_kernels>

    /// Resolved once per process.
    static let best = KernelTable(table: gb_kernels_best())

    /// The table for the current task or thread; read it once per call, before going parallel
    /// (worker threads do not inherit the task-local override).
    static var current: KernelTable {
        guard let variant = override else { return best }
        return KernelTable(table: gb_kernels_for(variant.isa)!)
    }

    @TaskLocal static var override: KernelVariant?

    var variant: KernelVariant {
        table.pointee.isa == GB_KERNEL_ISA_AVX2 ? .avx2 : .portable
    }

    // MARK: Calls (pointers may be unaligned; counts may be 0)

    /// y[i] = f(x[i]); `x == y` is allowed.
    func map(_ f: gb_unary, _ x: UnsafePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ n: Int) {
        table.pointee.map(f, x, y, n)
    }

    /// g[i] *= f(x[i]).
    func scale(_ g: UnsafeMutablePointer<Float>, by f: gb_unary, of x: UnsafePointer<Float>, _ n: Int) {
        table.pointee.scale_by(f, x, g, n)
    }

    /// Softmax of `rows` consecutive rows of `d` floats, in place.
    func softmaxRows(_ x: UnsafeMutablePointer<Float>, rows: Int, d: Int) {
        table.pointee.softmax_rows(x, rows, d)
    }

    /// LayerNorm (`centered`) or RMSNorm of `rows` rows of `d` (> 0) floats in place; σ per row to `scale`.
    func normalizeRows(_ x: UnsafeMutablePointer<Float>, rows: Int, d: Int, eps: Float, centered: Bool,
                       scale: UnsafeMutablePointer<Float>) {
        table.pointee.normalize_rows(x, rows, d, eps, centered, scale)
    }

    /// Binary16 (any alignment) → Float32.
    func f16ToF32(_ source: UnsafeRawPointer, _ destination: UnsafeMutablePointer<Float>, _ n: Int) {
        table.pointee.f16_to_f32(source, destination, n)
    }

    /// How many 16-bit elements (any alignment) have every bit of `mask` set.
    func countMask16(_ source: UnsafeRawPointer, _ n: Int, mask: UInt16) -> Int {
        table.pointee.count_mask16(source, n, mask)
    }

    /// How many 32-bit elements (any alignment) have every bit of `mask` set.
    func countMask32(_ source: UnsafeRawPointer, _ n: Int, mask: UInt32) -> Int {
        table.pointee.count_mask32(source, n, mask)
    }

    /// Float32 → binary16 bits, round to nearest even.
    func f32ToF16(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<UInt16>, _ n: Int) {
        table.pointee.f32_to_f16(source, destination, n)
    }
}
