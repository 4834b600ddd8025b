import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// ModernBERT (`model_type` "modernbert": answerdotai/ModernBERT-base): every hook point of
/// modernbert-tiny (no biases, norm_bias false, gelu, tied decoder with bias, 4 layers of which 0 and 3
/// are global, local_attention 4: ±2 under a 14-token input) and modernbert-bias (every bias, norm_bias,
/// silu MLP, gelu_pytorch_tanh head, local_attention 5: ±2, local_rope_theta null, untied decoder without
/// bias) against transformers 4.53.3's ModernBertForMaskedLM (eager) at 1e-4 (goldens from
/// scripts/fixtures/hf_hooks_modernbert.py), the block layout, `ModernBertConfig`'s defaults,
/// num_parameters(), blocked = full attention under the bidirectional window, and typed config and
/// weight errors.
final class ModernBertTests: XCTestCase {
    private func folder(config: String, weightsOf name: String = "modernbert-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "modernbert")
    }

    private func editedConfig(_ edits: [String: Any?], of name: String = "modernbert-tiny") throws -> String {
        try Fixtures.editedConfigText(name, edits)
    }

    func testEveryHookMatchesTransformers() throws {
        for name in ["modernbert-tiny", "modernbert-bias"] {
            try assertEveryHookMatchesGoldens(Fixtures.load(name), name)
        }
    }

    /// Pre-LN with layer 0's identity attn_norm, the window radius in local layers only, θ per layer
    /// kind, Wi's halves as (activated input, gate), the MLM head; num_parameters() of both.
    func testBlockLayout() throws {
        let m = try Fixtures.load("modernbert-tiny")
        let a = m.architecture
        XCTAssertEqual(a.modelType, "modernbert")
        XCTAssertEqual(a.placement, .pre)
        XCTAssertEqual(a.mask, .bidirectional)
        XCTAssertEqual(a.norm, .layerNorm(eps: 1e-5))
        XCTAssertEqual(a.mlp, .gated)
        XCTAssertEqual(a.activation, .gelu)
        XCTAssertEqual(a.head, .maskedLanguageModel)
        XCTAssertEqual(a.slidingWindows, [nil, 2, 2, nil])
        XCTAssertEqual((0..<4).map { a.attentionMask(layer: $0) }, [.none, .bidirectionalWindow(2), .bidirectionalWindow(2), .none])
        XCTAssertEqual(a.rotary(layer: 0)?.base, 160000)
        XCTAssertEqual(a.rotary(layer: 1)?.base, 10000)
        XCTAssertEqual(a.rotary(layer: 3)?.base, 160000)
        XCTAssertEqual(a.rotary(layer: 1)?.dimensions, 8)
        XCTAssertEqual(m.weights.blocks[0].ln1.kind, .identity)
        XCTAssertEqual(m.weights.blocks[1].ln1.kind, .layerNorm(eps: 1e-5))
        XCTAssertNil(m.weights.blocks[1].ln1.bias)
        XCTAssertNotNil(m.weights.embeddings.norm)
        XCTAssertNil(m.weights.embeddings.position)
        XCTAssertTrue(try XCTUnwrap(m.weights.head.unembed).weight.sharesStorage(with: m.weights.embeddings.token))
        XCTAssertNotNil(m.weights.head.unembed?.bias)
        XCTAssertEqual(m.weights.parameterCount, 36421)   // ModernBertForMaskedLM.num_parameters() (tied once)

        let b = try Fixtures.load("modernbert-bias")
        XCTAssertEqual(b.architecture.slidingWindows, [nil, 2, nil])
        XCTAssertEqual(b.architecture.rotary(layer: 1)?.base, 500)   // local_rope_theta null: the global θ
        XCTAssertEqual(b.architecture.activation, .silu)
        XCTAssertEqual(b.weights.head.transformActivation, .geluTanh)
        XCTAssertNotNil(b.weights.blocks[1].ln1.bias)
        XCTAssertNotNil(b.weights.blocks[1].mlp.up?.bias)
        XCTAssertFalse(try XCTUnwrap(b.weights.head.unembed).weight.sharesStorage(with: b.weights.embeddings.token))
        XCTAssertNil(b.weights.head.unembed?.bias)
        XCTAssertEqual(b.weights.parameterCount, 20904)   // ModernBertForMaskedLM.num_parameters() (untied)
    }

    /// The blocked (flash-style) attention path gives the full path's output under the
    /// bidirectional window, and the window bites: a key 3 positions away gets no weight in a local
    /// layer and some in a global one.
    func testBlockedAttentionMatchesFull() throws {
        let m = try Fixtures.load("modernbert-tiny")
        let golden = try Golden(url: try XCTUnwrap(Fixtures.goldenCases("modernbert-tiny").first { $0.0 == "full" }?.1))
        let ids = golden.inputIDs
        let full = try m.forward(.tokens(ids, types: nil), capture: .all, attention: .unblocked)
        let pattern1 = try XCTUnwrap(full.cache[.block(1, .pattern)]), pattern0 = try XCTUnwrap(full.cache[.block(0, .pattern)])
        let n = ids.count
        XCTAssertEqual(pattern1.storage[0 * n + 3], 0)
        XCTAssertGreaterThan(pattern0.storage[0 * n + 3], 0)
        for blockSize in [1, 3, 4] {
            let blocked = try m.forward(.tokens(ids, types: nil), capture: .matching { _ in false },
                                        attention: .blocked(blockSize: blockSize))
            assertClose(try XCTUnwrap(blocked.logits), try XCTUnwrap(full.logits), tolerance: 2e-4, "B=\(blockSize) logits")   // 1e-5 of the largest logit (~14)
        }
    }

    /// ModernBertConfig's defaults.
    func testDefaults() throws {
        let c = try JSONDecoder().decode(ModernBertConfig.self, from: Data(#"{"model_type": "modernbert"}"#.utf8))
        XCTAssertEqual([c.vocabSize, c.hiddenSize, c.intermediateSize, c.numHiddenLayers, c.numAttentionHeads,
                        c.maxPositionEmbeddings, c.globalAttnEveryNLayers, c.localAttention], [50368, 768, 1152, 22, 12, 8192, 3, 128])
        XCTAssertEqual(c.normEps, 1e-5)
        XCTAssertEqual([c.globalRopeTheta, c.localRopeTheta], [160000, 10000])
        XCTAssertEqual([c.hiddenActivation, c.classifierActivation, c.classifierPooling], ["gelu", "gelu", "cls"])
        XCTAssertEqual([c.normBias, c.attentionBias, c.mlpBias, c.decoderBias, c.classifierBias, c.tieWordEmbeddings],
                       [false, false, false, true, false, true])
        let arch = c.architecture(head: .none)
        XCTAssertEqual(arch.slidingWindows.prefix(4), [nil, 64, 64, nil])
    }

    func testConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "modernbert", "hidden_activation": "prelu"}"#, "'hidden_activation'"),
            (#"{"model_type": "modernbert", "classifier_activation": "nope"}"#, "'classifier_activation'"),
            (#"{"model_type": "modernbert", "norm_eps": null}"#, "'norm_eps' is null"),
            (#"{"model_type": "modernbert", "global_rope_theta": null}"#, "'global_rope_theta' is null"),
            (#"{"model_type": "modernbert", "hidden_size": 30, "num_attention_heads": 4}"#, "'num_attention_heads'"),
            (#"{"model_type": "modernbert", "global_attn_every_n_layers": 0}"#, "'global_attn_every_n_layers'"),
            (#"{"model_type": "modernbert", "local_attention": -1}"#, "'local_attention'"),
            (#"{"model_type": "modernbert", "classifier_pooling": "max"}"#, "'classifier_pooling'"),
            (#"{"model_type": "modernbert", "rope_scaling": {"rope_type": "linear", "factor": 2.0}}"#, "'rope_scaling'"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// norm_bias true asks modernbert-tiny for LayerNorm biases it lacks; named as the sequence
    /// classifier (ModernBertClassifierTests), its masked-LM weights lack `classifier.weight`; the
    /// token classifier and question answering are refused by name.
    func testWeightAndHeadErrors() throws {
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(["norm_bias": true])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("embeddings.norm.bias"), error.localizedDescription)
        }
        XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(
            ["architectures": ["ModernBertForSequenceClassification"]])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("'classifier.weight' is missing"), error.localizedDescription)
        }
        for name in ["ModernBertForTokenClassification", "ModernBertForQuestionAnswering"] {
            XCTAssertThrowsError(try TransformerModel.load(directory: folder(config: editedConfig(["architectures": [name]])))) { error in
                XCTAssertTrue(error.localizedDescription.contains("names \(name), a head Glassbox does not support"), error.localizedDescription)
            }
        }
    }
}
