import Foundation

/// Runs `count` independent tasks side by side, one per worker (`Threading.threads` workers, task
/// `i` on worker `i mod workers`), each single-threaded: OpenBLAS and `parallelFor` are set to one
/// thread for the duration and restored after. For work made of many medium-sized products (a
/// reverse sweep per explained token), whole tasks in parallel keep BLAS's threads from waiting on
/// each other inside every product. Workers see the caller's `ProductPrecision.current`. The
/// thread setting is process-wide: nothing else should run products meanwhile.
///
/// - Throws: the first error a task threw (the other tasks still run to the end).
public func sideBySide(_ count: Int, _ body: @Sendable (Int) throws -> Void) throws {
    let workers = min(count, Threading.threads)
    guard workers >= 2 else {
        for i in 0..<count { try body(i) }
        return
    }
    final class FirstError: @unchecked Sendable {
        let lock = NSLock()
        var error: Error?
        func record(_ e: Error) { lock.withLock { if error == nil { error = e } } }
    }
    let failure = FirstError()
    let context = WorkerContext()
    let threads = Threading.threads
    Threading.setThreads(1)
    defer { Threading.setThreads(threads) }
    DispatchQueue.concurrentPerform(iterations: workers) { w in
        context.run {
            var i = w
            while i < count {
                do { try body(i) } catch { failure.record(error) }
                i += workers
            }
        }
    }
    if let error = failure.error { throw error }
}
