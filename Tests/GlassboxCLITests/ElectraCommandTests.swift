import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict`, `explain` and `info` on the ELECTRA fixtures through the built executable,
/// against the committed references: the logits transformers gave (Tests/Fixtures/goldens/<name>/full,
/// ≤ 1e-4) and LXT-rule relevances (Tests/Fixtures/relevance/<name>/full, ≤ 1e-3 of the largest
/// |score|; FamilyReferenceChecks). The discriminator (`ElectraForPreTraining`) predicts one logit per
/// token: `predict` shows the position most likely replaced (or `--position`'s) with σ(logit) and
/// every position's logit under "positions"; `explain` explains that position's logit; the methods
/// that compare a probability among outputs refuse it with one line.
final class ElectraCommandTests: XCTestCase {
    private func golden(_ name: String) throws -> Golden {
        try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
    }

    private func predict(_ name: String, _ extra: [String] = []) throws -> [String: Any] {
        let ids = try golden(name).inputIDs.map(String.init).joined(separator: ",")
        return try jsonObject(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids,
                                               "--logits", "--json"] + extra))
    }

    /// The generator at its first [MASK] (id 4): the 103 logits of `ElectraForMaskedLM`.
    func testGeneratorPredictMatchesTransformers() throws {
        let g = try golden("electra-gen"), object = try predict("electra-gen", ["--top-k", "5"])
        let position = try XCTUnwrap(g.inputIDs.firstIndex(of: 4))
        XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, "electra")
        XCTAssertEqual(object["position"] as? Int, position)
        let row = try g.tensor("unembed.hook_out").row(position).storage
        let logits = try XCTUnwrap(object["logits"] as? [Double])
        XCTAssertEqual(logits.count, 103)
        XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(row[$0.offset])) }.max()!, 0, accuracy: 1e-4)
        let top = try XCTUnwrap(object["top"] as? [[String: Any]]).compactMap { $0["id"] as? Int }
        XCTAssertEqual(top, Array(row.indices.sorted { row[$0] > row[$1] }.prefix(5)))
    }

    /// The classifier: 3 logits at position 0 with the id2label names, softmax scores.
    func testClassifierPredictMatchesTransformers() throws {
        let row = try golden("electra-cls").tensor("unembed.hook_out").storage
        let object = try predict("electra-cls")
        XCTAssertEqual(object["position"] as? Int, 0)
        XCTAssertEqual(object["scores"] as? String, "softmax")
        let logits = try XCTUnwrap(object["logits"] as? [Double])
        XCTAssertEqual(logits.count, 3)
        XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(row[$0.offset])) }.max()!, 0, accuracy: 1e-4)
        let labels = ["negative", "neutral", "positive"]
        XCTAssertEqual(try XCTUnwrap(object["top"] as? [[String: Any]]).compactMap { $0["text"] as? String },
                       row.indices.sorted { row[$0] > row[$1] }.map { labels[$0] })
    }

    /// The discriminator: every position's logit equals `ElectraForPreTraining`'s (≤ 1e-4), the shown
    /// position is the largest logit's, its score σ(logit); `--position` picks another.
    func testDiscriminatorPredictShowsEveryPositionsLogit() throws {
        let reference = try golden("electra-disc").tensor("unembed.hook_out").storage         // [n, 1]
        let object = try predict("electra-disc")
        let positions = try XCTUnwrap(object["positions"] as? [[String: Any]])
        XCTAssertEqual(positions.count, reference.count)
        for (p, entry) in positions.enumerated() {
            let z = try XCTUnwrap(entry["logit"] as? Double)
            XCTAssertEqual(entry["position"] as? Int, p)
            XCTAssertEqual(z, Double(reference[p]), accuracy: 1e-4, "position \(p)")
            XCTAssertEqual(try XCTUnwrap(entry["prob"] as? Double), 1 / (1 + exp(-z)), accuracy: 1e-12)
        }
        let most = reference.indices.max { reference[$0] < reference[$1] }!
        XCTAssertEqual(object["position"] as? Int, most)
        XCTAssertEqual(object["scores"] as? String, "sigmoid")
        let top = try XCTUnwrap((object["top"] as? [[String: Any]])?.first)
        XCTAssertEqual(top["text"] as? String, "replaced")
        XCTAssertEqual(try XCTUnwrap(top["prob"] as? Double), 1 / (1 + exp(-Double(reference[most]))), accuracy: 1e-5)
        let other = (most + 1) % reference.count
        XCTAssertEqual(try predict("electra-disc", ["--position", "\(other)"])["position"] as? Int, other)
    }

    func testExplainMatchesLXT() throws {
        try assertExplainMatchesLXT("electra-gen")
        try assertExplainMatchesLXT("electra-cls")
        try assertExplainMatchesLXT("electra-disc", arguments: ["--position", "6"])   // the reference's middle token (n 12)
    }

    /// Through `embeddings_project` (E < d): the CLI's scores are the library's and AttnLRP / CP-LRP
    /// conserve, on the generator's [MASK] and on the discriminator's position 2.
    func testRelevanceConservesThroughTheProjection() throws {
        let out = try makeTemporaryFolder("electra-conserve").appendingPathComponent("x.png")
        for name in ["electra-gen", "electra-disc"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            try EncoderCommandTests.assertRelevanceMatchesTheLibraryAndConserves(model, name, ids: [2, 17, 4, 40, 3], position: 2,
                                                                                 explicit: true, out: out)
        }
    }

    /// AtMan, patching and evaluate need a probability among outputs: one line, exit 1.
    func testDiscriminatorRefusalsAreOneLine() throws {
        let ids = try golden("electra-disc").inputIDs.map(String.init).joined(separator: ",")
        let out = try makeTemporaryFolder("electra").appendingPathComponent("x.png")
        let atman = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/electra-disc", "--ids", ids,
                                     "--method", "atman", "--out", out.path])
        XCTAssertEqual(atman.status, 1, atman.stderr)
        XCTAssertTrue(atman.stderr.contains("AtMan compares the target's probability among the outputs"), atman.stderr)
        XCTAssertEqual(atman.stderr.split(separator: "\n").count, 1, atman.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        for (command, arguments) in [("patching", ["patch", "--clean-ids", "2,17,4,40,3", "--corrupted-ids", "2,18,4,40,3"]),
                                     ("causal tracing", ["trace", "--ids", "2,17,4,40,3", "--noise-span", "1:3"])] {
            let refused = try runGlassbox(arguments + ["--model", "Tests/Fixtures/models/electra-disc", "--out", out.path])
            XCTAssertEqual(refused.status, 1, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("\(command) compares the target's probability"), refused.stderr)
            XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        }
    }

    func testInfoNamesTheHeadAndTheProjection() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/electra-disc"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("architecture electra"), info.stdout)
        XCTAssertTrue(info.stdout.contains("replaced-token detection (ELECTRA discriminator: one logit per token)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   12.0k"), info.stdout)
    }
}
