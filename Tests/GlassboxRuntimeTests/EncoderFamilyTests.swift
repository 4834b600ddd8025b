import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// RoBERTa and DistilBERT specifics beyond the golden comparison (GoldenTests checks every hook
/// point of roberta-mlm, roberta-cls, roberta-odd, distilbert-mlm, distilbert-cls and
/// distilbert-sinus against transformers 4.53 at 1e-4, including RoBERTa's "padded" case with
/// `<pad>` inside and after the text): heads, position ids, the sinusoidal table, typed config errors.
final class EncoderFamilyTests: XCTestCase {

    func testHeadsAndArchitectures() throws {
        let mlm = try Fixtures.load("roberta-mlm"), cls = try Fixtures.load("roberta-cls"), bare = try Fixtures.load("roberta-odd")
        XCTAssertEqual(mlm.architecture.modelType, "roberta")
        XCTAssertEqual(mlm.architecture.head, .maskedLanguageModel)
        XCTAssertEqual(mlm.architecture.contextLength, 26 - 1 - 1)        // max_position_embeddings − pad − 1
        XCTAssertEqual(mlm.architecture.activation, .geluTanh)              // the MLP's (gelu_new) …
        XCTAssertEqual(mlm.weights.head.transformActivation, .gelu)         // … but lm_head's is GELU
        XCTAssertNil(mlm.weights.head.pooler)
        XCTAssertEqual(cls.architecture.head, .sequenceClassification(labels: ["negative", "neutral", "positive"]))
        XCTAssertEqual(cls.weights.head.poolerActivation, .tanh)
        XCTAssertEqual(bare.architecture.head, .none)
        XCTAssertNotNil(bare.weights.head.pooler)

        let dmlm = try Fixtures.load("distilbert-mlm"), dcls = try Fixtures.load("distilbert-cls"), dbare = try Fixtures.load("distilbert-sinus")
        XCTAssertEqual(dmlm.architecture.modelType, "distilbert")
        XCTAssertEqual(dmlm.architecture.tokenTypes, 0)
        XCTAssertFalse(dmlm.hookPoints.map(\.name).contains("hook_token_type_embed"))
        XCTAssertEqual(dmlm.architecture.head, .maskedLanguageModel)
        XCTAssertEqual(dcls.architecture.head, .sequenceClassification(labels: ["no", "yes"]))
        XCTAssertEqual(dcls.weights.head.poolerActivation, .relu)
        XCTAssertEqual(dbare.architecture.head, .none)
        XCTAssertNil(dbare.weights.head.pooler)
    }

    /// `<pad>` (id 1) takes position row 1 and does not advance the count: `<s> a <pad> b` reads
    /// rows 2, 3, 1, 4.
    func testRobertaPositionIdsSkipPadding() throws {
        let m = try Fixtures.load("roberta-mlm")
        let table = m.weights.embeddings.position!
        let r = try m.forward([0, 17, 1, 40], capture: .points([.posEmbed]))
        let pos = try XCTUnwrap(r.cache[.posEmbed])
        for (row, expected) in [2, 3, 1, 4].enumerated() {
            assertClose(pos.rows(row..<(row + 1)), table.rows(expected..<(expected + 1)), tolerance: 0, "row \(row)")
        }
        // The longest input fills the table exactly; one more token is an input error.
        let n = m.architecture.contextLength
        XCTAssertNoThrow(try m.forward(Array(repeating: 5, count: n)))
        XCTAssertThrowsError(try m.forward(Array(repeating: 5, count: n + 1)))
    }

    /// Replacing input embedding rows in the batched suffix engine (perturbation curves) keeps the
    /// positions the ids give, `<pad>` inside the text included: equal to a plain forward whose
    /// `hook_embed` intervention replaces the same rows (1e-5 of the logits' scale).
    func testEmbeddingEditsKeepRobertaPositions() throws {
        try Self.assertEmbeddingEditsMatchHookEdits(try Fixtures.load("roberta-mlm"), ids: [0, 17, 1, 4, 40, 1, 33, 2])
    }

    /// The batched suffix engine's embedding edits of rows 1; 3, 6; 7 of `ids` (random rows as wide
    /// as `hook_embed`) equal plain forwards replacing the same `hook_embed` rows, at logit rows 3
    /// and 6 (1e-5 of the logits' scale).
    static func assertEmbeddingEditsMatchHookEdits(_ m: TransformerModel, ids: [Int]) throws {
        let input = ModelInput.tokens(ids, types: nil)
        let base = try m.suffixBase(input, logitRows: [3, 6])
        var rng = SplitMix64(seed: 3)
        let d = m.weights.embeddings.token.shape[1]                  // hook_embed's width (ELECTRA: embedding_size)
        let edits = [[1], [3, 6], [7]].map { EmbeddingEdit(positions: $0, rows: rng.tensor([$0.count, d])) }
        let out = try m.forwardSuffixes(base: base, items: edits.map { SuffixItem(embedding: $0) })
        for (edit, logits) in zip(edits, out) {
            let intervention = Interventions(.embed) { _, embed in
                var e = embed
                for (i, p) in edit.positions.enumerated() { for j in 0..<d { e[p, j] = edit.rows[i, j] } }
                return e
            }
            let plain = try m.forward(input, interventions: intervention, logitRows: .positions(base.logitRows)).logits!
            assertClose(logits, plain, tolerance: 1e-5 * max(1, plain.storage.map(abs).max() ?? 0), "rows \(edit.positions)")
        }
    }

    /// distilbert-sinus stores its fixed table; rebuilding it from the formula gives the same rows
    /// (fp16 storage: 1e-3), and a checkpoint without the table still loads.
    func testSinusoidalPositionsRebuildTheStoredTable() throws {
        let stored = try Fixtures.load("distilbert-sinus")
        let folder = try copyOfFixture("distilbert-sinus", dropping: "embeddings.position_embeddings.weight")
        let rebuilt = try TransformerModel.load(directory: folder)
        assertClose(rebuilt.weights.embeddings.position!, stored.weights.embeddings.position!, tolerance: 1e-3, "table")
        let ids = [2, 30, 41, 3]
        assertClose(try rebuilt.forward(ids).hidden, try stored.forward(ids).hidden, tolerance: 1e-2, "hidden")
    }

    func testConfigErrorsAreTyped() throws {
        let cases: [(String, String, String)] = [
            ("roberta-mlm", #"{"model_type": "roberta", "pad_token_id": 30, "max_position_embeddings": 31, "vocab_size": 301}"#, "max_position_embeddings"),
            ("roberta-mlm", #"{"model_type": "roberta", "pad_token_id": -1}"#, "pad_token_id"),
            ("roberta-mlm", #"{"model_type": "roberta", "hidden_size": 30, "num_attention_heads": 4}"#, "num_attention_heads"),
            ("roberta-mlm", #"{"model_type": "roberta", "hidden_act": "prelu"}"#, "hidden_act"),
            ("distilbert-mlm", #"{"model_type": "distilbert", "dim": 30, "n_heads": 4}"#, "n_heads"),
            ("distilbert-mlm", #"{"model_type": "distilbert", "activation": "prelu"}"#, "activation"),
            ("distilbert-mlm", #"{"model_type": "distilbert", "n_layers": 0}"#, "n_layers"),
            ("distilbert-mlm", #"{"model_type": "distilbert", "hidden_dim": -3}"#, "hidden_dim"),
        ]
        for (fixture, json, fragment) in cases {
            let folder = try copyOfFixture(fixture, dropping: nil)
            try Data(json.utf8).write(to: folder.appendingPathComponent("config.json"))
            XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
                guard case LoadError.invalidConfig = error else { return XCTFail("\(fragment): \(error)") }
                XCTAssertTrue(error.localizedDescription.contains(fragment), "\(fragment) not in \(error.localizedDescription)")
            }
        }
    }

    /// Another family's weights under this config: a shape or name error, never a crash.
    func testMismatchedWeightsAreLoadErrors() throws {
        let folder = try copyOfFixture("roberta-mlm", dropping: nil)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("model.safetensors"))
        try FileManager.default.copyItem(at: Fixtures.model("roberta-cls").appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        XCTAssertThrowsError(try TransformerModel.load(directory: folder)) { error in
            XCTAssertTrue(error is LoadError, "\(error)")
        }
    }

    /// A temporary copy of a fixture folder, optionally without one tensor (rewritten safetensors).
    private func copyOfFixture(_ name: String, dropping tensor: String?) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-enc-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.model(name), to: folder)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        guard let tensor else { return folder }
        let url = folder.appendingPathComponent("model.safetensors")
        let file = try SafetensorsFile(url: url)
        var kept: [(String, Tensor)] = []
        for name in file.tensorNames.sorted() where name != tensor {
            kept.append((name, try file.tensor(name)))
        }
        try SafetensorsFile.write(kept, to: url)
        return folder
    }
}
