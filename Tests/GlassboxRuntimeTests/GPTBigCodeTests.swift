import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// GPT-BigCode (`model_type` "gpt_bigcode": StarCoder, SantaCoder, WizardCoder): every hook point of
/// bigcode-mq (multi_query: one key/value head, scaled scores, gelu_pytorch_tanh, n_inner 48, tied)
/// and bigcode-mha (a key/value per head with c_attn viewed [H, 3·dh], scale_attn_weights false,
/// exact gelu, n_inner null, ε 1e-6, untied) against transformers 4.53.3's GPTBigCodeForCausalLM
/// (goldens from scripts/fixtures/hf_hooks_bigcode.py, 1e-4 as GoldenTests); the fused c_attn
/// layouts, num_parameters(), the bare GPTBigCodeModel layout, and typed config and weight errors.
final class GPTBigCodeTests: XCTestCase {
    private static let names = ["bigcode-mq", "bigcode-mha"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "bigcode-mq") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "bigcode")
    }

    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// GPT-2's points (learned positions, pre-LN block); one key/value head with multi_query, one
    /// per query head without; 1/√dh only with scale_attn_weights; n_inner null is 4·d; the head
    /// tied or stored; parameter counts are GPTBigCodeForCausalLM.num_parameters().
    func testBlockShapesHeadsAndScale() throws {
        let mq = try Fixtures.load("bigcode-mq"), mha = try Fixtures.load("bigcode-mha"), gpt2 = try Fixtures.load("gpt2-tiny")
        let block0 = { (m: TransformerModel) in m.hookPoints.map(\.name).filter { !$0.hasPrefix("blocks.") || $0.hasPrefix("blocks.0.") } }
        XCTAssertEqual(block0(mq), block0(gpt2), "GPT-2's points with the same meaning")
        XCTAssertEqual([mq.architecture.heads, mq.architecture.kvHeads], [4, 1])
        XCTAssertEqual([mha.architecture.heads, mha.architecture.kvHeads], [3, 3])
        XCTAssertEqual(mq.architecture.attentionScale, 1 / Float(8).squareRoot())
        XCTAssertEqual(mha.architecture.attentionScale, 1)
        XCTAssertEqual([mq.architecture.dFF, mha.architecture.dFF], [48, 96])
        XCTAssertEqual(mq.architecture.activation, Activation(huggingFaceName: "gelu_pytorch_tanh"))
        XCTAssertEqual(mha.architecture.activation, Activation(huggingFaceName: "gelu"))
        XCTAssertTrue(try XCTUnwrap(mq.weights.head.unembed).weight.sharesStorage(with: mq.weights.embeddings.token))
        XCTAssertFalse(try XCTUnwrap(mha.weights.head.unembed).weight.sharesStorage(with: mha.weights.embeddings.token))
        XCTAssertEqual(mq.weights.parameterCount, 16160)   // GPTBigCodeForCausalLM.num_parameters()
        XCTAssertEqual(mha.weights.parameterCount, 26952)
    }

    /// The fused c_attn's dh-row blocks: multi_query reads every query, then the key, then the
    /// value ([H + 2, dh]); otherwise per head its query, key, value ([H, 3, dh], not GPT-2's [3, H, dh]).
    func testFusedBlocks() {
        XCTAssertEqual(GPTBigCodeLoader.fusedBlocks(heads: 4, multiQuery: true).query, [0, 1, 2, 3])
        XCTAssertEqual(GPTBigCodeLoader.fusedBlocks(heads: 4, multiQuery: true).key, [4])
        XCTAssertEqual(GPTBigCodeLoader.fusedBlocks(heads: 4, multiQuery: true).value, [5])
        let mha = GPTBigCodeLoader.fusedBlocks(heads: 3, multiQuery: false)
        XCTAssertEqual([mha.query, mha.key, mha.value], [[0, 3, 6], [1, 4, 7], [2, 5, 8]])
    }

    /// Tests/Fixtures/layouts/bigcode-mha-bare: bigcode-mha's body saved as a bare GPTBigCodeModel
    /// (no `transformer.` prefix, no lm_head; the generator checks its last hidden state against the
    /// full model's): loaded with the tied head, every hook before the unembedding equals bigcode-mha's.
    func testBareModelLayout() throws {
        let bare = try TransformerModel.load(directory: Fixtures.root.appendingPathComponent("Tests/Fixtures/layouts/bigcode-mha-bare"))
        let full = try Fixtures.load("bigcode-mha")
        let ids = [25, 17, 33, 90, 44, 28]
        let a = try bare.forward(ids, capture: .all), b = try full.forward(ids, capture: .all)
        XCTAssertEqual(a.cache.order, b.cache.order)
        for point in b.cache.order where !point.name.hasPrefix("unembed") {
            XCTAssertEqual(a.cache[point]!.storage, b.cache[point]!.storage, point.name)
        }
        XCTAssertTrue(try XCTUnwrap(bare.weights.head.unembed).weight.sharesStorage(with: bare.weights.embeddings.token))
    }

    func testGPTBigCodeConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "gpt_bigcode", "n_embd": 30, "n_head": 4}"#, "'n_head' (4) must divide n_embd (30)"),
            (#"{"model_type": "gpt_bigcode", "n_embd": 32, "n_head": 4, "num_attention_heads": 5}"#, "'num_attention_heads' (5) must divide"),
            (#"{"model_type": "gpt_bigcode", "add_cross_attention": true}"#, "'add_cross_attention' is true"),
            (#"{"model_type": "gpt_bigcode", "activation_function": "prelu"}"#, "'activation_function'"),
            (#"{"model_type": "gpt_bigcode", "activation_function": null}"#, "'activation_function' is null"),
            (#"{"model_type": "gpt_bigcode", "n_inner": 0}"#, "'n_inner' must be positive"),
            (#"{"model_type": "gpt_bigcode", "layer_norm_epsilon": 0}"#, "'layer_norm_epsilon'"),
            (#"{"model_type": "gpt_bigcode", "n_positions": -1}"#, "'n_positions' must be positive"),
            (#"{"model_type": "gpt_bigcode", "n_layer": null}"#, "'n_layer' is null"),
            (#"{"model_type": "gpt_bigcode", "attn_pdrop": null}"#, "'attn_pdrop' is null"),
            (#"{"model_type": "gpt_bigcode", "vocab_size": null}"#, "'vocab_size' is null"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// Weights that do not match the config are named: multi_query flipped over either fixture
    /// (c_attn is [d + 2·dh, d] with it, [3d, d] without), an untied head without lm_head.weight,
    /// an unsupported head class.
    func testWeightAndHeadErrors() throws {
        let mq = try Fixtures.configText("bigcode-mq")
        let flipped = mq.replacingOccurrences(of: #""multi_query": true"#, with: #""multi_query": false"#)
        XCTAssertNotEqual(flipped, mq)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: flipped))) { error in
            guard case LoadError.shapeMismatch = error else { return XCTFail("\(error)") }
            XCTAssertTrue(error.localizedDescription.contains("c_attn.weight"), error.localizedDescription)
        }
        let mha = try Fixtures.configText("bigcode-mha")
        let multi = mha.replacingOccurrences(of: #""multi_query": false"#, with: #""multi_query": true"#)
        XCTAssertNotEqual(multi, mha)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: multi, weightsOf: "bigcode-mha"))) { error in
            XCTAssertTrue(error.localizedDescription.contains("c_attn.weight"), error.localizedDescription)
        }
        let untied = mq.replacingOccurrences(of: #""eos_token_id": 0,"#, with: #""eos_token_id": 0, "tie_word_embeddings": false,"#)
        XCTAssertNotEqual(untied, mq)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: untied))) { error in
            XCTAssertTrue(error.localizedDescription.contains("lm_head.weight"), error.localizedDescription)
        }
        for head in ["GPTBigCodeForSequenceClassification", "GPTBigCodeForTokenClassification"] {
            let classifier = mq.replacingOccurrences(of: "GPTBigCodeForCausalLM", with: head)
            XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
                XCTAssertTrue(error.localizedDescription.contains(head), error.localizedDescription)
                XCTAssertTrue(error.localizedDescription.contains("GPTBigCodeForCausalLM"), error.localizedDescription)
            }
        }
    }

    /// The half-precision softmax flags are unread (they only act on a float16 / bfloat16 forward,
    /// where transformers' layer_idx + 1 unscale cancels in exact arithmetic): flipping both leaves
    /// the logits unchanged.
    func testSoftmaxPrecisionFlagsAreUnread() throws {
        let mq = try Fixtures.configText("bigcode-mq")
        let flipped = mq.replacingOccurrences(of: #""attention_softmax_in_fp32": true"#, with: #""attention_softmax_in_fp32": false"#)
            .replacingOccurrences(of: #""scale_attention_softmax_in_fp32": true"#, with: #""scale_attention_softmax_in_fp32": false"#)
        XCTAssertNotEqual(flipped, mq)
        let ids = [25, 19, 33, 22, 27]
        XCTAssertEqual(try XCTUnwrap(TransformerModel.load(directory: folder(config: flipped)).forward(ids).logits).storage,
                       try XCTUnwrap(Fixtures.load("bigcode-mq").forward(ids).logits).storage)
    }
}
