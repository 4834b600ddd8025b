import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Granite (`model_type` "granite"): the Llama block with four multipliers. Every hook point of
/// granite-tiny (GQA 4:2, tied, every multiplier ≠ 1) and granite-bias (q/k/v/o and MLP biases,
/// untied, head_dim 12 ≠ d/H, linear rope scaling, logits_scaling < 1) against transformers 4.53.3's
/// GraniteForCausalLM (goldens from scripts/fixtures/hf_hooks_granite.py, 1e-4 as GoldenTests); where
/// the multipliers are folded, num_parameters(), that Granite with Llama's scale is Llama, and typed
/// config errors.
final class GraniteTests: XCTestCase {
    private static let names = ["granite-tiny", "granite-bias"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "granite-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "granite")
    }

    /// Every hook of every case within 1e-4 of transformers.
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// attention_multiplier is the score scale, embedding_multiplier the embedding's scale, and the
    /// residual multiplier and 1/logits_scaling are folded into o_proj, down_proj and the output layer:
    /// each block's output is resid_pre + attn_out + mlp_out; the tied head is a scaled copy that
    /// num_parameters() counts once; head_dim is GraniteAttention's getattr.
    func testMultipliersWhereGlassboxFoldsThem() throws {
        let tiny = try Fixtures.load("granite-tiny"), bias = try Fixtures.load("granite-bias")
        XCTAssertEqual(tiny.architecture.attentionScale, 0.3)
        XCTAssertEqual(bias.architecture.attentionScale, 0.2)
        XCTAssertEqual(tiny.weights.embeddings.scale, 2.5)
        XCTAssertEqual(bias.weights.embeddings.scale, 0.5)
        XCTAssertEqual(bias.architecture.headDim, 12)
        XCTAssertEqual(tiny.architecture.kvHeads, 2)
        let unembed = try XCTUnwrap(tiny.weights.head.unembed)
        XCTAssertFalse(unembed.weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertEqual(unembed.element(input: 3, output: 7), tiny.weights.embeddings.token.row(7).storage[3] / 2,
                       accuracy: 1e-7)                                            // E / logits_scaling
        XCTAssertEqual(tiny.weights.parameterCount, 19136)   // GraniteForCausalLM.num_parameters()
        XCTAssertEqual(bias.weights.parameterCount, 38016)
        for (m, name) in [(tiny, "granite-tiny"), (bias, "granite-bias")] {
            let r = try m.forward([1, 9, 40, 7, 23, 5], capture: .all)
            assertBlockOutputsAddBothBranches(r, layers: m.architecture.layers, name)
        }
    }

    /// GraniteForCausalLM with every multiplier 1 but attention_multiplier = dh^-½ is
    /// LlamaForCausalLM: llama-gqa's weights under model_type granite give llama-gqa's logits, and
    /// the Llama model itself is untouched (no embedding scale, dh^-½, the tied head shared).
    func testGraniteWithLlamasScaleIsLlama() throws {
        let llama = try Fixtures.load("llama-gqa")
        XCTAssertNil(llama.weights.embeddings.scale)
        XCTAssertEqual(llama.architecture.attentionScale, 1 / Float(8).squareRoot())
        let text = try Fixtures.configText("llama-gqa")
            .replacingOccurrences(of: #""model_type": "llama""#, with: #""model_type": "granite", "attention_multiplier": 0.35355339059327373"#)
            .replacingOccurrences(of: "LlamaForCausalLM", with: "GraniteForCausalLM")
        let granite = try TransformerModel.load(directory: folder(config: text, weightsOf: "llama-gqa"))
        XCTAssertEqual(granite.architecture.modelType, "granite")
        let ids = [1, 17, 5, 90, 44, 8, 3]
        assertClose(try XCTUnwrap(granite.forward(ids).logits), try XCTUnwrap(llama.forward(ids).logits), tolerance: 1e-5, "granite as llama")
    }

    func testGraniteConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "granite", "embedding_multiplier": null}"#, "'embedding_multiplier' is null"),
            (#"{"model_type": "granite", "attention_multiplier": null}"#, "'attention_multiplier' is null"),
            (#"{"model_type": "granite", "residual_multiplier": null}"#, "'residual_multiplier' is null"),
            (#"{"model_type": "granite", "logits_scaling": null}"#, "'logits_scaling' is null"),
            (#"{"model_type": "granite", "logits_scaling": 0}"#, "'logits_scaling' is 0"),
            (#"{"model_type": "granite", "head_dim": null}"#, "'head_dim' is null"),
            (#"{"model_type": "granite", "rope_scaling": {"type": "linear", "factor": 2.0}}"#, "needs a 'rope_type' for granite"),
            (#"{"model_type": "granite", "hidden_size": 30, "num_attention_heads": 4}"#, "num_attention_heads"),
            (#"{"model_type": "granite", "num_key_value_heads": 3}"#, "num_key_value_heads"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// A GraniteForSequenceClassification does not exist in transformers 4.53.3: refused by name.
    func testClassifierRefused() throws {
        let text = try Fixtures.configText("granite-tiny").replacingOccurrences(of: "GraniteForCausalLM", with: "GraniteForSequenceClassification")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: text))) { error in
            XCTAssertTrue(error.localizedDescription.contains("GraniteForSequenceClassification"), error.localizedDescription)
        }
    }
}
