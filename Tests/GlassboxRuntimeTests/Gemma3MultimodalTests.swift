import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Gemma 3 multimodal checkpoints (`model_type` `gemma3`, `Gemma3ForConditionalGeneration`) load
/// as their text model. GoldenTests checks every hook point of the fixture `gemma3-mm` (the hub's
/// layout, `language_model.model.*`, as 4.53's `save_pretrained` writes it) against transformers at
/// 1e-4; here: the same for its tensors under the modules' own names (`model.language_model.*`,
/// Tests/Fixtures/layouts/gemma3-mm-renamed), what the config's keys do, the errors naming
/// `text_config.KEY`, and the vision tower left unread.
final class Gemma3MultimodalTests: XCTestCase {
    static let name = "gemma3-mm"
    static let renamed = Fixtures.root.appendingPathComponent("Tests/Fixtures/layouts/gemma3-mm-renamed")

    private func model(_ directory: URL = Fixtures.model(name)) throws -> TransformerModel {
        try TransformerModel.load(directory: directory)
    }

    /// The renamed layout gives every golden hook point (1e-4, as GoldenTests) and the very logits
    /// of the hub layout (the same numbers, read from other names).
    func testRenamedLayoutMatchesTheGoldens() throws {
        let hub = try model(), renamed = try model(Self.renamed)
        XCTAssertTrue(try Checkpoint(directory: Self.renamed).contains("model.language_model.embed_tokens.weight"))
        XCTAssertTrue(try Checkpoint(directory: Self.renamed).contains("lm_head.weight"))
        for (caseName, file) in try Fixtures.goldenCases(Self.name) {
            let golden = try Golden(url: file)
            let result = try renamed.forward(golden.inputIDs, capture: .all)
            XCTAssertEqual(result.cache.order.map(\.name), golden.hookOrder, caseName)
            for hook in golden.hookOrder {
                let ours = try XCTUnwrap(result.cache[hook], "\(caseName) \(hook)")
                assertClose(ours, try golden.tensor(hook), tolerance: GoldenTests.tolerance, "renamed/\(caseName) \(hook)")
            }
            XCTAssertEqual(try XCTUnwrap(result.logits).storage, try XCTUnwrap(hub.forward(golden.inputIDs).logits).storage)
        }
    }

    /// The text config's sizes, windows, rotary bases and untied head; the architecture says whose
    /// text model it is; only the text model's tensors are counted.
    func testTheTextConfigDescribesTheModel() throws {
        let m = try model()
        let arch = m.architecture
        XCTAssertEqual(arch.modelType, "gemma3")
        XCTAssertEqual(arch.textModelOf, "Gemma3ForConditionalGeneration")
        XCTAssertEqual([arch.layers, arch.dModel, arch.heads, arch.kvHeads, arch.headDim, arch.dFF, arch.vocabSize],
                       [3, 30, 3, 1, 8, 40, 107])
        XCTAssertEqual(arch.slidingWindows, [3, nil, 3])
        XCTAssertEqual(arch.rotary(layer: 0)?.base, 50)
        XCTAssertEqual(arch.rotary(layer: 1)?.base, 1000)
        XCTAssertEqual(arch.rotary(layer: 1)?.scaling, .linear(factor: 2))
        XCTAssertEqual(arch.attentionScale, 1)                                   // query_pre_attn_scalar 1
        XCTAssertNil(arch.finalSoftCap)
        XCTAssertEqual(arch.placement, .sandwich)
        let checkpoint = try Checkpoint(directory: Fixtures.model(Self.name))
        let count = { (names: [String]) in names.reduce(0) { $0 + (checkpoint.entry($1)?.shape.reduce(1, *) ?? 0) } }
        let text = checkpoint.tensorNames.filter { $0.hasPrefix("language_model.") }.sorted()
        let vision = checkpoint.tensorNames.filter { !$0.hasPrefix("language_model.") }
        XCTAssertTrue(text.contains("language_model.lm_head.weight"))                // untied (text_config)
        XCTAssertTrue(vision.allSatisfy { $0.hasPrefix("vision_tower.") || $0.hasPrefix("multi_modal_projector.") })
        XCTAssertGreaterThan(count(vision.sorted()), 0)
        XCTAssertEqual(m.weights.parameterCount, count(text))
    }

    /// `final_logit_softcapping` in `text_config` changes nothing, whatever its value
    /// (Gemma3ForConditionalGeneration never applies it; the generator checks transformers agrees
    /// for 5.0), nor do top-level keys of the
    /// text model's names; a tied `text_config` takes the embeddings as the head and leaves a stored
    /// `language_model.lm_head.weight` unread.
    func testOnlyTextConfigKeysChangeTheTextModel() throws {
        let ids = try Fixtures.golden(Self.name, "full").inputIDs
        let want = try XCTUnwrap(model().forward(ids).logits).storage
        // 0, negative and non-numeric caps too, which a gemma3_text config refuses: the multimodal
        // forward never reads the key.
        let caps: [Any] = [5.0, 0, -1.5, "none"]
        for cap in caps {
            let capped = try configCopy { config in
                var text = config["text_config"] as! [String: Any]
                text["final_logit_softcapping"] = cap
                config["text_config"] = text
                config["final_logit_softcapping"] = 1.0
                config["tie_word_embeddings"] = true
                config["sliding_window"] = 1
                config["num_hidden_layers"] = 1
            }
            XCTAssertEqual(try XCTUnwrap(model(capped).forward(ids).logits).storage, want, "text_config.final_logit_softcapping \(cap)")
        }

        let tied = try configCopy { config in
            var text = config["text_config"] as! [String: Any]
            text["tie_word_embeddings"] = true
            config["text_config"] = text
        }
        let result = try model(tied).forward(ids, capture: .all)
        let embed = try Checkpoint(directory: Fixtures.model(Self.name)).tensor("language_model.model.embed_tokens.weight")
        let hidden = result.hidden, logits = try XCTUnwrap(result.logits)
        let (n, d) = (hidden.shape[0], hidden.shape[1])
        for v in [0, 5, 106] {
            let dot = (0..<d).reduce(Float(0)) { $0 + hidden[n - 1, $1] * embed[v, $1] }
            XCTAssertEqual(logits[n - 1, v], dot, accuracy: 1e-4 * max(1, abs(dot)), "tied head, token \(v)")
        }
        XCTAssertNotEqual(logits.storage, want)
    }

    /// Errors in the text config name `text_config.KEY` in config.json.
    func testTextConfigErrorsNameTheNestedKey() throws {
        let cases: [(String, Any, String)] = [
            ("num_key_value_heads", 2, "'text_config.num_key_value_heads' (2) must divide num_attention_heads (3)"),
            ("num_hidden_layers", 2_147_483_647, "'text_config.num_hidden_layers' is 2147483647, but the checkpoint holds 3 layer(s)"),
            ("rope_scaling", ["type": "linear", "factor": 2.0], "'text_config.rope_scaling'"),
            ("layer_types", ["full_attention"], "'text_config.layer_types' has 1 entries for 3 layers"),
        ]
        for (key, value, expected) in cases {
            let folder = try configCopy { config in
                var text = config["text_config"] as! [String: Any]
                text[key] = value
                config["text_config"] = text
            }
            XCTAssertThrowsError(try model(folder), key) { error in
                let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
                XCTAssertTrue(message.contains(expected) && message.contains("config.json"), "\(key): \(message)")
            }
        }
        // A size written as a float, which transformers refuses too (JSONSerialization would write 8.0 as 8).
        let float = try Fixtures.linkedCopy(of: Self.name, test: self, replacing: "config.json") { data in
            Data(String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\"head_dim\": 8,", with: "\"head_dim\": 8.0,").utf8)
        }
        XCTAssertThrowsError(try model(float)) { error in
            let message = error.localizedDescription
            XCTAssertTrue(message.contains("'text_config.head_dim' should be an integer, got 8.0"), message)
        }
        // No text_config: Gemma3TextConfig's defaults (262,208 tokens of 2,304), which these weights do not fit.
        let bare = try configCopy { $0["text_config"] = nil }
        XCTAssertThrowsError(try model(bare)) { error in
            XCTAssertTrue("\(error)".contains("[262208, 2304]"), "\(error)")
        }
    }

    /// The vision tower and projector are never read: a NaN in them does not stop a strict load or
    /// a forward (a NaN in any tensor that is read does), while a stray text tensor is still reported.
    func testVisionTensorsAreSkipped() throws {
        let poisoned = try Fixtures.editedCopy(of: Self.name, test: self) { name, tensor in
            if name.hasPrefix("vision_tower.") || name.hasPrefix("multi_modal_projector.") { tensor.storage[0] = .nan }
        }
        let m = try model(poisoned)
        XCTAssertNoThrow(try m.forward([1, 5, 9]))
        let textNaN = try Fixtures.editedCopy(of: Self.name, test: self) { name, tensor in
            if name == "language_model.model.layers.0.mlp.down_proj.weight" { tensor.storage[0] = .nan }
        }
        XCTAssertThrowsError(try model(textNaN).forward([1, 5, 9]))
        let stray = try Fixtures.editedCopy(of: Self.name, test: self) { _, _ in }
        let checkpoint = try Checkpoint(directory: stray)
        var tensors = try checkpoint.tensorNames.sorted().map { ($0, try checkpoint.tensor($0)) }
        tensors.append(("language_model.model.extra.weight", Tensor(shape: [2], storage: [1, 2])))
        try SafetensorsFile.write(tensors, to: stray.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try model(stray)) { error in
            guard case LoadError.unexpectedTensors(let names, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(names, ["language_model.model.extra.weight"])
        }
    }

    /// The layer count is checked against the text model's tensors only: with every
    /// `language_model.*` tensor removed the vision tower's `encoder.layers.N` do not count, and
    /// the message says the text model's weights are missing; with text layers 1 and 2 removed,
    /// one layer is counted (not the vision tower's 0 and 1).
    func testLayerCountReadsOnlyTheTextModel() throws {
        func copy(keeping keep: (String) -> Bool) throws -> URL {
            let folder = try Fixtures.editedCopy(of: Self.name, test: self) { _, _ in }
            let checkpoint = try Checkpoint(directory: folder)
            let tensors = try checkpoint.tensorNames.sorted().filter(keep).map { ($0, try checkpoint.tensor($0)) }
            try SafetensorsFile.write(tensors, to: folder.appendingPathComponent("model.safetensors"))
            return folder
        }
        let cases: [((String) -> Bool, String)] = [
            ({ !$0.hasPrefix("language_model.") },
             "'text_config.num_hidden_layers' is 3, but the checkpoint holds no text model weights (no tensor named language_model.* or model.language_model.*)"),
            ({ !$0.hasPrefix("language_model.model.layers.1.") && !$0.hasPrefix("language_model.model.layers.2.") },
             "'text_config.num_hidden_layers' is 3, but the checkpoint holds 1 layer(s) of the text model (language_model.* or model.language_model.*, indices 0..<1)"),
        ]
        for (keep, expected) in cases {
            let folder = try copy(keeping: keep)
            XCTAssertTrue(try Checkpoint(directory: folder).tensorNames.contains { $0.contains("vision_model.encoder.layers.1.") },
                          "the vision tower has layers 0 and 1")
            XCTAssertThrowsError(try model(folder)) { error in
                XCTAssertEqual(error.localizedDescription, folder.appendingPathComponent("config.json").path + ": " + expected)
            }
        }
    }

    /// A copy of the fixture whose config.json is `edit` of the fixture's (parsed as JSON).
    private func configCopy(_ edit: (inout [String: Any]) -> Void) throws -> URL {
        try Fixtures.linkedCopy(of: Self.name, test: self, replacing: "config.json") { data in
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
            edit(&config)
            return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys])
        }
    }
}
