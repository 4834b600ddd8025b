import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

final class AttentionMapsTests: XCTestCase {
    func testCollectedPatternsEqualTheCapturedOnes() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let ids = [5, 8, 13, 21, 34, 55]
        let maps = try AttentionMaps.collect(model, .tokens(ids, types: nil), layers: [2, 0], heads: [1, 2])
        let captured = try model.forward(ids, capture: .all).cache
        XCTAssertEqual(maps.map(\.layer), [2, 0])
        for map in maps {
            let full = try XCTUnwrap(captured[.block(map.layer, .pattern)])
            XCTAssertEqual(map.patterns.shape, [2, 6, 6])
            for (slot, h) in [1, 2].enumerated() {
                for i in 0..<6 { for j in 0..<6 { XCTAssertEqual(map.patterns[slot, i, j], full[h, i, j]) } }
            }
        }
        XCTAssertThrowsError(try AttentionMaps.collect(model, .tokens(ids, types: nil), layers: [3])) {
            XCTAssertEqual($0 as? AnalysisError, .layerOutOfRange(3, layers: 3))
        }
    }

    func testHeadFusionAndTheLastLayerExplanation() throws {
        let pattern = Tensor(shape: [2, 2, 2], storage: [1, 0, 0.2, 0.8, 1, 0, 0.6, 0.4])
        XCTAssertEqual(HeadFusion.mean.fuse(pattern).storage, [1, 0, 0.4, 0.6])
        XCTAssertEqual(HeadFusion.max.fuse(pattern).storage, [1, 0, 0.6, 0.8])
        XCTAssertEqual(HeadFusion.min.fuse(pattern).storage, [1, 0, 0.2, 0.4])
        XCTAssertEqual(HeadFusion.head(1).fuse(pattern).storage, [1, 0, 0.6, 0.4])

        let model = try TransformerModel.load(directory: Fixtures.model("bert-cls"))
        let scores = try AttentionMaps.explainLastLayer(model, .tokens([2, 9, 14, 3], types: nil), position: 0)
        XCTAssertEqual(scores.scores.reduce(0, +), 1, accuracy: 1e-5)
        XCTAssertEqual(scores.method, "attention")
    }

    /// A 2,048-token input on the long-context fixture, pooled to 64 × 64 per head while streaming.
    func testLongInputsArePooledWhileStreaming() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-long"))
        let ids = (0..<2048).map { ($0 * 7919) % 127 }
        let maps = try AttentionMaps.collect(model, .tokens(ids, types: nil), maxSize: 64)
        XCTAssertEqual(maps.count, 2)
        XCTAssertEqual(maps[0].patterns.shape, [2, 64, 64])
        XCTAssertEqual(maps[0].bins.first, 0..<32)
        XCTAssertEqual(maps[0].bins.last, 2016..<2048)
        // Causal: blocks strictly above the diagonal are empty; the diagonal blocks are not.
        XCTAssertEqual(maps[0].patterns[0, 3, 40], 0)
        XCTAssertGreaterThan(maps[0].patterns[0, 40, 40], 0)
    }
}
