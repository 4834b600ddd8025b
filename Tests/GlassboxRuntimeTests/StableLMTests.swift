import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// StableLM (`model_type` "stablelm"): every hook point of stablelm-tiny (sequential block, partial
/// rotary 0.25, q/k/v biases, GQA 3:1) and stablelm-par (parallel block on one input_layernorm,
/// per-head QK LayerNorms with a γ of their own per head, linear rope_scaling, tied head) against
/// transformers' StableLmForCausalLM at 1e-4 (goldens from scripts/fixtures/hf_hooks_stablelm.py),
/// the block shapes, num_parameters(), and typed config and weight errors.
final class StableLMTests: XCTestCase {
    static let names = ["stablelm-tiny", "stablelm-par"]

    /// A folder holding `config` (JSON text) and stablelm-tiny's weights, or `weights` when given.
    private func folder(config: String, weights: URL? = nil) throws -> URL {
        try Fixtures.folder(config: config, weights: weights ?? Fixtures.weights("stablelm-tiny"), test: self, label: "stablelm")
    }

    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// stablelm-tiny is sequential with post_attention_layernorm; stablelm-par's one input_layernorm
    /// feeds both branches (ln2's hooks hold ln1's values bitwise, resid_post = pre + attn + mlp).
    func testBlockShapes() throws {
        let tiny = try Fixtures.load("stablelm-tiny"), par = try Fixtures.load("stablelm-par")
        XCTAssertFalse(tiny.architecture.parallelResidual)
        XCTAssertFalse(tiny.weights.blocks[0].ln2.sharesStorage(with: tiny.weights.blocks[0].ln1))
        XCTAssertTrue(par.architecture.parallelResidual)
        try assertOneLayerNormFeedsBothBranches(par, ids: [5, 17, 3, 90, 44], "stablelm-par")
        XCTAssertEqual(tiny.architecture.norm, .layerNorm(eps: 1e-5))
        XCTAssertNotNil(tiny.weights.blocks[0].ln1.bias)
        XCTAssertNotNil(tiny.weights.blocks[0].attention.query.bias)
        XCTAssertNil(tiny.weights.blocks[0].attention.output.bias)           // o_proj never has one
        XCTAssertNil(par.weights.blocks[0].attention.query.bias)
    }

    func testPartialRotaryAndGroupedQueries() throws {
        let m = try Fixtures.load("stablelm-tiny")   // dh 16, partial_rotary_factor 0.25: 4 rotated dimensions
        guard case .rotary(let rope) = m.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.dimensions, 4)
        XCTAssertEqual([m.architecture.heads, m.architecture.kvHeads, m.architecture.headDim], [3, 1, 16])
        let r = try m.forward([5, 17, 3], capture: .all)
        let q = r.cache[.block(0, .q)]!, rot = r.cache[.block(0, .rotQ)]!
        for t in 0..<3 { for h in 0..<3 { for j in 4..<16 { XCTAssertEqual(q[t, h, j], rot[t, h, j]) } } }
        XCTAssertNotEqual(q[2, 0, 0], rot[2, 0, 0])
        guard case .rotary(let scaled) = try Fixtures.load("stablelm-par").architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(scaled.scaling, .linear(factor: 2))
        XCTAssertEqual(scaled.dimensions, 4)
    }

    /// StableLmLayerNormPerHead: one γ per head (no β), read into [heads·dh]; the heads' γ differ,
    /// so a shared-γ norm could not give the goldens. num_parameters() counts each once.
    func testPerHeadQKNormsAndParameterCounts() throws {
        let tiny = try Fixtures.load("stablelm-tiny"), par = try Fixtures.load("stablelm-par")
        let attention = par.weights.blocks[0].attention
        let q = try XCTUnwrap(attention.queryNorm), k = try XCTUnwrap(attention.keyNorm)
        XCTAssertEqual([q.weight.count, k.weight.count], [4 * 8, 2 * 8])
        XCTAssertNil(q.bias)
        XCTAssertNotEqual(Array(q.weight.storage[0..<8]), Array(q.weight.storage[8..<16]))
        XCTAssertTrue(try XCTUnwrap(par.weights.head.unembed).weight.sharesStorage(with: par.weights.embeddings.token))
        XCTAssertEqual(tiny.weights.parameterCount, 34144)   // StableLmForCausalLM.num_parameters()
        XCTAssertEqual(par.weights.parameterCount, 17984)
    }

    func testStableLMConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "stablelm", "hidden_size": 48, "num_attention_heads": 5}"#, "'num_attention_heads'"),
            (#"{"model_type": "stablelm", "hidden_size": 48, "num_attention_heads": 3, "num_key_value_heads": 2}"#, "'num_key_value_heads'"),
            // num_key_value_heads defaults to 32, not to num_attention_heads: 16 heads cannot be grouped by 32
            (#"{"model_type": "stablelm", "hidden_size": 64, "num_attention_heads": 16}"#, "'num_key_value_heads'"),
            (#"{"model_type": "stablelm", "hidden_size": 48, "num_attention_heads": 3, "num_key_value_heads": 1, "head_dim": 12}"#, "'head_dim'"),
            (#"{"model_type": "stablelm", "partial_rotary_factor": 1.5}"#, "'partial_rotary_factor'"),
            (#"{"model_type": "stablelm", "partial_rotary_factor": null}"#,
             "'partial_rotary_factor' is null; transformers cannot multiply the head size by it (TypeError); give a number in (0, 1] or leave the key out for 0.25"),
            (#"{"model_type": "stablelm", "hidden_dropout": null}"#, "'hidden_dropout'"),
            (#"{"model_type": "stablelm", "attention_dropout": null}"#, "'attention_dropout'"),
            (#"{"model_type": "stablelm", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "stablelm", "layer_norm_eps": 0}"#, "'layer_norm_eps'"),
            (#"{"model_type": "stablelm", "rope_scaling": {"rope_type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for stablelm"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// stablelm-tiny's config over stablelm-par's weights is refused; with qk_layernorm it asks for
    /// the per-head tensors by name; with use_parallel_residual it leaves post_attention_layernorm unused.
    func testWeightErrors() throws {
        let config = try String(contentsOf: Fixtures.model("stablelm-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: config, weights: Fixtures.weights("stablelm-par"))))
        let withNorm = config.replacingOccurrences(of: #""qk_layernorm": false"#, with: #""qk_layernorm": true"#)
        XCTAssertNotEqual(withNorm, config)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: withNorm))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_layernorm.norms.0.weight"), error.localizedDescription)
        }
        let parallel = config.replacingOccurrences(of: #""use_parallel_residual": false"#, with: #""use_parallel_residual": true"#)
        XCTAssertNotEqual(parallel, config)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: parallel))) { error in
            XCTAssertTrue(error.localizedDescription.contains("post_attention_layernorm"), error.localizedDescription)
        }
    }
}
