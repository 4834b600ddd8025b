import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Rollout and flow on the fixture models against the official algorithms run in numpy/networkx
/// on the attentions transformers returns (scripts/fixtures/generate_analysis.py).
/// Tolerance: max |Δ| ≤ 1e-5.
final class RolloutParityTests: XCTestCase {
    func testRolloutAndFlowMatchTheReference() throws {
        let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/analysis")
        let models = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        XCTAssertEqual(models, ["bert-cls", "gpt2-odd", "llama-gqa", "vit-tiny"])
        var flows = 0
        for name in models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for file in try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(name).path).sorted() {
                let reference = try SafetensorsFile(url: folder.appendingPathComponent("\(name)/\(file)"))
                let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/\(file)"))
                let input: ModelInput = golden.file.entry("pixel_values") != nil
                    ? .pixels(try golden.tensor("pixel_values")) : .tokens(golden.inputIDs, types: nil)
                let layers = try AttentionRollout.layerMatrices(model, input)
                let expected = try reference.tensor("rollout")
                assertClose(AttentionRollout.matrix(layers), expected, tolerance: 1e-5, "\(name)/\(file) rollout")
                let n = expected.shape[0]
                for p in [0, n - 1] {
                    assertClose(Tensor(shape: [n], storage: AttentionRollout.row(layers, position: p)), expected.row(p),
                                tolerance: 1e-5, "\(name)/\(file) rollout row \(p)")
                }
                if reference.entry("flow") != nil {
                    let flow = try reference.tensor("flow")
                    for u in 0..<n {
                        assertClose(Tensor(shape: [n], storage: AttentionFlow.row(layers, position: u).normalized), flow.row(u),
                                    tolerance: 1e-5, "\(name)/\(file) flow row \(u)")
                    }
                    flows += 1
                }
            }
        }
        XCTAssertGreaterThanOrEqual(flows, 6)
    }
}
