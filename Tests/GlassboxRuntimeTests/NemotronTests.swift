import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxModelIO
import GlassboxTestSupport
import XCTest

/// Nemotron (`model_type` "nemotron": Minitron-4B/8B-Base, Nemotron-Mini-4B-Instruct,
/// Mistral-NeMo-Minitron-8B): every hook point of nemotron-tiny (GQA 4:2, head_dim d // H = 8,
/// partial_rotary_factor 0.5, relu2, no biases, untied) and nemotron-bias (q/k/v/o and MLP biases,
/// head_dim 16 ≠ d/H, partial_rotary_factor 0.75, multi-query, tied, a linear rope_scaling that
/// NemotronRotaryEmbedding ignores) against transformers 4.53.3's NemotronForCausalLM at 1e-4 (goldens
/// from scripts/fixtures/hf_hooks_nemotron.py; NemotronLayerNorm1P weights drawn around 0, so a norm
/// without the + 1 fails), the block shapes, `NemotronConfig`'s defaults, num_parameters(), and typed
/// config and weight errors.
final class NemotronTests: XCTestCase {
    static let names = ["nemotron-tiny", "nemotron-bias"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "nemotron-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "nemotron")
    }

    /// `name`'s config.json with `edits` applied (a nil value removes the key; NSNull writes null).
    private func editedConfig(_ edits: [String: Any?], of name: String = "nemotron-tiny") throws -> String {
        try Fixtures.editedConfigText(name, edits)
    }

    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// Pre-LayerNorm blocks with biases and γ = 1 + the stored weight, rotate-half rotary on
    /// int(head_dim · partial_rotary_factor) dims without scaling, an ungated MLP (relu2), biases
    /// on q/k/v/o and up/down exactly with attention_bias / mlp_bias, untied or tied as configured.
    func testBlockShapes() throws {
        let tiny = try Fixtures.load("nemotron-tiny"), bias = try Fixtures.load("nemotron-bias")
        XCTAssertEqual(tiny.architecture.modelType, "nemotron")
        XCTAssertEqual(tiny.architecture.placement, .pre)
        XCTAssertEqual(tiny.architecture.norm, .layerNorm(eps: 1e-5))
        XCTAssertEqual(bias.architecture.norm, .layerNorm(eps: 1e-6))
        XCTAssertEqual([tiny.architecture.heads, tiny.architecture.kvHeads, tiny.architecture.headDim], [4, 2, 8])
        XCTAssertEqual([bias.architecture.heads, bias.architecture.kvHeads, bias.architecture.headDim], [4, 1, 16])
        guard case .rotary(let rope) = tiny.architecture.position, case .rotary(let ropeB) = bias.architecture.position else {
            return XCTFail("not rotary")
        }
        XCTAssertEqual([rope.dimensions, ropeB.dimensions], [4, 12])
        XCTAssertEqual([rope.layout, ropeB.layout], [.halves, .halves])
        XCTAssertEqual([rope.scaling, ropeB.scaling], [.none, .none])   // rope_scaling written, never read
        XCTAssertEqual(tiny.architecture.mlp, .standard)
        XCTAssertEqual(tiny.architecture.activation, .relu2)
        XCTAssertNil(tiny.weights.blocks[0].mlp.up)
        let a = tiny.weights.blocks[1].attention, m = tiny.weights.blocks[1].mlp
        for b in [a.query.bias, a.key.bias, a.value.bias, a.output.bias, m.input.bias, m.output.bias] { XCTAssertNil(b) }
        let aB = bias.weights.blocks[2].attention, mB = bias.weights.blocks[2].mlp
        for b in [aB.query.bias, aB.key.bias, aB.value.bias, aB.output.bias, mB.input.bias, mB.output.bias] { XCTAssertNotNil(b) }
        XCTAssertNotNil(tiny.weights.blocks[0].ln1.bias)
        XCTAssertFalse(try XCTUnwrap(tiny.weights.head.unembed).weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertTrue(try XCTUnwrap(bias.weights.head.unembed).weight.sharesStorage(with: bias.weights.embeddings.token))
        XCTAssertEqual(tiny.weights.parameterCount, 19072)    // NemotronForCausalLM.num_parameters()
        XCTAssertEqual(bias.weights.parameterCount, 27192)
    }

    /// γ is the stored `input_layernorm.weight` + 1 (NemotronLayerNorm1P's `self.weight + 1`).
    func testLayerNorm1PScaleIsWeightPlusOne() throws {
        let m = try Fixtures.load("nemotron-tiny")
        let w = try SafetensorsFile(url: Fixtures.weights("nemotron-tiny")).tensor("model.layers.0.input_layernorm.weight")
        let gamma = m.weights.blocks[0].ln1.weight
        XCTAssertEqual(gamma.count, 32)
        for i in 0..<gamma.count { XCTAssertEqual(gamma.storage[i], 1 + w.storage[i]) }
    }

    /// NemotronConfig's defaults: V 256000, d 6144, dff 24576, 32 layers, 48 heads, head_dim d // H
    /// (null too), norm_eps 1e-5, θ 10000, relu2, partial_rotary_factor 0.5, no biases, untied; any
    /// rope_scaling (even an unknown type) is ignored, as NemotronRotaryEmbedding's fixed "default".
    func testDefaultsAndIgnoredRopeScaling() throws {
        let defaults = try JSONDecoder().decode(NemotronConfig.self, from: Data(#"{"model_type": "nemotron", "num_key_value_heads": 8}"#.utf8))
        XCTAssertEqual([defaults.fields.vocabSize, defaults.fields.hiddenSize, defaults.fields.intermediateSize,
                        defaults.fields.numHiddenLayers, defaults.fields.numAttentionHeads, defaults.fields.numKeyValueHeads,
                        defaults.fields.headDim, defaults.fields.maxPositionEmbeddings], [256000, 6144, 24576, 32, 48, 8, 128, 4096])
        XCTAssertEqual(defaults.fields.rmsNormEps, 1e-5)
        XCTAssertEqual(defaults.fields.ropeTheta, 10000)
        XCTAssertEqual(defaults.fields.hiddenAct, "relu2")
        XCTAssertEqual(defaults.partialRotaryFactor, 0.5)
        XCTAssertEqual(defaults.rotatedDimensions, 64)
        XCTAssertFalse(defaults.attentionBias)
        XCTAssertFalse(defaults.mlpBias)
        XCTAssertFalse(defaults.fields.tieWordEmbeddings)
        let nullHead = try JSONDecoder().decode(NemotronConfig.self, from: Data(
            #"{"model_type": "nemotron", "num_key_value_heads": 2, "head_dim": null, "hidden_size": 64, "num_attention_heads": 4}"#.utf8))
        XCTAssertEqual(nullHead.fields.headDim, 16)
        let unknown = try TransformerModel.load(directory: folder(config: editedConfig(
            ["rope_scaling": ["type": "ntk", "factor": 2.0], "sliding_window": 2])))
        guard case .rotary(let rope) = unknown.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .none)
        XCTAssertEqual(unknown.architecture.slidingWindows, [nil, nil])
    }

    func testNemotronConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "nemotron"}"#, "'num_key_value_heads' is absent"),
            (#"{"model_type": "nemotron", "num_key_value_heads": null}"#, "'num_key_value_heads' is null"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "partial_rotary_factor": null}"#, "'partial_rotary_factor'"),
            // An odd head rotated whole: transformers' table is 6 wide (size mismatch). Odd widths within
            // the head and width 0 run (RotaryWidthTests); a negative share is not read.
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "head_dim": 5, "partial_rotary_factor": 1.0}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "partial_rotary_factor": -0.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "partial_rotary_factor": 1.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "nemotron", "num_attention_heads": 4, "num_key_value_heads": 3}"#, "'num_key_value_heads'"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "norm_eps": null}"#, "'norm_eps' is null"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "norm_eps": 0}"#, "'norm_eps'"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "rope_theta": null}"#, "'rope_theta' is null"),
            (#"{"model_type": "nemotron", "num_key_value_heads": 8, "attention_dropout": null}"#, "'attention_dropout' is null"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// Biases a config does not ask for are unread tensors; biases it asks for are missing; the
    /// other fixture's shapes do not fit: each refused naming the tensor.
    func testWeightErrors() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(["attention_bias": true])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_proj.bias"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(["mlp_bias": true])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("up_proj.bias"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(
            config: editedConfig(["mlp_bias": false], of: "nemotron-bias"), weightsOf: "nemotron-bias"))) { error in
            XCTAssertTrue(error.localizedDescription.contains("bias"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: Fixtures.configText("nemotron-tiny"), weightsOf: "nemotron-bias")))
    }
}
