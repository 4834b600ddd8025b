import Foundation
import GlassboxTensor

/// The NaN/±Inf checks a strict ``Checkpoint`` deferred: one per matrix it returned, in reading
/// order (docs/methods.md §0.7).
///
/// Products settle most of them while converting; ``verify()`` scans the rest and throws for the
/// first matrix, in reading order, that holds a non-finite value. A model calls it after each
/// forward, so a run's first logits do not wait for a separate read of the whole file.
public final class DeferredWeightChecks: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [(matrix: WeightMatrix, check: WeightCheck)] = []
    private var verified = false

    init() {}

    /// Registers `matrix` and returns it carrying a new pending check.
    func defer_(_ matrix: WeightMatrix, name: String, file: String) -> WeightMatrix {
        let check = WeightCheck(name: name, file: file)
        let checked = matrix.deferringCheck(check)
        lock.lock(); defer { lock.unlock() }
        entries.append((checked, check))
        verified = false
        return checked
    }

    /// How many registered checks no pass has settled yet.
    public var pendingCount: Int {
        lock.lock(); defer { lock.unlock() }
        return entries.filter { $0.check.isPending }.count
    }

    /// Scans every matrix whose check is still pending, then throws
    /// ``ModelIOError/nonFiniteValues(file:tensor:count:total:)`` for the first (in reading order)
    /// holding NaN or ±Inf. Cheap once everything is settled.
    public func verify() throws {
        lock.lock(); defer { lock.unlock() }
        if verified { return }
        for (matrix, check) in entries {
            if check.isPending { check.settle(matrix.nonFiniteCount()) }
            if let bad = check.nonFiniteCount, bad > 0 {
                throw ModelIOError.nonFiniteValues(file: check.file, tensor: check.name, count: bad, total: matrix.count)
            }
        }
        verified = true
    }
}
