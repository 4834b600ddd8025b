import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// GLM (`model_type` "glm": glm-4-9b-chat-hf, glm-edge) and GLM-4 (`glm4`: GLM-4-0414, GLM-Z1): every
/// hook point of glm-tiny (GQA 4:2, head_dim 8, partial_rotary_factor 0.5 in interleaved pairs, q/k/v
/// biases, untied, eos a list) and glm4-tiny (sandwich norms, head_dim 16 ≠ d/H, partial_rotary_factor
/// 0.75, multi-query, no biases, linear rope_scaling as "type", tied) against transformers 4.53.3's
/// GlmForCausalLM / Glm4ForCausalLM at 1e-4 (goldens from scripts/fixtures/hf_hooks_glm.py), the block
/// shapes, `GlmConfig`'s defaults, num_parameters(), and typed config and weight errors.
final class GlmTests: XCTestCase {
    static let names = ["glm-tiny", "glm4-tiny"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "glm-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "glm")
    }

    /// `name`'s config.json with `edits` applied (a nil value removes the key; NSNull writes null).
    private func editedConfig(_ edits: [String: Any?], of name: String = "glm-tiny") throws -> String {
        try Fixtures.editedConfigText(name, edits)
    }

    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// glm: pre-norm blocks; glm4: sandwich blocks with the branch-output norms. Both: interleaved
    /// rotary on int(head_dim · partial_rotary_factor) dims, q/k/v biases exactly with attention_bias
    /// and never an o_proj bias, the fused gate_up_proj split gate first, untied or tied as configured.
    func testBlockShapes() throws {
        let glm = try Fixtures.load("glm-tiny"), glm4 = try Fixtures.load("glm4-tiny")
        XCTAssertEqual(glm.architecture.modelType, "glm")
        XCTAssertEqual(glm4.architecture.modelType, "glm4")
        XCTAssertEqual(glm.architecture.placement, .pre)
        XCTAssertEqual(glm4.architecture.placement, .sandwich)
        XCTAssertNil(glm.weights.blocks[0].ln1Post)
        XCTAssertNotNil(glm4.weights.blocks[2].ln1Post)
        XCTAssertNotNil(glm4.weights.blocks[2].ln2Post)
        XCTAssertEqual(glm.architecture.norm, .rmsNorm(eps: 1e-5))
        XCTAssertEqual(glm4.architecture.norm, .rmsNorm(eps: 1e-6))
        XCTAssertEqual([glm.architecture.heads, glm.architecture.kvHeads, glm.architecture.headDim], [4, 2, 8])
        XCTAssertEqual([glm4.architecture.heads, glm4.architecture.kvHeads, glm4.architecture.headDim], [4, 1, 16])
        guard case .rotary(let rope) = glm.architecture.position, case .rotary(let rope4) = glm4.architecture.position else {
            return XCTFail("not rotary")
        }
        XCTAssertEqual([rope.dimensions, rope4.dimensions], [4, 12])
        XCTAssertEqual([rope.layout, rope4.layout], [.interleaved, .interleaved])
        XCTAssertEqual(rope.scaling, .none)
        XCTAssertEqual(rope4.scaling, .linear(factor: 2))
        let a = glm.weights.blocks[1].attention
        for b in [a.query.bias, a.key.bias, a.value.bias] { XCTAssertNotNil(b) }
        XCTAssertNil(a.output.bias)
        let a4 = glm4.weights.blocks[1].attention
        for b in [a4.query.bias, a4.key.bias, a4.value.bias, a4.output.bias] { XCTAssertNil(b) }
        XCTAssertEqual(glm.architecture.mlp, .gated)
        XCTAssertNotNil(glm.weights.blocks[0].mlp.up)
        XCTAssertFalse(try XCTUnwrap(glm.weights.head.unembed).weight.sharesStorage(with: glm.weights.embeddings.token))
        XCTAssertTrue(try XCTUnwrap(glm4.weights.head.unembed).weight.sharesStorage(with: glm4.weights.embeddings.token))
        XCTAssertEqual(glm.weights.parameterCount, 22112)     // GlmForCausalLM.num_parameters()
        XCTAssertEqual(glm4.weights.parameterCount, 30400)   // Glm4ForCausalLM.num_parameters()
    }

    /// The interleaved pairing on the first rotated dims: a head's dims past them pass through
    /// (rot_q == q there, bitwise), and position 0 is not turned at all.
    func testPartialInterleavedRotation() throws {
        for (name, rotated) in [("glm-tiny", 4), ("glm4-tiny", 12)] {
            let m = try Fixtures.load(name)
            let r = try m.forward([5, 17, 40, 3, 88], capture: .all)
            let q = r.cache[.block(0, .q)]!, rot = r.cache[.block(0, .rotQ)]!
            let dh = m.architecture.headDim
            for i in 0..<5 {
                for h in 0..<m.architecture.heads {
                    for d in rotated..<dh { XCTAssertEqual(rot[i, h, d], q[i, h, d], "\(name) pass-through") }
                }
            }
            for h in 0..<m.architecture.heads {
                for d in 0..<dh { XCTAssertEqual(rot[0, h, d], q[0, h, d], accuracy: 1e-6, "\(name) position 0") }
            }
        }
    }

    /// GlmConfig's defaults (Glm4Config's are the same): head_dim 128 whatever d/H is, ε 1.5625e-7,
    /// partial_rotary_factor 0.5, attention_bias, untied; rope_type is read before type (no validation
    /// copies type over it); an attention_dropout or sliding_window are not read.
    func testDefaultsAndRopeTypeFirst() throws {
        let defaults = try JSONDecoder().decode(GlmConfig.self, from: Data(#"{"model_type": "glm"}"#.utf8))
        XCTAssertEqual([defaults.fields.vocabSize, defaults.fields.hiddenSize, defaults.fields.intermediateSize,
                        defaults.fields.numHiddenLayers, defaults.fields.numAttentionHeads, defaults.fields.numKeyValueHeads,
                        defaults.fields.headDim, defaults.fields.maxPositionEmbeddings], [151552, 4096, 13696, 40, 32, 2, 128, 131072])
        XCTAssertEqual(defaults.fields.rmsNormEps, 1.5625e-7)
        XCTAssertEqual(defaults.fields.ropeTheta, 10000)
        XCTAssertEqual(defaults.fields.hiddenAct, "silu")
        XCTAssertEqual(defaults.partialRotaryFactor, 0.5)
        XCTAssertEqual(defaults.rotatedDimensions, 64)
        XCTAssertTrue(defaults.attentionBias)
        XCTAssertFalse(defaults.fields.tieWordEmbeddings)
        XCTAssertFalse(defaults.sandwich)
        XCTAssertTrue(try JSONDecoder().decode(GlmConfig.self, from: Data(#"{"model_type": "glm4"}"#.utf8)).sandwich)
        let d64 = try JSONDecoder().decode(GlmConfig.self, from: Data(#"{"model_type": "glm", "hidden_size": 64, "num_attention_heads": 4}"#.utf8))
        XCTAssertEqual(d64.fields.headDim, 128)
        let both = try TransformerModel.load(directory: folder(config: editedConfig(
            ["rope_scaling": ["rope_type": "linear", "type": "dynamic", "factor": 2.0], "attention_dropout": NSNull(), "sliding_window": 2])))
        guard case .rotary(let rope) = both.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.scaling, .linear(factor: 2))
        XCTAssertEqual(both.architecture.slidingWindows, [nil, nil])
    }

    func testGlmConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "glm", "num_key_value_heads": null}"#, "'num_key_value_heads' is null"),
            (#"{"model_type": "glm", "head_dim": null}"#, "'head_dim' is null"),
            (#"{"model_type": "glm4", "partial_rotary_factor": null}"#, "'partial_rotary_factor'"),
            // int(5 · 1) = 5 rotated: transformers' table is 6 wide, wider than the head (size mismatch).
            // (head_dim 10 at 0.5, an odd 5 within 10, runs: HeadDimFieldTests.testGlmOddRotaryWidth.)
            (#"{"model_type": "glm", "head_dim": 5, "partial_rotary_factor": 1.0}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "glm", "head_dim": 10, "partial_rotary_factor": 0.5, "rope_scaling": {"rope_type": "yarn", "factor": 2.0}}"#,
             "'partial_rotary_factor' gives an odd number (5)"),
            (#"{"model_type": "glm", "partial_rotary_factor": 1.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "glm", "num_attention_heads": 4, "num_key_value_heads": 3}"#, "'num_key_value_heads'"),
            (#"{"model_type": "glm", "rms_norm_eps": null}"#, "'rms_norm_eps' is null"),
            (#"{"model_type": "glm", "rms_norm_eps": 0}"#, "'rms_norm_eps'"),
            (#"{"model_type": "glm4", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "glm", "rope_theta": null}"#, "'rope_theta' is null"),
            (#"{"model_type": "glm", "rope_scaling": {"type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for glm"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// glm4's config over glm-tiny's weights lacks the sandwich norms; attention_bias false leaves
    /// glm-tiny's q/k/v biases unused: both refused naming the tensor.
    func testWeightErrors() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(["model_type": "glm4"])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("post_self_attn_layernorm"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(["attention_bias": false])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("bias"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: Fixtures.configText("glm-tiny"), weightsOf: "glm4-tiny")))
    }
}
