import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Configs transformers 4.53.3 loads that Glassbox once refused, against its logits
/// (scripts/fixtures/generate_activations.py → Tests/Fixtures/activations): a tiny BERT (MLM) and a
/// tiny Llama run with every newly supported `hidden_act` (the same weights, only the config
/// differs; pre-activations reach |x| ≈ 17, so relu6 and gelu_10 clip). Tolerance 1e-4 absolute
/// on the logits (|z| ≤ 16), as the goldens; measured ≤ 2.0e-5 (BERT with laplace), and any two
/// activations' logits differ by ≥ 0.11, so a wrong mapping fails.
final class ActivationCheckpointTests: XCTestCase {
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/activations")

    private func reference() throws -> SafetensorsFile {
        try SafetensorsFile(url: Self.folder.appendingPathComponent("logits.safetensors"))
    }

    /// A copy of fixture `name` (under activations/models) whose config says `hidden_act = act`.
    private func copy(_ name: String, hiddenAct act: String) throws -> URL {
        let source = Self.folder.appendingPathComponent("models/\(name)")
        let folder = try makeTemporaryFolder("acts")
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        let data = try Data(contentsOf: source.appendingPathComponent("config.json"))
        var config = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        config["hidden_act"] = act
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    private func checkEveryActivation(_ model: String, idsKey: String) throws {
        let golden = try reference()
        let acts = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(golden.metadata["acts"]).utf8))
        let ids = try JSONDecoder().decode([Int].self, from: Data(try XCTUnwrap(golden.metadata[idsKey]).utf8))
        XCTAssertEqual(acts.count, 10)
        for act in acts {
            let loaded = try TransformerModel.load(directory: copy(model, hiddenAct: act))
            XCTAssertEqual(loaded.architecture.activation, Activation(huggingFaceName: act), act)
            let logits = try XCTUnwrap(try loaded.forward(ids).logits)
            assertClose(logits, try golden.tensor("\(model).\(act)"), tolerance: 1e-4, "\(model) with \(act)")
        }
    }

    func testBertLogitsWithEveryNewActivation() throws {
        try checkEveryActivation("bert-acts", idsKey: "bert_input_ids")
    }

    func testLlamaLogitsWithEveryNewActivation() throws {
        try checkEveryActivation("llama-acts", idsKey: "llama_input_ids")
    }

    /// `prelu` (nn.PReLU, a learnable module) is refused with one line naming config.json and the key.
    func testPReLUIsRefusedWithItsOwnReason() throws {
        for (model, key) in [("bert-acts", "hidden_act"), ("llama-acts", "hidden_act")] {
            let folder = try copy(model, hiddenAct: "prelu")
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                XCTAssertEqual(error.localizedDescription, folder.appendingPathComponent("config.json").path
                               + ": '\(key)' 'prelu' is not supported: it is a learnable nn.PReLU module with its own weight, not a fixed function")
            }
        }
        XCTAssertNil(Activation(huggingFaceName: "prelu"))
        XCTAssertEqual(Activation(huggingFaceName: "gelu_accurate"), .geluTanh)
        XCTAssertEqual(Activation(huggingFaceName: "swish"), .silu)
    }
}
