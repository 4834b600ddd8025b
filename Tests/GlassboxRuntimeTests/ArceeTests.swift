import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// Arcee (`model_type` "arcee": arcee-ai/AFM-4.5B): every hook point of arcee-tiny (GQA 4:2, head_dim
/// 12 ≠ d/H, an MLP without a gate with relu2, YaRN rope_scaling, q/k/v/o and up/down biases, untied)
/// against transformers 4.53.3's ArceeForCausalLM at 1e-4 (goldens from scripts/fixtures/hf_hooks.py's
/// capture_llama, whose Arcee path records up_proj's output as mlp.hook_pre and no hook_pre_linear), the
/// block shapes, `ArceeConfig`'s defaults, num_parameters(), and typed config and weight errors.
final class ArceeTests: XCTestCase {
    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "arcee-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "arcee")
    }

    /// `name`'s config.json with `edits` applied (a nil value removes the key; NSNull writes null).
    private func editedConfig(_ edits: [String: Any?], of name: String = "arcee-tiny") throws -> String {
        try Fixtures.editedConfigText(name, edits)
    }

    func testEveryHookMatchesTransformers() throws {
        try assertEveryHookMatchesGoldens(Fixtures.load("arcee-tiny"), "arcee-tiny")
    }

    /// Pre-RMSNorm blocks, Llama's half-split rotary on the whole head with YaRN, biases on q/k/v/o and
    /// on up/down, an MLP without a gate (`.standard`: up_proj is the activated map, no `up`), untied.
    func testBlockShapes() throws {
        let m = try Fixtures.load("arcee-tiny")
        XCTAssertEqual(m.architecture.modelType, "arcee")
        XCTAssertEqual(m.architecture.placement, .pre)
        XCTAssertEqual(m.architecture.norm, .rmsNorm(eps: 1e-5))
        XCTAssertEqual([m.architecture.heads, m.architecture.kvHeads, m.architecture.headDim, m.architecture.dFF], [4, 2, 12, 48])
        XCTAssertEqual(m.architecture.activation, .relu2)
        XCTAssertEqual(m.architecture.mlp, .standard)
        guard case .rotary(let rope) = m.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.dimensions, 12)
        XCTAssertEqual(rope.layout, .halves)
        guard case .yarn(let yarn) = rope.scaling else { return XCTFail("not yarn: \(rope.scaling)") }
        XCTAssertEqual(yarn.factor, 4)
        XCTAssertEqual(yarn.originalMaxPositions, 16)
        let a = m.weights.blocks[1].attention
        for b in [a.query.bias, a.key.bias, a.value.bias, a.output.bias] { XCTAssertNotNil(b) }
        let mlp = m.weights.blocks[1].mlp
        XCTAssertNil(mlp.up)
        XCTAssertNotNil(mlp.input.bias)
        XCTAssertNotNil(mlp.output.bias)
        XCTAssertFalse(try XCTUnwrap(m.weights.head.unembed).weight.sharesStorage(with: m.weights.embeddings.token))
        XCTAssertEqual(m.weights.parameterCount, 22528)   // ArceeForCausalLM.num_parameters()
    }

    /// ArceeConfig's defaults: V 32000, d 2560, dff 18432, 32 layers, 32 heads, Hkv = H (also when
    /// null), head_dim d/H (also when null), 4096 positions, ε 1e-5, θ 10000, relu2, no biases, untied;
    /// `type` is copied over `rope_type` (ArceeConfig.__init__), and sliding_window is not read.
    func testDefaultsAndTypeOverRopeType() throws {
        let defaults = try JSONDecoder().decode(ArceeConfig.self, from: Data(#"{"model_type": "arcee"}"#.utf8))
        XCTAssertEqual([defaults.fields.vocabSize, defaults.fields.hiddenSize, defaults.fields.intermediateSize,
                        defaults.fields.numHiddenLayers, defaults.fields.numAttentionHeads, defaults.fields.numKeyValueHeads,
                        defaults.fields.headDim, defaults.fields.maxPositionEmbeddings], [32000, 2560, 18432, 32, 32, 32, 80, 4096])
        XCTAssertEqual(defaults.fields.rmsNormEps, 1e-5)
        XCTAssertEqual(defaults.fields.ropeTheta, 10000)
        XCTAssertEqual(defaults.fields.hiddenAct, "relu2")
        XCTAssertFalse(defaults.attentionBias)
        XCTAssertFalse(defaults.mlpBias)
        XCTAssertFalse(defaults.fields.tieWordEmbeddings)
        XCTAssertEqual(defaults.ropeScaling, .none)
        let nulls = try JSONDecoder().decode(ArceeConfig.self, from: Data(
            #"{"model_type": "arcee", "hidden_size": 64, "num_attention_heads": 4, "head_dim": null, "num_key_value_heads": null}"#.utf8))
        XCTAssertEqual([nulls.fields.headDim, nulls.fields.numKeyValueHeads], [16, 4])
        let both = try TransformerModel.load(directory: folder(config: editedConfig(
            ["rope_scaling": ["rope_type": "dynamic", "type": "linear", "factor": 2.0], "sliding_window": 2])))
        guard case .rotary(let rope) = both.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .linear(factor: 2))
        XCTAssertEqual(both.architecture.slidingWindows, [nil, nil])
    }

    func testArceeConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "arcee", "hidden_act": null}"#, "'hidden_act' is null"),
            (#"{"model_type": "arcee", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "arcee", "rms_norm_eps": null}"#, "'rms_norm_eps' is null"),
            (#"{"model_type": "arcee", "rope_theta": null}"#, "'rope_theta' is null"),
            (#"{"model_type": "arcee", "head_dim": 0}"#, "'head_dim'"),
            (#"{"model_type": "arcee", "partial_rotary_factor": 0.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "arcee", "num_attention_heads": 4, "num_key_value_heads": 3, "hidden_size": 64}"#, "'num_key_value_heads'"),
            (#"{"model_type": "arcee", "rope_scaling": {"type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for arcee"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// mlp_bias / attention_bias false leave arcee-tiny's biases unused, and a Llama checkpoint's
    /// gate_proj is not part of ArceeMLP: each refused naming the tensor.
    func testWeightErrors() throws {
        for key in ["mlp_bias", "attention_bias"] {
            XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig([key: false])))) { error in
                XCTAssertTrue(error.localizedDescription.contains("bias"), "\(key): \(error.localizedDescription)")
            }
        }
        let llama = try editedConfig(["model_type": "arcee", "architectures": ["ArceeForCausalLM"], "hidden_act": "relu2"], of: "llama-gqa")
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: llama, weightsOf: "llama-gqa"))) { error in
            XCTAssertTrue(error.localizedDescription.contains("gate_proj"), error.localizedDescription)
        }
    }
}
