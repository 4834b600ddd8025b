import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Every analysis command end to end on the RoBERTa and DistilBERT fixtures (docs/methods.md §0.6):
/// masked-LM and classifier targets, finite numbers of the right shapes, the CLI's token scores
/// equal to the library's, conservation for AttnLRP and CP-LRP, headless encoders through the
/// similarity objective, prompts through the fixtures' own tokenizers. Agreement with LXT is
/// RelevanceParityTests', with the authors' Chefer code CheferParityTests', every hook point
/// against transformers GoldenTests'.
final class EncoderCommandTests: XCTestCase {
    /// Model, ids with a mask (`<mask>` / `[MASK]` = 4; XLM-R's and CamemBERT's `<mask>` is their
    /// last id, CamemBERT's `<s>` / `</s>` 5 / 6) between the specials.
    static let models: [(name: String, ids: [Int])] = [
        ("roberta-mlm", [0, 17, 4, 40, 2]), ("roberta-cls", [0, 17, 33, 40, 2]),
        ("distilbert-mlm", [2, 17, 4, 40, 3]), ("distilbert-cls", [2, 17, 33, 40, 3]),
        ("xlmr-mlm", [0, 17, 151, 40, 2]), ("xlmr-cls", [0, 17, 33, 40, 2]), ("camembert-mlm", [5, 17, 144, 40, 6]),
        ("modernbert-cls", [85, 17, 33, 40, 86]),   // [CLS] = 85, [SEP] = 86
        ("electra-cls", [2, 17, 33, 40, 3]),        // embedding_size = hidden_size (the projected ones: ElectraCommandTests)
    ]
    private var out: URL!

    override func setUp() {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-encoder-\(UUID().uuidString).png")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: out) }

    private func json(_ arguments: [String], _ model: String) throws -> [String: Any] {
        try runGlassboxJSON(arguments, model: model, out: out)
    }

    private func assertFinite(_ object: [String: Any], _ label: String) { assertFiniteJSON(object, label) }

    func testRelevanceOnMaskedLMAndClassifierTargets() throws {
        for (name, ids) in Self.models {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let list = ids.map(String.init).joined(separator: ",")
            // The CLI's default target: the mask (position 2) of a masked LM, [CLS] / <s> of a classifier.
            try Self.assertRelevanceMatchesTheLibraryAndConserves(model, name, ids: ids,
                                                                  position: model.architecture.head == .maskedLanguageModel ? 2 : 0, out: out)
            for flag in ["atman", "rollout", "flow", "gae", "chefer", "attention"] {
                let object = try json(["explain", "--ids", list, "--method", flag], name)
                assertFinite(object, "\(name) \(flag)")
                XCTAssertEqual((object["tokens"] as? [Any])?.count, ids.count, "\(name) \(flag)")
            }
        }
    }

    /// `explain --json` with AttnLRP, CP-LRP and gradient × input on `ids` (at `--position` when
    /// `explicit`): finite, at `position`, each token score the library's (1e-5 relative), and AttnLRP
    /// and CP-LRP conserving (unaccounted ≤ 1e-4 of the explained logit).
    static func assertRelevanceMatchesTheLibraryAndConserves(_ model: TransformerModel, _ name: String, ids: [Int], position: Int,
                                                             explicit: Bool = false, out: URL) throws {
        let list = ids.map(String.init).joined(separator: ",")
        for (flag, method) in [("attnlrp", RelevanceMethod.attnLRP), ("cp-lrp", .cpLRP), ("grad-input", .gradientTimesInput)] {
            let object = try runGlassboxJSON(["explain", "--ids", list, "--method", flag] + (explicit ? ["--position", "\(position)"] : []),
                                             model: name, out: out)
            assertFiniteJSON(object, "\(name) \(flag)")
            let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]]).compactMap { ($0["score"] as? NSNumber)?.floatValue }
            XCTAssertEqual(scores.count, ids.count, "\(name) \(flag)")
            XCTAssertEqual((object["target"] as? [String: Any])?["position"] as? Int, position, "\(name) \(flag)")
            let library = try Relevance.explain(model, .tokens(ids, types: nil), target: .top(position: position),
                                                options: RelevanceOptions(method: method))
            for (a, b) in zip(scores, library.tokens) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(name) \(flag)") }
            guard method != .gradientTimesInput else { continue }   // the plain gradient does not conserve
            let budget = library.budget
            XCTAssertLessThan(abs(budget.unaccounted), 1e-4 * max(1, abs(budget.explained)),
                              "\(name) \(flag): not conserved, \(budget)")
        }
    }

    func testLensAttentionProjectionAndNeurons() throws {
        for (name, ids) in Self.models {
            let list = ids.map(String.init).joined(separator: ",")
            let layers = try TransformerModel.load(directory: Fixtures.model(name)).architecture.layers
            let lens = try json(["lens", "--ids", list], name)
            assertFinite(lens, "\(name) lens")
            XCTAssertEqual((lens["rows"] as? [Any])?.count, layers + 1, "\(name) lens: one row per block output and the embeddings")
            let attention = try json(["attention", "--ids", list, "--layer", "1"], name)
            let pattern = try XCTUnwrap(attention["attention"] as? [[[[NSNumber]]]])
            for head in pattern[0] { for row in head { XCTAssertEqual(row.reduce(0) { $0 + $1.doubleValue }, 1, accuracy: 1e-5) } }
            assertFinite(try json(["project", "--layer", "1", "--head", "0", "--top-k", "3"], name), "\(name) project ov")
            assertFinite(try json(["project", "--layer", "0", "--neuron", "2", "--top-k", "3"], name), "\(name) project ffn")
            assertFinite(try json(["neurons", "--ids", list, "--layer", "1", "--top-k", "3"], name), "\(name) neurons")
        }
    }

    /// Prompts go through the folder's tokenizer.json: `<s> … </s>` (RoBERTa), `[CLS] … [SEP]`
    /// (DistilBERT); the mask token is found as the masked-LM target.
    func testPromptsThroughTheFixtureTokenizers() throws {
        let roberta = try json(["explain", "The cat<mask> on the mat.", "--method", "attnlrp"], "roberta-mlm")
        let tokens = try XCTUnwrap(roberta["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.first?["id"] as? Int, 0)
        XCTAssertEqual(tokens.last?["id"] as? Int, 2)
        XCTAssertTrue(tokens.contains { $0["id"] as? Int == 4 }, "no <mask> in \(tokens)")
        let distil = try json(["explain", "the [MASK] of the river", "--method", "grad-input"], "distilbert-mlm")
        let ids = try XCTUnwrap(distil["tokens"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        XCTAssertEqual(ids.first, 2)
        XCTAssertEqual(ids.last, 3)
        XCTAssertTrue(ids.contains(4), "\(ids)")
    }

    /// Encoders without a head explain the similarity to a second input.
    func testHeadlessEncodersExplainASimilarity() throws {
        assertFinite(try json(["explain", "--ids", "0,17,33,40,2", "--compare-ids", "0,9,40,2", "--method", "attnlrp"],
                              "roberta-odd"), "roberta-odd")
        assertFinite(try json(["explain", "--ids", "2,17,33,40,3", "--compare-ids", "2,9,40,3", "--method", "cp-lrp"],
                              "distilbert-sinus"), "distilbert-sinus")
        let refused = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/roberta-odd", "--ids", "0,17,2",
                                       "--method", "attnlrp", "--out", out.path])
        XCTAssertEqual(refused.status, 2, refused.stderr)            // usage: no head, no --compare
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("--compare"), refused.stderr)
    }

    /// Runs only (exit 0, finite numbers): patching and tracing are not compared with an outside
    /// implementation on these families.
    func testPatchAndTraceRun() throws {
        for (name, clean, corrupted) in [("roberta-mlm", "0,17,4,40,2", "0,18,4,40,2"), ("distilbert-mlm", "2,17,4,40,3", "2,18,4,40,3")] {
            assertFinite(try json(["patch", "--clean-ids", clean, "--corrupted-ids", corrupted, "--answer-id", "7", "--wrong-id", "9",
                                   "--sites", "resid,attn,mlp,heads"], name), "\(name) patch")
            assertFinite(try json(["trace", "--ids", clean, "--noise-span", "1:3", "--samples", "3", "--seed", "5"], name),
                         "\(name) trace")
        }
    }

    func testInfoDescribesBothFamilies() throws {
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try runGlassbox(
            ["info", "--model", "Tests/Fixtures/models/distilbert-cls", "--json"]).stdout.utf8)) as? [String: Any])
        let model = try XCTUnwrap(object["model"] as? [String: Any])
        let types = try XCTUnwrap(model["supportedModelTypes"] as? [String])
        XCTAssertTrue(types.contains("roberta") && types.contains("distilbert"), "\(types)")
        let hooks = try XCTUnwrap(object["hooks"] as? [String])
        XCTAssertFalse(hooks.contains("hook_token_type_embed"))
        XCTAssertTrue(hooks.contains("pooler.hook_out"))
        let text = try runGlassbox(["info", "--model", "Tests/Fixtures/models/roberta-mlm"])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("architecture roberta"), text.stdout)
        XCTAssertTrue(text.stdout.contains("after pad_token_id 1"), text.stdout)
        XCTAssertTrue(text.stdout.contains("tokenizer.json"), text.stdout)
    }
}
