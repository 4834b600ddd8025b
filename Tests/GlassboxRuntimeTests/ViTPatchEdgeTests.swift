import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// A ViT whose `patch_size` does not divide its `image_size` (30 and 8), as transformers loads and
/// runs it: the grid is floor(30/8)² = 9 patches, against its logits
/// (scripts/fixtures/generate_activations.py → Tests/Fixtures/activations, `vit-edge`), 1e-4
/// (measured 4.8e-7).
final class ViTPatchEdgeTests: XCTestCase {
    let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/activations")

    /// image_size 30, patch_size 8: a 3 × 3 grid (10 positions), pixels 24…29 of each row and
    /// column never read, as transformers' stride-8 convolution drops them.
    func testViTPatchThatDoesNotDivideTheImage() throws {
        let model = try TransformerModel.load(directory: folder.appendingPathComponent("models/vit-edge"))
        let image = try XCTUnwrap(model.architecture.image)
        XCTAssertEqual([image.gridRows, image.gridColumns, image.patchCount, model.architecture.contextLength], [3, 3, 9, 10])
        let golden = try SafetensorsFile(url: folder.appendingPathComponent("logits.safetensors"))
        let pixels = try golden.tensor("vit-edge.pixel_values")
        let logits = try XCTUnwrap(try model.forward(.pixels(pixels)).logits)
        assertClose(logits, try golden.tensor("vit-edge.logits"), tolerance: 1e-4, "vit-edge logits")
        // The dropped edge does not matter: changing it leaves the logits bitwise unchanged.
        var edged = pixels
        for c in 0..<3 { for y in 0..<30 { for x in 24..<30 { edged[c, y, x] = 50 }; edged[c, 29, y] = -50 } }
        XCTAssertEqual(try model.forward(.pixels(edged)).logits, logits)
    }

    /// Relevance on the floor grid: a 3 × 3 patch grid, a [30, 30] pixel map whose unread edge
    /// (rows and columns 24…29) is exactly 0, and whose sum is the patches' (1e-5 relative).
    func testRelevanceLeavesTheUnreadEdgeAtZero() throws {
        let model = try TransformerModel.load(directory: folder.appendingPathComponent("models/vit-edge"))
        let golden = try SafetensorsFile(url: folder.appendingPathComponent("logits.safetensors"))
        let r = try Relevance.explain(model, .pixels(try golden.tensor("vit-edge.pixel_values")),
                                      options: .init(method: .gradientTimesInput))
        let map = try XCTUnwrap(r.pixels)
        XCTAssertEqual(map.shape, [30, 30])
        XCTAssertEqual(r.patchGrid?.count, 3)
        XCTAssertEqual(r.patchGrid?.first?.count, 3)
        for y in 0..<30 { for x in 0..<30 where y >= 24 || x >= 24 { XCTAssertEqual(map[y, x], 0, "pixel \(y),\(x)") } }
        let mapSum = map.storage.reduce(0.0) { $0 + Double($1) }
        let patchSum = r.tokens.dropFirst().reduce(0.0) { $0 + Double($1) }
        XCTAssertEqual(mapSum, patchSum, accuracy: 1e-5 * max(1, abs(patchSum)))
        XCTAssertNotEqual(patchSum, 0)
    }
}
