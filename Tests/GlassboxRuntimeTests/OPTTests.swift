import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// OPT (`model_type` "opt"): every hook point of opt-tiny (pre-LN, biases, relu, tied), opt-post
/// (post-LN as opt-350m, word_embed_proj_dim 16 < hidden_size 24 with project_in / project_out,
/// tied) and opt-proj (pre-LN, a wider token table 20 > 16, no biases, gelu, untied) against
/// transformers 4.53.3's OPTForCausalLM (goldens from scripts/fixtures/hf_hooks_opt.py, 1e-4 as
/// GoldenTests); the block shapes, the 2-row position offset, the folded projections,
/// num_parameters(), the bare OPTModel layout, and typed config and weight errors.
final class OPTTests: XCTestCase {
    private static let names = ["opt-tiny", "opt-post", "opt-proj"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "opt-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "opt")
    }

    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// Pre-LN OPT has GPT-2's points, post-LN OPT BERT's block points (causal, no final norm);
    /// positions start at the table's row 2; the projections are folded into the token table and
    /// the output layer ([V, d]); parameter counts are OPTForCausalLM.num_parameters().
    func testBlockShapesPositionsAndProjections() throws {
        let tiny = try Fixtures.load("opt-tiny"), post = try Fixtures.load("opt-post"), proj = try Fixtures.load("opt-proj")
        let gpt2 = try Fixtures.load("gpt2-tiny")
        let block0 = { (m: TransformerModel) in m.hookPoints.map(\.name).filter { !$0.hasPrefix("blocks.") || $0.hasPrefix("blocks.0.") } }
        XCTAssertEqual(block0(tiny), block0(gpt2), "GPT-2's points with the same meaning")
        XCTAssertEqual(post.architecture.placement, .post)
        XCTAssertEqual(post.architecture.mask, .causal)
        XCTAssertNil(post.weights.head.finalNorm)
        XCTAssertTrue(post.hookPoints.contains(.block(1, .normalizedResidPost)))
        XCTAssertEqual(try XCTUnwrap(tiny.weights.embeddings.position).shape, [32, 32])   // 34 rows from row 2
        XCTAssertEqual(post.weights.embeddings.token.shape, [97, 24])                      // E·P_inᵀ
        XCTAssertEqual(try XCTUnwrap(post.weights.head.unembed).weight.shape, [97, 24])    // E·P_out
        XCTAssertEqual(proj.weights.embeddings.token.shape, [99, 16])
        XCTAssertTrue(try XCTUnwrap(tiny.weights.head.unembed).weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertEqual(tiny.weights.parameterCount, 19392)   // OPTForCausalLM.num_parameters()
        XCTAssertEqual(post.weights.parameterCount, 11904)
        XCTAssertEqual(proj.weights.parameterCount, 11704)
        XCTAssertEqual(tiny.architecture.contextLength, 32)
        XCTAssertEqual(tiny.architecture.activation, .relu)
    }

    /// Tests/Fixtures/layouts/opt-post-bare: opt-post's decoder saved as a bare OPTModel (names
    /// under `decoder.`, no lm_head; the generator checks its last hidden state against the full
    /// model's): loaded with the tied head, every hook equals opt-post's.
    func testBareModelLayout() throws {
        let bare = try TransformerModel.load(directory: Fixtures.root.appendingPathComponent("Tests/Fixtures/layouts/opt-post-bare"))
        let full = try Fixtures.load("opt-post")
        let ids = [5, 17, 3, 90, 44, 8]
        let a = try bare.forward(ids, capture: .all), b = try full.forward(ids, capture: .all)
        XCTAssertEqual(a.cache.order, b.cache.order)
        for point in b.cache.order { XCTAssertEqual(a.cache[point]!.storage, b.cache[point]!.storage, point.name) }
    }

    func testOPTConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "opt", "hidden_size": 30, "num_attention_heads": 4}"#, "'num_attention_heads' (4) must divide hidden_size (30)"),
            (#"{"model_type": "opt", "layer_norm_elementwise_affine": false}"#, "'layer_norm_elementwise_affine' reads as false: LayerNorms without a weight and bias"),
            (#"{"model_type": "opt", "layer_norm_elementwise_affine": null}"#, "'layer_norm_elementwise_affine' reads as false"),
            (#"{"model_type": "opt", "_remove_final_layer_norm": true}"#, "'_remove_final_layer_norm' is true"),
            (#"{"model_type": "opt", "activation_function": "prelu"}"#, "'activation_function'"),
            (#"{"model_type": "opt", "ffn_dim": 0}"#, "'ffn_dim' must be positive"),
            (#"{"model_type": "opt", "word_embed_proj_dim": 0}"#, "'word_embed_proj_dim' must be positive"),
            (#"{"model_type": "opt", "max_position_embeddings": -1}"#, "'max_position_embeddings' must be positive"),
            (#"{"model_type": "opt", "num_hidden_layers": null}"#, "'num_hidden_layers' is null"),
            (#"{"model_type": "opt", "hidden_size": null}"#, "'hidden_size' is null"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// Accepted spellings: a null word_embed_proj_dim is hidden_size (OPTConfig), and
    /// _remove_final_layer_norm is ignored in a post-LN model (OPTDecoder builds no final norm then).
    func testAcceptedSpellings() throws {
        let tiny = try Fixtures.configText("opt-tiny")
        let null = tiny.replacingOccurrences(of: #""word_embed_proj_dim": 32"#, with: #""word_embed_proj_dim": null"#)
        XCTAssertNotEqual(null, tiny)
        let ids = [5, 9, 13, 2, 7]
        XCTAssertEqual(try XCTUnwrap(TransformerModel.load(directory: folder(config: null)).forward(ids).logits).storage,
                       try XCTUnwrap(Fixtures.load("opt-tiny").forward(ids).logits).storage)
        let post = try Fixtures.configText("opt-post")
        let removed = post.replacingOccurrences(of: #""_remove_final_layer_norm": false"#, with: #""_remove_final_layer_norm": true"#)
        XCTAssertNotEqual(removed, post)
        XCTAssertEqual(try XCTUnwrap(TransformerModel.load(directory: folder(config: removed, weightsOf: "opt-post")).forward(ids).logits).storage,
                       try XCTUnwrap(Fixtures.load("opt-post").forward(ids).logits).storage)
    }

    /// Weights that do not match the config are named: biases asked of a bias-free checkpoint, a
    /// projection the config does not declare, an unsupported head class.
    func testWeightAndHeadErrors() throws {
        let proj = try Fixtures.configText("opt-proj")
        let biased = proj.replacingOccurrences(of: #""enable_bias": false"#, with: #""enable_bias": true"#)
        XCTAssertNotEqual(biased, proj)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: biased, weightsOf: "opt-proj"))) { error in
            XCTAssertTrue(error.localizedDescription.contains("q_proj.bias"), error.localizedDescription)
        }
        let unprojected = proj.replacingOccurrences(of: #""word_embed_proj_dim": 20"#, with: #""word_embed_proj_dim": 16"#)
        XCTAssertNotEqual(unprojected, proj)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: unprojected, weightsOf: "opt-proj"))) { error in
            guard case LoadError.shapeMismatch = error else { return XCTFail("\(error)") }
        }
        let tiny = try Fixtures.configText("opt-tiny")
        let classifier = tiny.replacingOccurrences(of: "OPTForCausalLM", with: "OPTForSequenceClassification")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
            XCTAssertTrue(error.localizedDescription.contains("OPTForSequenceClassification"), error.localizedDescription)
            XCTAssertTrue(error.localizedDescription.contains("OPTForCausalLM"), error.localizedDescription)
        }
    }
}
