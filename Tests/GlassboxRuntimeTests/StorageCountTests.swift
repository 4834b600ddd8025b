import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `Tensor.storage` is a public `var`, so code outside the library can give it another length
/// than the shape holds. Where such a tensor enters the library (an intervention's result, the
/// pixels of a vision input) it is refused with a typed error instead of being read past its end
/// (a trap, or garbage logits).
final class StorageCountTests: XCTestCase {
    let ids = [5, 17, 3, 99, 42, 8]

    /// Shorter, longer and emptied storage at several hook points: each throws
    /// `HookError.interventionStorageCount` naming the point, the shape and the count.
    func testAnInterventionThatResizesStorageIsAnError() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let cases: [(HookPoint, String, [Int], @Sendable (inout [Float]) -> Void, Int)] = [
            (.block(0, .mlpOut), "blocks.0.hook_mlp_out", [6, 32], { $0.removeLast(5) }, 187),
            (.block(0, .mlpOut), "blocks.0.hook_mlp_out", [6, 32], { $0 += [1, 2, 3] }, 195),
            (.block(1, .z), "blocks.1.attn.hook_z", [6, 4, 8], { $0 = [] }, 0),
            (.block(0, .pattern), "blocks.0.attn.hook_pattern", [4, 6, 6], { $0 = [] }, 0),
            (.embed, "hook_embed", [6, 32], { $0 = Array($0.prefix(1)) }, 1),
            (.unembedOut, "unembed.hook_out", [6, 128], { $0 = [] }, 0),
        ]
        for (point, name, shape, resize, count) in cases {
            let edit = Interventions(point) { _, t in var t = t; resize(&t.storage); return t }
            XCTAssertThrowsError(try model.forward(ids, interventions: edit), name) { error in
                XCTAssertEqual(error as? HookError, .interventionStorageCount(point: name, shape: shape, count: count))
                XCTAssertTrue(error.localizedDescription.contains("returned \(count) values for shape \(shape)"),
                              error.localizedDescription)
            }
        }
        // An in-place edit of the same points still runs.
        let zeroed = Interventions(.block(0, .mlpOut)) { _, t in var t = t; t.storage[0] = 0; return t }
        XCTAssertNoThrow(try model.forward(ids, interventions: zeroed))
    }

    /// Pixels of the right shape whose storage was cut are refused before the patch embedding.
    func testPixelsWhoseStorageDoesNotMatchTheirShapeAreRefused() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("vit-tiny"))
        for count in [0, 1, 100, 3 * 32 * 32 + 1] {
            var pixels = Tensor(shape: [3, 32, 32], repeating: 0.5)
            pixels.storage = [Float](repeating: 0.5, count: count)
            XCTAssertThrowsError(try model.forward(.pixels(pixels)), "\(count)") { error in
                XCTAssertEqual(error as? InputError, .pixelCount(shape: [3, 32, 32], count: count))
                XCTAssertEqual(error.localizedDescription,
                               "pixel values of shape [3, 32, 32] must hold 3072 values but their storage has \(count)")
            }
        }
        XCTAssertNoThrow(try model.forward(.pixels(Tensor(shape: [3, 32, 32], repeating: 0.5))))
    }
}
