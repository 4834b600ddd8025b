import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Qwen3 specifics beyond the golden comparison (GoldenTests checks every hook point of
/// qwen3-qknorm, QK-norm points included, against transformers at 1e-4): the QK-norm hook names and
/// shapes, `head_dim` differing from `d/H`, edits at the QK-norm points, and config errors.
final class Qwen3Tests: XCTestCase {
    private func model() throws -> TransformerModel {
        try TransformerModel.load(directory: Fixtures.model("qwen3-qknorm"))
    }

    func testQKNormHooksSitBetweenTheProjectionsAndTheRotation() throws {
        let m = try model()
        XCTAssertEqual(m.architecture.headDim, 14)   // hidden_size 30 / 3 heads would be 10
        XCTAssertEqual(m.architecture.modelType, "qwen3")
        let names = m.hookPoints.map(\.name).filter { $0.hasPrefix("blocks.0.attn.") }
        XCTAssertEqual(Array(names.prefix(9)), [
            "blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
            "blocks.0.attn.q_norm.hook_scale", "blocks.0.attn.q_norm.hook_normalized",
            "blocks.0.attn.k_norm.hook_scale", "blocks.0.attn.k_norm.hook_normalized",
            "blocks.0.attn.hook_rot_q", "blocks.0.attn.hook_rot_k",
        ])
        let r = try m.forward([4, 50, 7, 99], capture: .all)
        XCTAssertEqual(r.cache[.block(1, .qNorm(.scale))]?.shape, [4, 3, 1])
        XCTAssertEqual(r.cache[.block(1, .qNorm(.normalized))]?.shape, [4, 3, 14])
        XCTAssertEqual(r.cache[.block(1, .kNorm(.scale))]?.shape, [4, 1, 1])
        XCTAssertEqual(r.cache[.block(1, .kNorm(.normalized))]?.shape, [4, 1, 14])
        XCTAssertEqual(HookPoint(name: "blocks.1.attn.k_norm.hook_normalized"), .block(1, .kNorm(.normalized)))
        // Models without QK-norm do not fire these points.
        let llama = try TransformerModel.load(directory: Fixtures.model("llama-gqa"))
        XCTAssertFalse(llama.hookPoints.map(\.name).contains { $0.contains("q_norm") })
    }

    func testEditingTheQueryNormScaleChangesThePattern() throws {
        let m = try model()
        let ids = [4, 50, 7, 99, 12]
        let base = try m.forward(ids, capture: .all)
        // Identity edit: nothing changes.
        var same = Interventions()
        same.add(.block(0, .qNorm(.scale))) { _, t in t }
        let unchanged = try m.forward(ids, capture: .all, interventions: same)
        XCTAssertEqual(unchanged.logits?.storage, base.logits?.storage)
        // Doubling the scale halves x̂: the rotated queries halve, and the pattern moves.
        var edit = Interventions()
        edit.add(.block(0, .qNorm(.scale))) { _, t in
            var doubled = t
            for i in 0..<doubled.count { doubled.storage[i] *= 2 }
            return doubled
        }
        let edited = try m.forward(ids, capture: .all, interventions: edit)
        let q0 = base.cache[.block(0, .rotQ)]!, q1 = edited.cache[.block(0, .rotQ)]!
        for i in 0..<q0.count { XCTAssertEqual(q1.storage[i], q0.storage[i] / 2, accuracy: 1e-5) }
        XCTAssertNotEqual(edited.cache[.block(0, .pattern)]?.storage, base.cache[.block(0, .pattern)]?.storage)
    }

    func testMissingQKNormWeightIsNamed() throws {
        // llama-gqa's weights under a qwen3 config of the same sizes: no q_norm tensors.
        let folder = try makeTemporaryFolder("qwen3")
        let source = Fixtures.model("llama-gqa")
        var config = try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("config.json"))) as! [String: Any]
        config["model_type"] = "qwen3"
        config["head_dim"] = 8
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: source.appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_norm"), error.localizedDescription)
        }
    }

    func testQwen3ConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "qwen3", "head_dim": 0}"#, "head_dim"),
            (#"{"model_type": "qwen3", "num_attention_heads": 8, "num_key_value_heads": 3}"#, "num_key_value_heads"),
            (#"{"model_type": "qwen3", "use_sliding_window": true, "num_hidden_layers": 2, "layer_types": ["full_attention"]}"#, "layer_types"),
            (#"{"model_type": "qwen3", "hidden_act": "prelu"}"#, "hidden_act"),
        ]
        for (json, fragment) in cases {
            let folder = try Fixtures.folder(config: json, weights: Fixtures.weights("qwen3-qknorm"), test: self, label: "qwen3")
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fragment): \(error)") }
                XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)")
            }
        }
    }
}
