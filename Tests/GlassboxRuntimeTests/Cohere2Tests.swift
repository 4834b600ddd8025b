import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// Cohere2 (`model_type` "cohere2", Command R7B): Cohere's parallel block whose sliding-window layers
/// rotate and whose full-attention layers see no position (`Cohere2Attention` rotates only when its
/// `sliding_window` is set). Every hook point of cohere2-tiny (4 layers, layer_types derived from the
/// default sliding_window_pattern 4: sliding ×3 then full, window 4, GQA 4:2, tied, logit_scale
/// 0.0625) and cohere2-types (explicit layer_types full/sliding/full, window 3, attention_bias, linear
/// rope_scaling, untied, logit_scale 0.25) against transformers 4.53.3's Cohere2ForCausalLM (goldens
/// from scripts/fixtures/hf_hooks_cohere.py, 1e-4 as GoldenTests), the per-layer choices,
/// Cohere2Config's derivation of layer_types, num_parameters(), and typed config and weight errors.
final class Cohere2Tests: XCTestCase {
    private static let names = ["cohere2-tiny", "cohere2-types"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "cohere2-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "cohere2")
    }

    /// `name`'s config.json with `edits` applied (a nil value removes the key; NSNull writes null).
    private func editedConfig(_ edits: [String: Any?], of name: String = "cohere2-tiny") throws -> String {
        try Fixtures.editedConfigText(name, edits)
    }

    /// Every hook of every case within 1e-4 of transformers (rot_q / rot_k of a full layer hold q / k).
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// Sliding layers rotate (interleaved, as Cohere) within their window; full layers rotate nothing
    /// and see every earlier key: rot_q / rot_k are q / k bitwise exactly there.
    func testSlidingLayersRotateFullLayersDoNot() throws {
        let tiny = try Fixtures.load("cohere2-tiny"), types = try Fixtures.load("cohere2-types")
        XCTAssertEqual(tiny.architecture.modelType, "cohere2")
        XCTAssertTrue(tiny.architecture.parallelResidual)
        XCTAssertEqual(tiny.architecture.slidingWindows, [4, 4, 4, nil])
        XCTAssertEqual(tiny.architecture.unrotatedLayers, [3])
        XCTAssertEqual(types.architecture.slidingWindows, [nil, 3, nil])
        XCTAssertEqual(types.architecture.unrotatedLayers, [0, 2])
        XCTAssertEqual(tiny.architecture.attentionMask(layer: 0), .slidingWindow(4))
        XCTAssertEqual(tiny.architecture.attentionMask(layer: 3), .causal)
        guard case .rotary(let rope) = tiny.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(rope.layout, .interleaved)
        guard case .rotary(let scaled) = types.architecture.position else { return XCTFail("not rotary") }
        XCTAssertEqual(scaled.scaling, .linear(factor: 2))
        for (m, full) in [(tiny, Set([3])), (types, Set([0, 2]))] {
            let r = try m.forward([2, 9, 40, 7, 23, 5, 61, 12], capture: .all)
            for l in 0..<m.architecture.layers {
                let same = r.cache[.block(l, .rotQ)]!.storage == r.cache[.block(l, .q)]!.storage
                    && r.cache[.block(l, .rotK)]!.storage == r.cache[.block(l, .k)]!.storage
                XCTAssertEqual(same, full.contains(l), "\(m.architecture.modelType) layer \(l)")
            }
            try assertOneLayerNormFeedsBothBranches(m, ids: [2, 17, 5, 90, 44], "cohere2")
        }
    }

    /// Without layer_types, Cohere2Config builds them from sliding_window_pattern (default 4, as the
    /// cohere2-tiny fixture's saved layer_types were built by transformers): the same model, the same
    /// logits; pattern 2 (or -2, Python's modulo) slides in layers 0 and 2.
    func testLayerTypesDerivedFromThePattern() throws {
        let saved = try Fixtures.load("cohere2-tiny")
        let derived = try TransformerModel.load(directory: folder(config: editedConfig(["layer_types": nil])))
        XCTAssertEqual(derived.architecture.slidingWindows, saved.architecture.slidingWindows)
        XCTAssertEqual(derived.architecture.unrotatedLayers, saved.architecture.unrotatedLayers)
        let ids = [2, 9, 40, 7, 23, 5, 61, 12]
        XCTAssertEqual(try XCTUnwrap(derived.forward(ids).logits).storage, try XCTUnwrap(saved.forward(ids).logits).storage)
        for pattern in [2, -2] {
            let m = try TransformerModel.load(directory: folder(config: editedConfig(["layer_types": NSNull(), "sliding_window_pattern": pattern])))
            XCTAssertEqual(m.architecture.slidingWindows, [4, nil, 4, nil], "pattern \(pattern)")
            XCTAssertEqual(m.architecture.unrotatedLayers, [1, 3])
        }
        // Cohere2Attention has no QK-norm: use_qk_norm is not read.
        let qk = try TransformerModel.load(directory: folder(config: editedConfig(["use_qk_norm": true])))
        XCTAssertNil(qk.weights.blocks[0].attention.queryNorm)
    }

    /// W_U is logit_scale · lm_head.weight (0.0625 × the tied table, 0.25 × cohere2-types' own head);
    /// the count is num_parameters(); biases as attention_bias says.
    func testLogitScaleBiasesAndParameterCount() throws {
        let tiny = try Fixtures.load("cohere2-tiny"), types = try Fixtures.load("cohere2-types")
        let table = tiny.weights.embeddings.token.float32()
        XCTAssertEqual(try XCTUnwrap(tiny.weights.head.unembed).weight.float32().storage, table.storage.map { $0 * 0.0625 })
        let head = try SafetensorsFile(url: Fixtures.weights("cohere2-types")).tensor("lm_head.weight")
        XCTAssertEqual(try XCTUnwrap(types.weights.head.unembed).weight.float32().storage, head.storage.map { $0 * Float(0.25) })
        XCTAssertNil(tiny.weights.blocks[0].attention.query.bias)
        XCTAssertNotNil(types.weights.blocks[0].attention.output.bias)
        XCTAssertEqual(tiny.weights.parameterCount, 34080)   // Cohere2ForCausalLM.num_parameters()
        XCTAssertEqual(types.weights.parameterCount, 30744)
    }

    /// What transformers 4.53.3 fails on (checked in .venv-ref): a null window (Cohere2Model always
    /// builds the sliding mask), a 0 or null pattern without layer_types, too few or unknown
    /// layer_types, a layer type without a mask; a sliding window of 0 (every key hidden) refused too.
    func testCohere2ConfigErrors() throws {
        let cases: [(String, String)] = [
            (try editedConfig(["sliding_window": NSNull()]), "'sliding_window' is null"),
            (try editedConfig(["sliding_window": 0]), "'sliding_window' must be positive"),
            (try editedConfig(["layer_types": nil, "sliding_window_pattern": 0]), "'sliding_window_pattern' is 0"),
            (try editedConfig(["layer_types": nil, "sliding_window_pattern": NSNull()]), "'sliding_window_pattern' is null"),
            (try editedConfig(["layer_types": ["sliding_attention", "full_attention"]]), "'layer_types' has 2 entries for 4 layers"),
            (try editedConfig(["layer_types": ["sliding_attention", "foo", "full_attention", "full_attention"]]), "unknown type 'foo'"),
            (try editedConfig(["layer_types": ["sliding_attention", "chunked_attention", "full_attention", "full_attention"]]),
             "'chunked_attention' layer, for which Cohere2Model builds no mask"),
            (try editedConfig(["head_dim": NSNull()]), "'head_dim' is null"),
            (try editedConfig(["logit_scale": NSNull()]), "'logit_scale' is null"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
        // All layers full: the window is never used, 0 loads (as in transformers).
        XCTAssertNoThrow(try TransformerModel.load(directory: folder(config: editedConfig(
            ["sliding_window": 0, "layer_types": [String](repeating: "full_attention", count: 4)]))))
    }

    /// cohere2-tiny's config over cohere2-types' weights: a shape differs; untied, the missing lm_head
    /// is named; a classifier head is refused.
    func testWeightAndHeadErrors() throws {
        let config = try Fixtures.configText("cohere2-tiny")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: config, weightsOf: "cohere2-types")))
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: editedConfig(["tie_word_embeddings": false])))) { error in
            XCTAssertTrue(error.localizedDescription.contains("lm_head.weight"), error.localizedDescription)
        }
        let classifier = config.replacingOccurrences(of: "Cohere2ForCausalLM", with: "Cohere2ForSequenceClassification")
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
            XCTAssertTrue(error.localizedDescription.contains("Cohere2ForSequenceClassification"), error.localizedDescription)
        }
    }
}
