import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// Helium (`model_type` "helium": kyutai/helium-1-2b): every hook point of helium-tiny (GQA 4:2,
/// interleaved rotary pairs on the whole head, no biases, untied, the default ε 1e-8 and θ 100000) and
/// helium-bias (q/k/v and gate/up/down biases, multi-query 2:1 of width 16, linear rope_scaling as
/// "type", gelu, tied) against transformers 4.53.3's HeliumForCausalLM at 1e-4 (goldens from
/// scripts/fixtures/hf_hooks.py's capture_llama, which rotates with the model's own
/// apply_rotary_pos_emb), the block shapes, `HeliumConfig`'s defaults, num_parameters(), and typed
/// config and weight errors.
final class HeliumTests: XCTestCase {
    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "helium-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "helium")
    }

    /// `name`'s config.json with `edits` applied (a nil value removes the key; NSNull writes null).
    private func editedConfig(_ edits: [String: Any?], of name: String = "helium-tiny") throws -> String {
        try Fixtures.editedConfigText(name, edits)
    }

    func testEveryHookMatchesTransformers() throws {
        for name in ["helium-tiny", "helium-bias"] {
            try assertEveryHookMatchesGoldens(Fixtures.load(name), name)
        }
    }

    /// Pre-RMSNorm blocks, interleaved rotary on the whole head, a gated MLP; helium-tiny without
    /// biases and untied, helium-bias with q/k/v biases (never o), gate/up/down biases, linear scaling, tied.
    func testBlockShapes() throws {
        let m = try Fixtures.load("helium-tiny")
        XCTAssertEqual(m.architecture.modelType, "helium")
        XCTAssertEqual(m.architecture.placement, .pre)
        XCTAssertEqual(m.architecture.norm, .rmsNorm(eps: 1e-8))
        XCTAssertEqual([m.architecture.heads, m.architecture.kvHeads, m.architecture.headDim, m.architecture.dFF], [4, 2, 8, 48])
        XCTAssertEqual(m.architecture.activation, .silu)
        XCTAssertEqual(m.architecture.mlp, .gated)
        guard case .rotary(let rope) = m.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual([rope.dimensions], [8])
        XCTAssertEqual(rope.layout, .interleaved)
        XCTAssertEqual(rope.base, 100000)
        XCTAssertEqual(rope.scaling, .none)
        let a = m.weights.blocks[1].attention
        for b in [a.query.bias, a.key.bias, a.value.bias, a.output.bias] { XCTAssertNil(b) }
        XCTAssertFalse(try XCTUnwrap(m.weights.head.unembed).weight.sharesStorage(with: m.weights.embeddings.token))
        XCTAssertEqual(m.weights.parameterCount, 21984)   // HeliumForCausalLM.num_parameters()

        let b = try Fixtures.load("helium-bias")
        XCTAssertEqual([b.architecture.heads, b.architecture.kvHeads, b.architecture.headDim], [2, 1, 16])
        XCTAssertEqual(b.architecture.activation, .gelu)
        guard case .rotary(let ropeB) = b.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(ropeB.layout, .interleaved)
        XCTAssertEqual(ropeB.scaling, .linear(factor: 2))
        let ab = b.weights.blocks[2].attention
        for bias in [ab.query.bias, ab.key.bias, ab.value.bias] { XCTAssertNotNil(bias) }
        XCTAssertNil(ab.output.bias)
        let mlp = b.weights.blocks[2].mlp
        for bias in [mlp.input.bias, mlp.up?.bias, mlp.output.bias] { XCTAssertNotNil(bias) }
        XCTAssertTrue(try XCTUnwrap(b.weights.head.unembed).weight.sharesStorage(with: b.weights.embeddings.token))
        XCTAssertEqual(b.weights.parameterCount, 24592)   // HeliumForCausalLM.num_parameters() (tied once)
    }

    /// HeliumConfig's defaults: V 48000, d 2560, dff 7040, 24 layers, 20 heads, Hkv 20, head_dim 128,
    /// 4096 positions, ε 1e-8, θ 100000, silu, no biases, untied; rope_scaling read rope_type first
    /// (HeliumRotaryEmbedding, no validation in HeliumConfig), sliding_window not read.
    func testDefaultsAndRopeTypeFirst() throws {
        let defaults = try JSONDecoder().decode(HeliumConfig.self, from: Data(#"{"model_type": "helium"}"#.utf8))
        XCTAssertEqual([defaults.fields.vocabSize, defaults.fields.hiddenSize, defaults.fields.intermediateSize,
                        defaults.fields.numHiddenLayers, defaults.fields.numAttentionHeads, defaults.fields.numKeyValueHeads,
                        defaults.fields.headDim, defaults.fields.maxPositionEmbeddings], [48000, 2560, 7040, 24, 20, 20, 128, 4096])
        XCTAssertEqual(defaults.fields.rmsNormEps, 1e-8)
        XCTAssertEqual(defaults.fields.ropeTheta, 100000)
        XCTAssertEqual(defaults.fields.hiddenAct, "silu")
        XCTAssertFalse(defaults.attentionBias)
        XCTAssertFalse(defaults.mlpBias)
        XCTAssertFalse(defaults.fields.tieWordEmbeddings)
        XCTAssertEqual(defaults.ropeScaling, .none)
        let both = try TransformerModel.load(directory: folder(config: editedConfig(
            ["rope_scaling": ["rope_type": "linear", "type": "dynamic", "factor": 2.0], "sliding_window": 2])))
        guard case .rotary(let rope) = both.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .linear(factor: 2))
        XCTAssertEqual(both.architecture.slidingWindows, [nil, nil])
    }

    func testHeliumConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "helium", "hidden_act": null}"#, "'hidden_act' is null"),
            (#"{"model_type": "helium", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "helium", "rms_norm_eps": null}"#, "'rms_norm_eps' is null"),
            (#"{"model_type": "helium", "rope_theta": null}"#, "'rope_theta' is null"),
            (#"{"model_type": "helium", "head_dim": null}"#, "'head_dim' is null"),
            (#"{"model_type": "helium", "num_key_value_heads": null}"#, "'num_key_value_heads' is null"),
            (#"{"model_type": "helium", "head_dim": 0}"#, "'head_dim'"),
            (#"{"model_type": "helium", "head_dim": 64}"#, "must equal hidden_size (2560)"),
            (#"{"model_type": "helium", "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 4}"#, "'head_dim'"),
            (#"{"model_type": "helium", "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 4}"#,
             "'head_dim' (128, HeliumConfig's default, used because the key is absent) × num_attention_heads (4) must equal hidden_size (32)"),
            (#"{"model_type": "helium", "head_dim": 128, "hidden_size": 32, "num_attention_heads": 4, "num_key_value_heads": 4}"#,
             "'head_dim' (128) × num_attention_heads (4) must equal hidden_size (32)"),
            (#"{"model_type": "helium", "partial_rotary_factor": 0.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "helium", "num_attention_heads": 20, "num_key_value_heads": 3}"#, "'num_key_value_heads'"),
            (#"{"model_type": "helium", "rope_scaling": {"type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for helium"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// mlp_bias false leaves helium-bias's MLP biases unread, and attention_bias true asks helium-tiny
    /// for q/k/v biases it lacks: each refused naming the tensor.
    func testWeightErrors() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(
            config: editedConfig(["mlp_bias": false], of: "helium-bias"), weightsOf: "helium-bias"))) { error in
            XCTAssertTrue(error.localizedDescription.contains("mlp.gate_proj.bias"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(["attention_bias": true])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_proj.bias"), error.localizedDescription)
        }
    }
}
