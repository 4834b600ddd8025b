import Foundation

/// The deferred NaN/±Inf check of one stored weight matrix (docs/methods.md §0.7).
///
/// A strict checkpoint does not read every matrix at load: it attaches a check to each one, and
/// the first product that converts the whole matrix counts its non-finite elements in the same
/// pass (the conversion reads every element anyway), settling the check. Matrices no product
/// covers whole (gathered embeddings, views of fused projections) are scanned when the checks are
/// verified, after the first forward. Thread-safe; shared by every view of the matrix.
public final class WeightCheck: @unchecked Sendable {
    /// The tensor's name in its checkpoint.
    public let name: String
    /// The file holding the tensor.
    public let file: String
    private let lock = NSLock()
    private var badCount: Int?

    /// A pending check of tensor `name` stored in `file`.
    public init(name: String, file: String) {
        (self.name, self.file) = (name, file)
    }

    /// Whether no pass has counted the matrix yet.
    public var isPending: Bool {
        lock.lock(); defer { lock.unlock() }
        return badCount == nil
    }

    /// The number of non-finite elements, once counted (nil while pending).
    public var nonFiniteCount: Int? {
        lock.lock(); defer { lock.unlock() }
        return badCount
    }

    /// Records the count of one complete pass; the first settlement wins (later passes read the
    /// same bits).
    public func settle(_ count: Int) {
        lock.lock(); defer { lock.unlock() }
        if badCount == nil { badCount = count }
    }
}

/// A running total the parallel chunks of one conversion add to.
final class NonFiniteTally: @unchecked Sendable {
    private let lock = NSLock()
    private var total = 0

    func add(_ count: Int) {
        guard count > 0 else { return }
        lock.lock(); defer { lock.unlock() }
        total += count
    }

    var value: Int {
        lock.lock(); defer { lock.unlock() }
        return total
    }
}
