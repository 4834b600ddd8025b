import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// `PatchingMap.effect(at:)` and `raw(at:)` check every index against its axis: `[0, 4]` on a
/// `[2, 4]` map used to return `[1, 0]`'s value, `[1, -1]` returned `[0, 3]`'s and `[9, 9]` trapped.
final class PatchingMapIndexTests: XCTestCase {
    func testIndicesOutsideTheirAxisThrow() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let clean = [5, 17, 3, 99, 42, 8]
        let result = try ActivationPatching.run(model, clean: clean, corrupted: clean.reversed(),
                                                options: PatchingOptions(metric: .logProb(answer: 1)))
        let z = try XCTUnwrap(result.map(.z))
        XCTAssertEqual(z.shape, [2, 4])
        XCTAssertEqual(z.axes, ["layer", "head"])
        XCTAssertEqual(try z.effect(at: [1, 0]), z.effect[4])
        XCTAssertEqual(try z.raw(at: [0, 3]), z.raw[3])
        let cases: [([Int], String)] = [
            ([0, 4], "head 4 is outside 0..<4 in the z map of shape [2, 4]"),
            ([1, -1], "head -1 is outside 0..<4 in the z map of shape [2, 4]"),
            ([9, 9], "layer 9 is outside 0..<2 in the z map of shape [2, 4]"),
            ([Int.min, 0], "layer \(Int.min) is outside 0..<2 in the z map of shape [2, 4]"),
            ([0], "the z map has 2 axes (layer, head), got 1 indices [0]"),
        ]
        for (index, message) in cases {
            XCTAssertThrowsError(try z.effect(at: index), "\(index)") { error in
                XCTAssertEqual(error as? AnalysisError, .invalidOption(message))
            }
            XCTAssertThrowsError(try z.raw(at: index), "\(index)") { error in
                XCTAssertEqual(error.localizedDescription, message)
            }
        }
    }
}
