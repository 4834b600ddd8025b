import Foundation
import Glassbox
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// SmolLM3 (`model_type` "smollm3"): the Llama block whose NoPE layers (`no_rope_layers[l]` 0) apply
/// no rotary embedding. Every hook point of smollm3-tiny (NoPE layer 1 from no_rope_layer_interval 2,
/// sliding there by the derived layer_types, window 5, GQA 4:2, tied) and smollm3-swa (explicit
/// no_rope_layers [0, 1, 1] and layer_types, window 4, q/k/v/o biases, untied, yarn) against
/// transformers 4.53.3's SmolLM3ForCausalLM (goldens from scripts/fixtures/hf_hooks.py's
/// capture_llama, 1e-4 as GoldenTests), the per-layer choices, num_parameters(), SmolLM3Config's
/// defaults and typed config errors.
final class SmolLM3Tests: XCTestCase {
    private static let names = ["smollm3-tiny", "smollm3-swa"]

    /// A folder holding `config` (JSON text) and `weightsOf`'s weights.
    private func folder(config: String, weightsOf name: String = "smollm3-tiny") throws -> URL {
        try Fixtures.folder(config: config, weights: Fixtures.weights(name), test: self, label: "smollm3")
    }

    /// `name`'s config.json with `edits` applied (a null value removes the key).
    private func editedConfig(_ name: String, _ edits: [String: Any?]) throws -> String {
        try Fixtures.editedConfigText(name, edits)
    }

    /// Every hook of every case within 1e-4 of transformers (rot_q / rot_k of a NoPE layer hold q / k).
    func testEveryHookMatchesTransformers() throws {
        for name in Self.names { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// The per-layer choices as SmolLM3Attention reads them; a NoPE layer's rot_q / rot_k are its q / k
    /// bitwise, a rotary layer's are not; biases, tying and num_parameters().
    func testNoPEAndSlidingLayers() throws {
        let tiny = try Fixtures.load("smollm3-tiny"), swa = try Fixtures.load("smollm3-swa")
        XCTAssertEqual(tiny.architecture.unrotatedLayers, [1])
        XCTAssertEqual(swa.architecture.unrotatedLayers, [0])
        XCTAssertEqual(tiny.architecture.slidingWindows, [nil, 5, nil])
        XCTAssertEqual(swa.architecture.slidingWindows, [4, 4, nil])
        XCTAssertNil(tiny.architecture.rotary(layer: 1))
        XCTAssertNotNil(tiny.architecture.rotary(layer: 0))
        for (m, nope) in [(tiny, 1), (swa, 0)] {
            let r = try m.forward([4, 9, 40, 7, 23, 5, 61, 2], capture: .all)
            for l in 0..<m.architecture.layers {
                let same = r.cache[.block(l, .rotQ)]!.storage == r.cache[.block(l, .q)]!.storage
                    && r.cache[.block(l, .rotK)]!.storage == r.cache[.block(l, .k)]!.storage
                XCTAssertEqual(same, l == nope, "layer \(l)")
            }
            assertBlockOutputsAddBothBranches(r, layers: m.architecture.layers, m.architecture.modelType)
        }
        XCTAssertTrue(try XCTUnwrap(tiny.weights.head.unembed).weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertFalse(try XCTUnwrap(swa.weights.head.unembed).weight.sharesStorage(with: swa.weights.embeddings.token))
        XCTAssertNotNil(swa.weights.blocks[0].attention.output.bias)
        XCTAssertNil(swa.weights.blocks[0].mlp.input.bias)
        XCTAssertEqual(tiny.weights.parameterCount, 26496)   // SmolLM3ForCausalLM.num_parameters()
        XCTAssertEqual(swa.weights.parameterCount, 31008)
    }

    /// transformers saved the lists it built; without them (absent, or null) Glassbox builds the same
    /// ones from no_rope_layer_interval and use_sliding_window, and matches the goldens again.
    func testDerivedListsMatchTheSavedOnes() throws {
        for value in [nil, NSNull()] as [Any?] {
            let text = try editedConfig("smollm3-tiny", ["no_rope_layers": value, "layer_types": value])
            XCTAssertFalse(text.contains("sliding_attention"))
            let m = try TransformerModel.load(directory: folder(config: text))
            XCTAssertEqual(m.architecture.unrotatedLayers, [1])
            XCTAssertEqual(m.architecture.slidingWindows, [nil, 5, nil])
            try assertEveryHookMatchesGoldens(m, "smollm3-tiny")
        }
    }

    /// SmolLM3Attention tests each entry's truth (`if self.use_rope:`): 2 and 0.5 rotate, 0.0 does
    /// not, so [2, 0.0, 0.5] is the fixture's [1, 0, 1] and matches its goldens. (Before, any entry
    /// but 0 or 1 was refused.)
    func testNoRopeLayersEntriesAreReadByTheirTruth() throws {
        let text = try editedConfig("smollm3-tiny", ["no_rope_layers": [2, 0.0, 0.5]])
        let m = try TransformerModel.load(directory: folder(config: text))
        XCTAssertEqual(m.architecture.unrotatedLayers, [1])
        try assertEveryHookMatchesGoldens(m, "smollm3-tiny")
    }

    /// SmolLM3Config()'s defaults (transformers 4.53.3): V 128256, d 2048, 36 layers, 16 heads on 4
    /// key/value heads, rope_theta 2e6, tied, every fourth layer NoPE (3, 7, …, 35); with
    /// use_sliding_window and a window, the derived layer_types slide in exactly those layers. A
    /// negative interval marks the layers its magnitude does ((l + 1) % -3 in Python).
    func testDefaults() throws {
        func decode(_ json: String) throws -> LlamaConfig {
            try ConfigDecoding.decode(LlamaConfig.self, from: Data(json.utf8), file: URL(fileURLWithPath: "config.json"))
        }
        let c = try decode(#"{"model_type": "smollm3"}"#)
        XCTAssertEqual([c.vocabSize, c.hiddenSize, c.numHiddenLayers, c.numAttentionHeads, c.numKeyValueHeads, c.maxPositionEmbeddings],
                       [128256, 2048, 36, 16, 4, 32768])
        XCTAssertEqual(c.ropeTheta, 2_000_000)
        XCTAssertTrue(c.tieWordEmbeddings)
        XCTAssertFalse(c.mlpBias)
        XCTAssertEqual(c.unrotatedLayers, Set(stride(from: 3, to: 36, by: 4)))
        XCTAssertEqual(c.slidingWindows, [Int?](repeating: nil, count: 36))
        let sliding = try decode(#"{"model_type": "smollm3", "use_sliding_window": true, "sliding_window": 4096}"#)
        XCTAssertEqual(sliding.slidingWindows.indices.filter { sliding.slidingWindows[$0] != nil }, Array(stride(from: 3, to: 36, by: 4)))
        XCTAssertEqual(try decode(#"{"model_type": "smollm3", "sliding_window": 4096}"#).slidingWindows, c.slidingWindows)
        // A written sliding_attention layer slides without use_sliding_window: SmolLM3Model's mask
        // follows layer_types (eager and SDPA; Tests/Fixtures/config-booleans measures it).
        let written = try decode(#"{"model_type": "smollm3", "num_hidden_layers": 2, "sliding_window": 4, "layer_types": ["sliding_attention", "full_attention"]}"#)
        XCTAssertEqual(written.slidingWindows, [4, nil])
        let negative = try decode(#"{"model_type": "smollm3", "num_hidden_layers": 7, "no_rope_layer_interval": -3}"#)
        XCTAssertEqual(negative.unrotatedLayers, [2, 5])
        // SmolLM3MLP has no bias whatever mlp_bias says.
        XCTAssertFalse(try decode(#"{"model_type": "smollm3", "mlp_bias": true}"#).mlpBias)
    }

    func testSmolLM3ConfigErrors() throws {
        let base = #"{"model_type": "smollm3", "vocab_size": 101, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 3, "num_attention_heads": 4, "num_key_value_heads": 2, "max_position_embeddings": 64"#
        let cases: [(String, String)] = [
            (base + #", "no_rope_layer_interval": 0}"#, "'no_rope_layer_interval' is 0"),
            (base + #", "no_rope_layer_interval": null}"#, "'no_rope_layer_interval' is null"),
            (base + #", "no_rope_layers": [1, 0]}"#, "'no_rope_layers' has 2 entries for 3 layers"),
            (base + #", "no_rope_layers": [1, {"rope": 1}, 1]}"#, "'no_rope_layers' entry 1 should be 1"),
            (base + #", "layer_types": ["full_attention", "full_attention"]}"#, "'layer_types' has 2 entries for 3 layers"),
            (base + #", "use_sliding_window": true, "sliding_window": 4, "layer_types": ["full_attention", "chunked_attention", "full_attention"]}"#,
             "'layer_types' has a 'chunked_attention' layer"),
            (base + #", "layer_types": ["full_attention", "global", "full_attention"]}"#, "'layer_types' has unknown type 'global'"),
            (base + #", "use_sliding_window": true, "layer_types": ["full_attention", "sliding_attention", "full_attention"]}"#,
             "'sliding_window' is null"),
            (base + #", "use_sliding_window": true, "sliding_window": 0}"#, "'sliding_window'"),
            (base + #", "head_dim": null}"#, "'head_dim' is null"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }
}
