import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Phi-1 / 1.5 / 2 (`model_type` "phi") beyond the golden comparison (GoldenTests checks every hook
/// point of phi-tiny and phi-qknorm against transformers' PhiForCausalLM at 1e-4): GPT-NeoX's hook
/// list with the one input_layernorm serving as ln1 and ln2, partial rotary, the per-head QK
/// LayerNorm, the LM head's bias, and typed config and weight errors.
final class PhiTests: XCTestCase {

    /// A folder holding `config` (JSON text) and phi-tiny's weights, or `weights` when given.
    private func folder(config: String, weights: URL? = nil) throws -> URL {
        try Fixtures.folder(config: config, weights: weights ?? Fixtures.weights("phi-tiny"), test: self, label: "phi")
    }

    func testHookPointsAreGPTNeoXParallels() throws {
        let phi = try Fixtures.load("phi-tiny"), neox = try Fixtures.load("neox-parallel")
        XCTAssertTrue(phi.architecture.parallelResidual)
        XCTAssertEqual(phi.architecture.modelType, "phi")
        XCTAssertEqual(phi.hookPoints.map(\.name), neox.hookPoints.map(\.name), "the same points with the same meaning as GPT-NeoX's")
        let qk = try Fixtures.load("phi-qknorm").hookPoints.map(\.name)
        XCTAssertEqual(Array(qk[4...12]), ["blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
                                           "blocks.0.attn.q_norm.hook_scale", "blocks.0.attn.q_norm.hook_normalized",
                                           "blocks.0.attn.k_norm.hook_scale", "blocks.0.attn.k_norm.hook_normalized",
                                           "blocks.0.attn.hook_rot_q", "blocks.0.attn.hook_rot_k"])
    }

    /// Both branches read one LayerNorm of the block input: ln2's hooks hold ln1's values bitwise,
    /// and the block output is resid_pre + attn_out + mlp_out.
    func testOneLayerNormFeedsBothBranches() throws {
        for name in ["phi-tiny", "phi-qknorm"] {
            try assertOneLayerNormFeedsBothBranches(try Fixtures.load(name), ids: [5, 17, 3, 90, 44], name)
        }
    }

    func testPartialRotaryAndGroupedQueries() throws {
        let m = try Fixtures.load("phi-tiny")   // dh 10, partial_rotary_factor 0.4: 4 rotated dimensions; 3 query heads, 1 kv head
        guard case .rotary(let rope) = m.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.dimensions, 4)
        XCTAssertEqual([m.architecture.heads, m.architecture.kvHeads, m.architecture.headDim], [3, 1, 10])
        let r = try m.forward([5, 17, 3], capture: .all)
        let q = r.cache[.block(0, .q)]!, rot = r.cache[.block(0, .rotQ)]!
        for t in 0..<3 { for h in 0..<3 { for j in 4..<10 { XCTAssertEqual(q[t, h, j], rot[t, h, j]) } } }
        XCTAssertNotEqual(q[2, 0, 0], rot[2, 0, 0])
        guard case .rotary(let scaled) = try Fixtures.load("phi-qknorm").architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(scaled.scaling, .dynamic(factor: 2))
    }

    /// The norm shared by ln1 and ln2 is counted once; a tied lm_head keeps its own bias.
    func testSharedNormAndTiedHeadWithBias() throws {
        let tiny = try Fixtures.load("phi-tiny"), tied = try Fixtures.load("phi-qknorm")
        XCTAssertEqual(tiny.weights.parameterCount, 16851)   // PhiForCausalLM.num_parameters()
        XCTAssertEqual(tied.weights.parameterCount, 15057)
        let unembed = try XCTUnwrap(tied.weights.head.unembed)
        XCTAssertTrue(unembed.weight.sharesStorage(with: tied.weights.embeddings.token))
        XCTAssertEqual(unembed.bias?.count, 97)
        XCTAssertNotNil(tiny.weights.head.unembed?.bias)
        let block = tied.weights.blocks[0]
        XCTAssertEqual(block.attention.queryNorm?.weight.count, 8)
        XCTAssertEqual(block.attention.keyNorm?.bias?.count, 8)
    }

    func testPhiConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "phi", "hidden_size": 30, "num_attention_heads": 4}"#, "'num_attention_heads'"),
            (#"{"model_type": "phi", "hidden_size": 30, "num_attention_heads": 3, "partial_rotary_factor": 0.3}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "phi", "partial_rotary_factor": 1.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "phi", "partial_rotary_factor": null}"#,      // transformers: TypeError, not the default 0.5
             "'partial_rotary_factor' is null; transformers cannot multiply the head size by it (TypeError); give a number in (0, 1] or leave the key out for 0.5"),
            // 0 rotates nothing, as transformers (NegativeRotaryShareTests); int(64 · −0.5) = −32 fails in torch.arange.
            (#"{"model_type": "phi", "partial_rotary_factor": -0.5}"#, "'partial_rotary_factor' gives int(head_dim · share) = -32"),
            (#"{"model_type": "phi", "num_attention_heads": 3, "num_key_value_heads": 2, "hidden_size": 30}"#, "'num_key_value_heads'"),
            (#"{"model_type": "phi", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "phi", "layer_norm_eps": 0}"#, "'layer_norm_eps'"),
            (#"{"model_type": "phi", "rope_theta": -1}"#, "'rope_theta'"),
            (#"{"model_type": "phi", "qk_layernorm": true, "hidden_size": 30, "num_attention_heads": 3, "head_dim": 12}"#, "'head_dim'"),
            (#"{"model_type": "phi", "rope_scaling": {"rope_type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for phi"),
            (#"{"model_type": "phi", "rope_scaling": {"factor": 2.0}}"#, "'rope_scaling' needs a 'rope_type' (or 'type')"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// phi-tiny's config over phi-qknorm's weights: the first shape that differs is named; phi-tiny's
    /// config with qk_layernorm asks for tensors the file lacks; a classifier head is refused.
    func testWeightAndHeadErrors() throws {
        let config = try String(contentsOf: Fixtures.model("phi-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(
            config: config, weights: Fixtures.weights("phi-qknorm"))))
        let withNorm = config.replacingOccurrences(of: #""qk_layernorm": false"#, with: #""qk_layernorm": true"#)
        XCTAssertNotEqual(withNorm, config)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: withNorm))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_layernorm.weight"), error.localizedDescription)
        }
        let classifier = config.replacingOccurrences(of: "PhiForCausalLM", with: "PhiForSequenceClassification")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
            XCTAssertTrue(error.localizedDescription.contains("PhiForSequenceClassification"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("PhiForCausalLM"), error.localizedDescription)
        }
    }
}
