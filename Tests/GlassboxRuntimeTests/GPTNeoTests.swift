import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// GPT-Neo (`model_type` "gpt_neo"): every hook point of gptneo-tiny (global, local window 3, tied
/// head) and gptneo-local (local, local, global with window 4, intermediate_size null, untied head)
/// against transformers 4.53.3's GPTNeoForCausalLM (goldens from scripts/fixtures/hf_hooks_gptneo.py,
/// 1e-4 as GoldenTests), GPT-2's hook list, unscaled scores, the local-window boundary, and typed
/// config and weight errors.
final class GPTNeoTests: XCTestCase {

    /// A folder holding `config` (JSON text) and gptneo-tiny's weights, or `weights` when given.
    private func folder(config: String, weights: URL? = nil) throws -> URL {
        try Fixtures.folder(config: config, weights: weights ?? Fixtures.weights("gptneo-tiny"), test: self, label: "gptneo")
    }

    private var tinyConfig: String {
        get throws { try String(contentsOf: Fixtures.model("gptneo-tiny").appendingPathComponent("config.json"), encoding: .utf8) }
    }

    /// Every hook of every case within 1e-4 of transformers (measured: 2.5e-5 / 2.1e-5 at most).
    func testEveryHookMatchesTransformers() throws {
        for name in ["gptneo-tiny", "gptneo-local"] { try assertEveryHookMatchesGoldens(Fixtures.load(name), name) }
    }

    /// GPT-2's points (learned positions, sequential block); scores unscaled; local layers are
    /// sliding windows; the MLP width defaults to 4·hidden_size; a tied or stored head.
    func testArchitectureIsGPT2sBlockWithLocalWindows() throws {
        let tiny = try Fixtures.load("gptneo-tiny"), local = try Fixtures.load("gptneo-local"), gpt2 = try Fixtures.load("gpt2-tiny")
        let block0 = { (m: TransformerModel) in m.hookPoints.map(\.name).filter { !$0.hasPrefix("blocks.") || $0.hasPrefix("blocks.0.") } }
        XCTAssertEqual(block0(tiny), block0(gpt2), "GPT-2's points with the same meaning")
        XCTAssertEqual(tiny.architecture.attentionScale, 1)
        XCTAssertEqual(tiny.architecture.slidingWindows, [nil, 3])
        XCTAssertEqual(local.architecture.slidingWindows, [4, 4, nil])
        XCTAssertEqual([tiny.architecture.dFF, local.architecture.dFF], [48, 96])
        XCTAssertTrue(try XCTUnwrap(tiny.weights.head.unembed).weight.sharesStorage(with: tiny.weights.embeddings.token))
        XCTAssertFalse(try XCTUnwrap(local.weights.head.unembed).weight.sharesStorage(with: local.weights.embeddings.token))
        XCTAssertEqual(tiny.weights.parameterCount, 19136)   // GPTNeoForCausalLM.num_parameters()
        XCTAssertEqual(local.weights.parameterCount, 26736)
    }

    /// In a local layer query i sees exactly keys i − window < j ≤ i: the pattern is 0 at
    /// j = i − window and positive at j = i − window + 1 (bias ^ tril(bias, -window_size)).
    func testLocalWindowBoundary() throws {
        for (name, layer, window) in [("gptneo-tiny", 1, 3), ("gptneo-local", 0, 4), ("gptneo-local", 1, 4)] {
            let m = try Fixtures.load(name)
            let ids = Array(1...10)
            let pattern = try XCTUnwrap(m.forward(ids, capture: .all).cache[.block(layer, .pattern)])
            for h in 0..<m.architecture.heads {
                for i in window..<ids.count {
                    XCTAssertEqual(pattern[h, i, i - window], 0, "\(name) layer \(layer) head \(h) row \(i)")
                    XCTAssertGreaterThan(pattern[h, i, i - window + 1], 0, "\(name) layer \(layer) head \(h) row \(i)")
                }
            }
            let global = try XCTUnwrap(m.forward(ids, capture: .all).cache[.block(name == "gptneo-tiny" ? 0 : 2, .pattern)])
            XCTAssertGreaterThan(global[0, 9, 0], 0, "\(name): a global layer sees the first key")
        }
    }

    func testGPTNeoConfigErrors() throws {
        let cases: [(String, String)] = [
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global"], 3]]}"#,
             "'attention_types' expands to more than num_layers (2) layer types"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["local"], 1]]}"#,
             "'attention_types' expands to 1 layer types for num_layers = 2; transformers requires them equal"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global", "sparse"], 1]]}"#,
             "'attention_types' has layer type 'sparse'; only 'global' and 'local' exist"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [["global", 2]]}"#, "'attention_types' must be a list of"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": null}"#, "'attention_types' is null"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global"], 2]], "attention_layers": ["global"]}"#,
             "'attention_layers' has 1 entries for 2 layers (IndexError in transformers)"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global"], 2]], "attention_layers": ["global", "dense"]}"#,
             "'attention_layers' has layer type 'dense'"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global", "local"], 1]], "window_size": 0}"#, "'window_size' must be positive"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global", "local"], 1]], "window_size": null}"#, "'window_size' is null"),
            (#"{"model_type": "gpt_neo", "hidden_size": 30, "num_heads": 4, "num_layers": 2, "attention_types": [[["global"], 2]]}"#, "'num_heads'"),
            (#"{"model_type": "gpt_neo", "num_layers": 1, "attention_types": [[["global"], 1]], "num_hidden_layers": 2}"#,
             "'attention_types' has 1 entries for 2 layers (IndexError in transformers)"),
            (#"{"model_type": "gpt_neo", "num_hidden_layers": null}"#, "'num_hidden_layers' is null"),
            (#"{"model_type": "gpt_neo", "num_attention_heads": null}"#, "'num_attention_heads' is null"),
            (#"{"model_type": "gpt_neo", "hidden_size": 32, "num_heads": 4, "num_attention_heads": 5}"#, "'num_attention_heads' (5) must divide"),
            (#"{"model_type": "gpt_neo", "num_layers": 2, "attention_types": [[["global"], 2.0]]}"#,
             "'attention_types' has the count 2.0, a float"),
            (#"{"model_type": "gpt_neo", "activation_function": "prelu"}"#, "'activation_function'"),
            (#"{"model_type": "gpt_neo", "layer_norm_epsilon": 0}"#, "'layer_norm_epsilon'"),
            (#"{"model_type": "gpt_neo", "intermediate_size": 0}"#, "'intermediate_size'"),
        ]
        assertInvalidConfigs(cases) { try folder(config: $0) }
    }

    /// A saved attention_layers overrides attention_types' expansion (transformers sets it last);
    /// window_size may be null or anything when no layer is local.
    func testSavedAttentionLayersWinAndWindowOnlyReadWhenLocal() throws {
        let config = try tinyConfig
        let swapped = config.replacingOccurrences(of: "\"attention_layers\": [\n    \"global\",\n    \"local\"\n  ]",
                                                  with: "\"attention_layers\": [\"local\", \"local\", \"global\"]")
        XCTAssertNotEqual(swapped, config)
        XCTAssertEqual(try TransformerModel.load(directory: try folder(config: swapped)).architecture.slidingWindows, [3, 3])
        let global = config.replacingOccurrences(of: "\"attention_layers\": [\n    \"global\",\n    \"local\"\n  ]",
                                                 with: "\"attention_layers\": [\"global\", \"global\"]")
            .replacingOccurrences(of: "\"window_size\": 3", with: "\"window_size\": null")
        XCTAssertEqual(try TransformerModel.load(directory: try folder(config: global)).architecture.slidingWindows, [])
    }

    /// Tests/Fixtures/layouts/gptneo-tiny-bare: the same weights as a bare GPTNeoModel (no
    /// `transformer.` prefix, no lm_head) with the `attn.attention.bias` / `masked_bias` buffers of
    /// old checkpoints (ignored; the generator checks transformers gives the same last hidden state
    /// within 1e-6): every hook equals gptneo-tiny's, the tied head included.
    /// The aliases win as in transformers (`attribute_map`, set after `attention_types` is checked
    /// against `num_layers`): an equal `num_hidden_layers` loads the same model, a smaller one runs
    /// the first layers, and `num_attention_heads` replaces `num_heads`.
    func testAliasesWinAsInTransformers() throws {
        let config = try tinyConfig
        let original = try XCTUnwrap(Fixtures.load("gptneo-tiny").forward([5, 9, 13, 2, 7]).logits)
        let same = config.replacingOccurrences(of: "\"num_layers\": 2", with: "\"num_layers\": 2, \"num_hidden_layers\": 2")
        XCTAssertNotEqual(same, config)
        XCTAssertEqual(try XCTUnwrap(TransformerModel.load(directory: folder(config: same)).forward([5, 9, 13, 2, 7]).logits).storage,
                       original.storage)
        let heads = config.replacingOccurrences(of: "\"num_heads\": 4", with: "\"num_heads\": 4, \"num_attention_heads\": 2")
        XCTAssertNotEqual(heads, config)
        XCTAssertEqual(try TransformerModel.load(directory: folder(config: heads)).architecture.heads, 2)
    }

    func testBareModelWithMaskBuffers() throws {
        let bare = try TransformerModel.load(directory: Fixtures.root.appendingPathComponent("Tests/Fixtures/layouts/gptneo-tiny-bare"))
        let full = try Fixtures.load("gptneo-tiny")
        let ids = [5, 17, 3, 90, 44, 8]
        let a = try bare.forward(ids, capture: .all), b = try full.forward(ids, capture: .all)
        XCTAssertEqual(a.cache.order.map(\.name), b.cache.order.map(\.name))
        for hook in b.cache.order { XCTAssertEqual(a.cache[hook]!.storage, b.cache[hook]!.storage, hook.name) }
    }

    /// gptneo-tiny's config over gptneo-local's weights: a shape mismatch; an untied head needs
    /// lm_head.weight; classifier heads are refused naming the supported classes.
    func testWeightAndHeadErrors() throws {
        let config = try tinyConfig
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(
            config: config, weights: Fixtures.weights("gptneo-local"))))
        let untied = config.replacingOccurrences(of: "\"eos_token_id\": 100,", with: "\"eos_token_id\": 100, \"tie_word_embeddings\": false,")
        XCTAssertNotEqual(untied, config)
        XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: untied))) { error in
            XCTAssertTrue(error.localizedDescription.contains("lm_head.weight"), error.localizedDescription)
        }
        for head in ["GPTNeoForSequenceClassification", "GPTNeoForTokenClassification", "GPTNeoForQuestionAnswering"] {
            let classifier = config.replacingOccurrences(of: "GPTNeoForCausalLM", with: head)
            XCTAssertThrowsError(try TransformerModel.load(directory: try folder(config: classifier))) { error in
                XCTAssertTrue(error.localizedDescription.contains(head), error.localizedDescription)
                XCTAssertTrue(error.localizedDescription.contains("GPTNeoForCausalLM"), error.localizedDescription)
            }
        }
    }
}
