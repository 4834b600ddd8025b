import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Cohere (`model_type` "cohere", Command-R / Aya): every hook point of cohere-tiny (GQA 4:2, no
/// QK-norm, tied, logit_scale 0.0625) and cohere-qknorm (use_qk_norm with a γ per head,
/// attention_bias, linear rope_scaling, untied, logit_scale 0.3) against transformers 4.53.3's
/// CohereForCausalLM (goldens from scripts/fixtures/hf_hooks_cohere.py, 1e-4 as GoldenTests); the
/// parallel block on one bias-free LayerNorm, the interleaved rotary pairs, the per-head QK-norm
/// weights, logit_scale folded into the output layer, num_parameters(), and typed config and weight errors.
final class CohereTests: XCTestCase {
    private static let names = ["cohere-tiny", "cohere-qknorm"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "cohere-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "cohere")
    }

    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// GPT-NeoX's parallel hook list; with use_qk_norm the per-head norm points sit between hook_v
    /// and the rotation; both branches read the one input_layernorm (ln2's hooks are ln1's bitwise).
    func testParallelBlockOnOneBiasFreeLayerNorm() throws {
        let tiny = try Fixtures.load("cohere-tiny"), neox = try Fixtures.load("neox-parallel")
        XCTAssertTrue(tiny.architecture.parallelResidual)
        XCTAssertEqual(tiny.architecture.norm, .layerNorm(eps: 1e-5))
        XCTAssertEqual(tiny.architecture.mlp, .gated)
        XCTAssertEqual(tiny.architecture.modelType, "cohere")
        let block0 = { (m: TransformerModel) in m.hookPoints.map(\.name).filter { $0.hasPrefix("blocks.0.") && !$0.contains("mlp.hook_pre_linear") } }
        XCTAssertEqual(block0(tiny), block0(neox), "the same points with the same meaning as GPT-NeoX's")
        let qk = try Fixtures.load("cohere-qknorm").hookPoints.map(\.name)
        XCTAssertEqual(Array(qk[4...12]), ["blocks.0.attn.hook_q", "blocks.0.attn.hook_k", "blocks.0.attn.hook_v",
                                           "blocks.0.attn.q_norm.hook_scale", "blocks.0.attn.q_norm.hook_normalized",
                                           "blocks.0.attn.k_norm.hook_scale", "blocks.0.attn.k_norm.hook_normalized",
                                           "blocks.0.attn.hook_rot_q", "blocks.0.attn.hook_rot_k"])
        for name in Self.names {
            let m = try Fixtures.load(name)
            try assertOneLayerNormFeedsBothBranches(m, ids: [2, 17, 5, 90, 44], name)
            for block in m.weights.blocks {
                XCTAssertNil(block.ln1.bias)
                XCTAssertTrue(block.ln2.sharesStorage(with: block.ln1))
            }
            XCTAssertNil(m.weights.head.finalNorm?.bias)
        }
    }

    /// The rotation pairs dimensions (2i, 2i+1) (GPT-J's interleaving) over the whole head: each pair
    /// keeps its norm; linear rope_scaling is read from rope_type.
    func testInterleavedRotaryOverTheWholeHead() throws {
        let m = try Fixtures.load("cohere-tiny")
        guard case .rotary(let rope) = m.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.layout, .interleaved)
        XCTAssertEqual(rope.dimensions, 8)
        let r = try m.forward([2, 17, 5], capture: .all)
        let q = r.cache[.block(0, .q)]!, rot = r.cache[.block(0, .rotQ)]!
        for h in 0..<4 {
            for i in 0..<4 {
                let before = q[2, h, 2 * i] * q[2, h, 2 * i] + q[2, h, 2 * i + 1] * q[2, h, 2 * i + 1]
                let after = rot[2, h, 2 * i] * rot[2, h, 2 * i] + rot[2, h, 2 * i + 1] * rot[2, h, 2 * i + 1]
                XCTAssertEqual(before, after, accuracy: 1e-4 * max(1, before))
            }
        }
        guard case .rotary(let scaled) = try Fixtures.load("cohere-qknorm").architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(scaled.scaling, .linear(factor: 2))
        XCTAssertEqual(scaled.layout, .interleaved)
    }

    /// use_qk_norm: q_norm holds a γ of its own for each of the 3 query heads ([H, dh] = 36 values)
    /// and k_norm for the one key/value head (12); no bias.
    func testPerHeadQKNormWeights() throws {
        let block = try Fixtures.load("cohere-qknorm").weights.blocks[0]
        let q = try XCTUnwrap(block.attention.queryNorm), k = try XCTUnwrap(block.attention.keyNorm)
        XCTAssertEqual(q.weight.count, 36)
        XCTAssertEqual(k.weight.count, 12)
        XCTAssertNil(q.bias)
        XCTAssertNotEqual(Array(q.weight.storage[0..<12]), Array(q.weight.storage[12..<24]))
        XCTAssertNil(try Fixtures.load("cohere-tiny").weights.blocks[0].attention.queryNorm)
        XCTAssertNotNil(block.attention.output.bias)
    }

    /// W_U is logit_scale · lm_head.weight: the tied head of cohere-tiny is 0.0625 × the token table
    /// (a copy, not the table), cohere-qknorm's 0.3 × its own lm_head; the count is num_parameters().
    func testLogitScaleFoldedIntoTheOutputLayer() throws {
        let tiny = try Fixtures.load("cohere-tiny"), qk = try Fixtures.load("cohere-qknorm")
        let unembed = try XCTUnwrap(tiny.weights.head.unembed)
        XCTAssertFalse(unembed.weight.sharesStorage(with: tiny.weights.embeddings.token))
        let table = tiny.weights.embeddings.token.float32(), scaled = unembed.weight.float32()
        XCTAssertEqual(scaled.storage, table.storage.map { $0 * 0.0625 })
        XCTAssertEqual(tiny.weights.parameterCount, 18656)   // CohereForCausalLM.num_parameters()
        XCTAssertEqual(qk.weights.parameterCount, 22932)
        let weights = try SafetensorsFile(url: Fixtures.weights("cohere-qknorm"))
        let head = try weights.tensor("lm_head.weight")
        XCTAssertEqual(try XCTUnwrap(qk.weights.head.unembed).weight.float32().storage, head.storage.map { $0 * Float(0.3) })
    }

    func testCohereConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "cohere", "hidden_size": 30, "num_attention_heads": 4}"#, "'num_attention_heads'"),
            (#"{"model_type": "cohere", "num_attention_heads": 4, "num_key_value_heads": 3}"#, "'num_key_value_heads'"),
            (#"{"model_type": "cohere", "hidden_act": "prelu"}"#, "'hidden_act'"),
            (#"{"model_type": "cohere", "layer_norm_eps": 0}"#, "'layer_norm_eps'"),
            (#"{"model_type": "cohere", "layer_norm_eps": null}"#, "'layer_norm_eps' is null"),
            (#"{"model_type": "cohere", "rope_theta": -1}"#, "'rope_theta'"),
            (#"{"model_type": "cohere", "logit_scale": null}"#, "'logit_scale' is null"),
            (#"{"model_type": "cohere", "head_dim": null}"#, "'head_dim' is null"),
            (#"{"model_type": "cohere", "head_dim": 0}"#, "'head_dim'"),
            (#"{"model_type": "cohere", "partial_rotary_factor": 0.5}"#, "'partial_rotary_factor' is 0.5, but this family rotates the whole head"),
            (#"{"model_type": "cohere", "rope_scaling": {"rope_type": "ntk", "factor": 2.0}}"#, "type 'ntk' is not supported for cohere"),
            (#"{"model_type": "cohere", "rope_scaling": {"factor": 2.0}}"#, "'rope_scaling' needs a 'rope_type' for cohere"),
            // CohereConfig's rope_config_validation requires rope_type (KeyError on `type` alone; red-team 24).
            (#"{"model_type": "cohere", "rope_scaling": {"type": "linear", "factor": 2.0}}"#, "needs a 'rope_type' for cohere"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// cohere-tiny's config over cohere-qknorm's weights: a shape differs; with use_qk_norm the
    /// missing q_norm tensor is named; untied, the missing lm_head is named; a classifier head is refused.
    func testWeightAndHeadErrors() throws {
        let config = try String(contentsOf: Fixtures.model("cohere-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: config, weightsOf: "cohere-qknorm")))
        let withNorm = config.replacingOccurrences(of: #""use_qk_norm": false"#, with: #""use_qk_norm": true"#)
        XCTAssertNotEqual(withNorm, config)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: withNorm))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_norm.weight"), error.localizedDescription)
        }
        let untied = config.replacingOccurrences(of: #""model_type": "cohere","#, with: #""model_type": "cohere", "tie_word_embeddings": false,"#)
        XCTAssertNotEqual(untied, config)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: untied))) { error in
            XCTAssertTrue(error.localizedDescription.contains("lm_head.weight"), error.localizedDescription)
        }
        let classifier = config.replacingOccurrences(of: "CohereForCausalLM", with: "CohereForSequenceClassification")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
            XCTAssertTrue(error.localizedDescription.contains("CohereForSequenceClassification"), error.localizedDescription)
        }
    }
}
