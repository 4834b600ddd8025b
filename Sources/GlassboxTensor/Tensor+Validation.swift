import Foundation

/// Why sizes and values given for a tensor do not make one.
public enum TensorShapeError: Error, LocalizedError, Equatable {
    /// A dimension below 0.
    case negativeDimension([Int])
    /// The product of the dimensions does not fit in an `Int`.
    case tooLarge([Int])
    /// `count` values for a shape that holds `expected`.
    case countMismatch(shape: [Int], expected: Int, count: Int)

    /// One readable line with the shape.
    public var errorDescription: String? {
        switch self {
        case .negativeDimension(let shape): "tensor shape \(shape) has a negative dimension"
        case .tooLarge(let shape): "tensor shape \(shape) holds more elements than an Int can count"
        case .countMismatch(let shape, let expected, let count): "tensor shape \(shape) needs \(expected) values, got \(count)"
        }
    }
}

extension Tensor {
    /// The number of elements of `shape` (the product of its dimensions, 1 for `[]`), or the
    /// reason there is none: a negative dimension or a product that overflows `Int`. O(rank).
    public static func elementCount(of shape: [Int]) -> Result<Int, TensorShapeError> {
        var product = 1
        for d in shape {
            guard d >= 0 else { return .failure(.negativeDimension(shape)) }
            let (next, overflow) = product.multipliedReportingOverflow(by: d)
            guard !overflow else { return .failure(.tooLarge(shape)) }
            product = next
        }
        return .success(product)
    }

    /// Wraps `storage` under `shape` from sizes and values a caller cannot vouch for (read from a
    /// file, typed by a user): throws `TensorShapeError` where `init(shape:storage:)` stops the
    /// program.
    public init(validating shape: [Int], storage: [Float]) throws {
        let expected = try Self.elementCount(of: shape).get()
        guard expected == storage.count else {
            throw TensorShapeError.countMismatch(shape: shape, expected: expected, count: storage.count)
        }
        self.init(shape: shape, storage: storage)
    }
}
