import GlassboxTensor
import XCTest

/// `Tensor(validating:storage:)` and `Tensor.elementCount(of:)`: sizes a caller cannot vouch for
/// give a `TensorShapeError` (`Tensor(shape: [-1, -1], storage: [1])` stops the program), and
/// `hasConsistentStorage` tells a tensor whose storage was replaced with another length.
final class TensorValidationTests: XCTestCase {
    func testValidatingInitThrowsForBadShapes() throws {
        let cases: [([Int], [Float], TensorShapeError, String)] = [
            ([-1, -1], [1], .negativeDimension([-1, -1]), "tensor shape [-1, -1] has a negative dimension"),
            ([2, -3], [], .negativeDimension([2, -3]), "tensor shape [2, -3] has a negative dimension"),
            ([Int.max, 2], [], .tooLarge([Int.max, 2]), "tensor shape [\(Int.max), 2] holds more elements than an Int can count"),
            ([2, 3], [1, 2], .countMismatch(shape: [2, 3], expected: 6, count: 2), "tensor shape [2, 3] needs 6 values, got 2"),
        ]
        for (shape, storage, expected, message) in cases {
            XCTAssertThrowsError(try Tensor(validating: shape, storage: storage), "\(shape)") { error in
                XCTAssertEqual(error as? TensorShapeError, expected)
                XCTAssertEqual(error.localizedDescription, message)
            }
        }
        XCTAssertEqual(try Tensor(validating: [2, 0, 5], storage: []).shape, [2, 0, 5])
        XCTAssertEqual(try Tensor(validating: [], storage: [7]), Tensor(shape: [], storage: [7]))
        XCTAssertEqual(try Tensor.elementCount(of: [3, 4, 5]).get(), 60)
    }

    func testConsistentStorage() {
        var t = Tensor(shape: [2, 3], repeating: 1)
        XCTAssertTrue(t.hasConsistentStorage)
        t.storage[4] = 0
        XCTAssertTrue(t.hasConsistentStorage)
        t.storage.removeLast()
        XCTAssertFalse(t.hasConsistentStorage)
    }
}
