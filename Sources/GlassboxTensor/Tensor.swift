import Foundation

/// A dense, row-major, contiguous Float32 tensor: a shape plus its storage.
///
/// Deliberately small (llm.c style): no strides, no views, no autograd, no devices. Storage is an
/// `Array`, so copies are copy-on-write and a `Tensor` is a plain `Sendable` value. Half-precision
/// formats exist only on disk and are converted at load time.
public struct Tensor: Sendable, Equatable {
    /// Sizes of each dimension, outermost first. A scalar has shape `[]`.
    public private(set) var shape: [Int]
    /// `shape.reduce(1, *)` elements in row-major order. Edit elements in place; code that
    /// replaces the array must keep its count (the library's entry points check
    /// ``hasConsistentStorage`` and throw when it does not).
    public var storage: [Float]

    /// Wraps `storage`; its count must equal the product of `shape` (a precondition: for sizes
    /// from a file or a user, `init(validating:storage:)` throws instead).
    public init(shape: [Int], storage: [Float]) {
        switch Self.elementCount(of: shape) {
        case .failure(let problem): preconditionFailure(problem.errorDescription ?? "bad shape \(shape)")
        case .success(let count):
            precondition(count == storage.count, "shape \(shape) needs \(count) elements, got \(storage.count)")
        }
        self.shape = shape
        self.storage = storage
    }

    /// A tensor of the given shape filled with `value`.
    public init(shape: [Int], repeating value: Float = 0) {
        // A bad shape stops in `init(shape:storage:)` with its reason, not in the product here.
        let count = (try? Self.elementCount(of: shape).get()) ?? 0
        self.init(shape: shape, storage: [Float](repeating: value, count: count))
    }

    /// A zero-filled tensor of shape `shape`.
    public static func zeros(_ shape: [Int]) -> Tensor { Tensor(shape: shape, repeating: 0) }

    /// Builds a tensor by letting `body` fill uninitialised storage of the given shape.
    public init(shape: [Int], unsafeUninitialized body: (UnsafeMutableBufferPointer<Float>) -> Void) {
        let count = shape.reduce(1, *)
        self.shape = shape
        self.storage = [Float](unsafeUninitializedCapacity: count) { buffer, initialized in
            body(buffer)
            initialized = count
        }
    }

    /// Number of elements, the product of `shape` (1 for a scalar).
    public var count: Int { storage.count }
    /// Whether `storage` still holds exactly the product of `shape` elements: false only after
    /// code outside the library replaced `storage` with an array of another length. O(rank).
    public var hasConsistentStorage: Bool { shape.reduce(1, *) == storage.count }
    /// Number of dimensions (`shape.count`; 0 for a scalar).
    public var rank: Int { shape.count }

    /// Size of dimension `axis`; negative axes count from the end.
    public func dim(_ axis: Int) -> Int { shape[axis < 0 ? shape.count + axis : axis] }

    /// The same storage under `newShape`, which must have the same element count (a
    /// precondition), e.g. `[n, H·dh]` → `[n, H, dh]`.
    public func reshaped(_ newShape: [Int]) -> Tensor { Tensor(shape: newShape, storage: storage) }

    /// Reshapes in place (no copy).
    public mutating func reshape(_ newShape: [Int]) {
        precondition(newShape.reduce(1, *) == storage.count, "cannot reshape \(shape) to \(newShape)")
        shape = newShape
    }

    /// Elements per index of the first dimension (`count / shape[0]`).
    public var rowSize: Int { shape.isEmpty ? 1 : shape.dropFirst().reduce(1, *) }

    /// A copy of rows `range` of the first dimension: `[a, …]` → `[range.count, …]`.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(!shape.isEmpty && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "rows \(range) out of bounds for \(shape)")
        let size = rowSize
        var newShape = shape
        newShape[0] = range.count
        return Tensor(shape: newShape,
                      storage: Array(storage[(range.lowerBound * size)..<(range.upperBound * size)]))
    }

    /// A copy of row `index` of the first dimension, with that dimension dropped: `[a, …]` → `[…]`.
    public func row(_ index: Int) -> Tensor {
        let r = rows(index..<(index + 1))
        return r.reshaped(Array(shape.dropFirst()))
    }

    /// Calls `body` with the row-major storage (`count` elements), for kernels.
    public func withUnsafeBufferPointer<R>(_ body: (UnsafeBufferPointer<Float>) throws -> R) rethrows -> R {
        try storage.withUnsafeBufferPointer(body)
    }

    /// Calls `body` with the row-major storage (`count` elements) to write in place; the shape
    /// stays as it is.
    public mutating func withUnsafeMutableBufferPointer<R>(
        _ body: (inout UnsafeMutableBufferPointer<Float>) throws -> R
    ) rethrows -> R {
        try storage.withUnsafeMutableBufferPointer(body)
    }

    /// Element at a full multi-index (slow path: tests, printing, small lookups).
    public subscript(_ index: Int...) -> Float {
        get { storage[flatIndex(index)] }
        set { storage[flatIndex(index)] = newValue }
    }

    /// Row-major offset of a multi-index.
    public func flatIndex(_ index: [Int]) -> Int {
        precondition(index.count == shape.count, "index \(index) does not match shape \(shape)")
        var offset = 0
        for (i, n) in zip(index, shape) {
            precondition(i >= 0 && i < n, "index \(index) out of bounds for \(shape)")
            offset = offset * n + i
        }
        return offset
    }

    /// Multi-index of a row-major offset.
    public func multiIndex(ofFlat flat: Int) -> [Int] {
        var rest = flat
        var index = [Int](repeating: 0, count: shape.count)
        for axis in stride(from: shape.count - 1, through: 0, by: -1) {
            index[axis] = rest % shape[axis]
            rest /= shape[axis]
        }
        return index
    }
}

extension Tensor: CustomStringConvertible {
    /// `Tensor([shape], [first six values, …])`, for debugging.
    public var description: String {
        let head = storage.prefix(6).map { String(format: "%.4g", Double($0)) }.joined(separator: ", ")
        return "Tensor(\(shape), [\(head)\(storage.count > 6 ? ", …" : "")])"
    }
}
