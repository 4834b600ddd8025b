import CGlassboxBLAS
import Foundation
import Synchronization

/// Process-wide worker count shared by `parallelFor` and the products.
///
/// The default is `ProcessInfo.activeProcessorCount`. OpenBLAS itself runs on one thread (set the
/// first time the setting is read or written or `gemm` runs; this overrides `OPENBLAS_NUM_THREADS`)
/// except inside `withThreadedBLAS`: `gemm` cuts a large product's output columns (or rows) into
/// `productSlices` slices by its shape alone, each one single-threaded sgemm, which the
/// `parallelFor` workers take (so the worker count never changes a result). OpenBLAS 0.3.21's own workers spin
/// with `sched_yield` for a while after each threaded call, which steals a core from the
/// `parallelFor` work that follows (GELU on 1M floats with 2 threads: 0.49 ms right after a
/// threaded matmul, 0.30 ms with `OPENBLAS_THREAD_TIMEOUT=4` in the environment, which OpenBLAS
/// reads only at load time); with OpenBLAS kept serial its workers sleep.
/// Benchmarks must say which count they used (two multi-threaded processes on two cores collapse
/// throughput).
public enum Threading {
    /// Lock-protected storage; the lazily-initialised `static let` configures OpenBLAS once.
    private final class State: @unchecked Sendable {
        private let lock = NSLock()
        private var value: Int
        private var serialDepth = 0
        private var threadedDepth = 0

        init(_ value: Int) {
            self.value = value
            openblas_set_num_threads(1)
        }

        func get() -> Int { lock.withLock { value } }

        func set(_ n: Int) {
            lock.withLock {
                value = n
                if threadedDepth > 0 && serialDepth == 0 { openblas_set_num_threads(Int32(n)) }
            }
        }

        /// Whether products run on OpenBLAS's own threads (inside `withThreadedBLAS`), unsplit.
        func threadedProducts() -> Bool { lock.withLock { threadedDepth > 0 } }

        func enterSerial() {
            lock.withLock {
                serialDepth += 1
                if serialDepth == 1 && threadedDepth > 0 { openblas_set_num_threads(1) }
            }
        }

        func leaveSerial() {
            lock.withLock {
                serialDepth -= 1
                if serialDepth == 0 && threadedDepth > 0 { openblas_set_num_threads(Int32(value)) }
            }
        }

        func enterThreaded() {
            lock.withLock {
                threadedDepth += 1
                if threadedDepth == 1 && serialDepth == 0 { openblas_set_num_threads(Int32(value)) }
            }
        }

        func leaveThreaded() {
            lock.withLock {
                threadedDepth -= 1
                if threadedDepth == 0 { openblas_set_num_threads(1) }
            }
        }
    }

    private static let state = State(max(1, ProcessInfo.processInfo.activeProcessorCount))

    /// The largest worker count accepted: 4 per core, and at least 256. More workers than that
    /// only cost memory (a stack each) and, where thread creation fails under a memory limit,
    /// can leave the work waiting for workers that never start.
    public static let maximumThreads = max(256, 4 * ProcessInfo.processInfo.activeProcessorCount)

    /// Sets the worker count for `parallelFor` and the products; values below 1 are treated as 1,
    /// values above `maximumThreads` as `maximumThreads`.
    public static func setThreads(_ n: Int) { state.set(min(maximumThreads, max(1, n))) }

    /// The current worker count (≥ 1).
    public static var threads: Int { state.get() }

    /// Makes sure OpenBLAS has been set to one thread (a one-time lazy initialisation; cheap
    /// afterwards). Called by `gemm` before its first BLAS call.
    static func ensureConfigured() { _ = state }

    /// Whether the calling context is inside `withSerialBLAS` (products that already run side by
    /// side on the workers): a task-local value that `parallelFor` and `sideBySide` hand to their
    /// workers, so one caller's section never changes how another caller's products are split.
    @TaskLocal static var serialProducts = false

    /// The number of slices `gemm` cuts a large product into, fixed for the process: the machine's
    /// processor count, not `threads`. The slices (and so every bit of the result) depend only on
    /// the product's shape; `threads` decides only how many workers take them (one worker runs
    /// them one after another). OpenBLAS picks its kernel by each call's size (on AVX-512 CPUs a
    /// small-matrix kernel at or below 10⁶ multiply-adds), so slices that followed the worker
    /// count made `--threads 1` and `--threads 2` differ in the last bits.
    public static let productSlices = max(1, ProcessInfo.processInfo.activeProcessorCount)

    /// Whether `gemm` may cut a product into `productSlices` slices: not inside `withSerialBLAS`
    /// and not inside `withThreadedBLAS` (where OpenBLAS's own threads split it).
    static var splitsProducts: Bool { !serialProducts && !state.threadedProducts() }

    /// Marks the start / end of a `withSerialBLAS` section (nested and concurrent sections count).
    static func enterSerialProducts() { state.enterSerial() }
    static func leaveSerialProducts() { state.leaveSerial() }

    /// Runs `body` with products on OpenBLAS's own threads (`threads` of them) instead of split
    /// across the workers: for work made of one-row products back to back (greedy decoding), where
    /// OpenBLAS's spinning threads answer at once and waking a worker per product costs more
    /// (`glassbox-bench generate`: 39 against 43 tokens/s). `withSerialBLAS` inside still makes
    /// products single-threaded.
    public static func withThreadedBLAS<R>(_ body: () throws -> R) rethrows -> R {
        state.enterThreaded()
        defer { state.leaveThreaded() }
        return try body()
    }
}

/// Runs `body(i)` for every `i` in `0..<count` on up to `Threading.threads` workers.
///
/// Indices are taken in order from a shared counter, each worker claiming the next one when it
/// finishes its last, so uneven tasks (causal attention blocks) and a worker that starts late or is
/// slowed by another process do not leave the others waiting at the end. `body` must only write
/// disjoint memory determined by its index (see `SendablePointer`), so which worker runs an index
/// never changes a result. Runs serially on the calling thread when `count < 2` or only one thread
/// is configured. Workers see the caller's `ProductPrecision.current`.
/// Products in `body` belong in `withSerialBLAS` (else each one splits across the workers again).
public func parallelFor(_ count: Int, _ body: @Sendable (Int) -> Void) {
    guard count > 0 else { return }
    let workers = min(count, Threading.threads)
    if workers < 2 {
        for i in 0..<count { body(i) }
        return
    }
    let context = WorkerContext()
    let next = Atomic<Int>(0)
    DispatchQueue.concurrentPerform(iterations: workers) { _ in
        context.run {
            while true {
                let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard i < count else { return }
                body(i)
            }
        }
    }
}

/// The caller's task-local settings that worker threads must see (workers are not tasks):
/// `ProductPrecision.current` and `Threading.serialProducts`, read where the work is handed out.
struct WorkerContext: Sendable {
    let precision = ProductPrecision.current
    let serialProducts = Threading.serialProducts

    /// Runs `body` on the calling (worker) thread with the caller's settings.
    func run<R>(_ body: () throws -> R) rethrows -> R {
        try ProductPrecision.$current.withValue(precision) {
            try Threading.$serialProducts.withValue(serialProducts, operation: body)
        }
    }
}

/// A tiny `@unchecked Sendable` wrapper around a mutable pointer, for writing disjoint slices of a
/// buffer from `parallelFor` bodies. The caller guarantees the pointee outlives the loop and that
/// workers never touch the same elements.
public struct SendablePointer<T>: @unchecked Sendable {
    public let base: UnsafeMutablePointer<T>
    public init(_ p: UnsafeMutablePointer<T>) { base = p }
}

/// Splits `count` elements into blocks of about `grain` elements and runs `body(range)` for each
/// block with `parallelFor`; serial (one call with the whole range) when `count < 2 · grain`.
func parallelChunks(_ count: Int, grain: Int, _ body: @Sendable (Range<Int>) -> Void) {
    guard count > 0 else { return }
    if count < 2 * grain || Threading.threads < 2 {
        body(0..<count)
        return
    }
    let blocks = (count + grain - 1) / grain
    parallelFor(blocks) { b in
        body((b * grain)..<min(count, (b + 1) * grain))
    }
}
