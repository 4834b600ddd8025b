import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Analysis entry points that take a caller's `Tensor` refuse one whose `storage` no longer holds
/// the product of its shape (code outside the library can replace `storage`), instead of reading
/// past its end.
final class StorageCountAnalysisTests: XCTestCase {
    /// `project(_:onto:)` onto a `[3, 2]` matrix emptied or cut to 5 values throws; it used to
    /// return scores read from outside the array (e.g. `[0, -1.27e38]`).
    func testProjectionOntoAResizedMatrixThrows() throws {
        for count in [0, 5] {
            var matrix = Tensor(shape: [3, 2], repeating: 1)
            matrix.storage = [Float](repeating: 1, count: count)
            XCTAssertThrowsError(try ParameterProjection.project([1, 2], onto: matrix, k: 2)) { error in
                XCTAssertEqual(error.localizedDescription, "the [3, 2] matrix holds \(count) values, not 6")
            }
        }
        let fine = try ParameterProjection.project([1, 2], onto: Tensor(shape: [3, 2], repeating: 1), k: 2)
        XCTAssertEqual(fine.top.map(\.score), [3, 3])
    }

    /// The mean-pixel baseline checks the pixels as the forward pass does: a wrong shape and a cut
    /// storage are refused (the shape was not checked at all before).
    func testMeanPixelRowChecksThePixels() throws {
        let model = try LensFixtures.model("vit-tiny")
        var cut = Tensor(shape: [3, 32, 32], repeating: 0.5)
        cut.storage = [0.5]
        XCTAssertThrowsError(try PerturbationBaseline.meanPixelRow(for: model, pixels: cut)) { error in
            XCTAssertEqual(error as? InputError, .pixelCount(shape: [3, 32, 32], count: 1))
        }
        XCTAssertThrowsError(try PerturbationBaseline.meanPixelRow(for: model, pixels: .zeros([1, 32, 32]))) { error in
            XCTAssertEqual(error as? InputError, .pixelShape(expected: [3, 32, 32], got: [1, 32, 32]))
        }
        XCTAssertEqual(try PerturbationBaseline.meanPixelRow(for: model, pixels: .zeros([3, 32, 32])).count,
                       model.architecture.dModel)
    }
}
