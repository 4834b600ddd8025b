import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on modernbert-tiny (no biases, tied decoder, local layers with a
/// ±2 window) and modernbert-bias (every bias, untied decoder without bias) through the built
/// executable, against the committed references: the logits `ModernBertForMaskedLM` gave at the first
/// [MASK] of Tests/Fixtures/goldens/<name>/full (≤ 1e-4) and LXT's relevances on the same input and
/// target (Tests/Fixtures/relevance/<name>/full, ≤ 1e-3 of the largest |score|; FamilyReferenceChecks).
final class ModernBertCommandTests: XCTestCase {
    private let models = ["modernbert-tiny", "modernbert-bias"]

    func testPredictJSONMatchesTransformersLogitsAtTheMask() throws {
        for name in models {
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
            let mask = try XCTUnwrap(golden.inputIDs.max())           // [MASK], the last id
            let position = try XCTUnwrap(golden.inputIDs.firstIndex(of: mask))
            let object = try jsonObject(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/\(name)", "--ids",
                                                         golden.inputIDs.map(String.init).joined(separator: ","),
                                                         "--top-k", "5", "--logits", "--json"]))
            XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, "modernbert", name)
            XCTAssertEqual(object["position"] as? Int, position, name)
            let row = try golden.tensor("unembed.hook_out").row(position).storage
            let logits = try XCTUnwrap(object["logits"] as? [Double], name)
            XCTAssertEqual(logits.count, row.count, name)
            XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(row[$0.offset])) }.max()!, 0, accuracy: 1e-4, name)
            let top = try XCTUnwrap(object["top"] as? [[String: Any]], name).compactMap { $0["id"] as? Int }
            XCTAssertEqual(top, Array(row.indices.sorted { row[$0] > row[$1] }.prefix(5)), name)
        }
    }

    /// `info` names the block and counts num_parameters() (36421, 20904).
    func testInfoNamesTheBlockShapes() throws {
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/modernbert-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("architecture modernbert"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("sliding windows layer 1: ±2, layer 2: ±2, rotated there by rotary (8 dims, θ 10000.0)\n"),
                      tiny.stdout)   // local_rope_theta on the local layers, global_rope_theta (160000) elsewhere
        XCTAssertTrue(tiny.stdout.contains("parameters   36.4k"), tiny.stdout)
        let bias = try runGlassbox(["info", "--model", "Tests/Fixtures/models/modernbert-bias"])
        XCTAssertEqual(bias.status, 0, bias.stderr)
        XCTAssertTrue(bias.stdout.contains("parameters   20.9k"), bias.stdout)
        // local_rope_theta null: the local layers use the global table, so no second table is named.
        XCTAssertTrue(bias.stdout.contains("positions    rotary (12 dims, θ 500.0); sliding windows layer 1: ±2\n"), bias.stdout)
    }

    /// AttnLRP and CP-LRP. Not grad-input: the embedding LayerNorm right on the token rows (no positions to
    /// add) is scale-invariant, so gradient × input summed over each row is 0 up to ε (LXT's gxi tokens
    /// are ~1e-4 of the logit, rounding noise, compared in RelevanceParityTests through the layers instead).
    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name, methods: [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp")]) }
    }

    /// modernbert-cls and modernbert-mean (`ModernBertForSequenceClassification`, cls and mean
    /// pooling): `predict --json` reports position 0 and gives the class logits transformers gave on
    /// the golden "full" input (≤ 1e-4), ranked, with the labels of `id2label` (modernbert-mean's from
    /// `num_labels`) and softmax scores.
    func testClassifierPredictJSONMatchesTransformersLogits() throws {
        for (name, labels) in [("modernbert-cls", ["negative", "neutral", "positive"]), ("modernbert-mean", ["LABEL_0", "LABEL_1"])] {
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
            let object = try jsonObject(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/\(name)", "--ids",
                                                         golden.inputIDs.map(String.init).joined(separator: ","), "--logits", "--json"]))
            let row = try golden.tensor("unembed.hook_out").storage                  // [1, labels]
            XCTAssertEqual(object["position"] as? Int, 0, name)
            XCTAssertEqual(object["scores"] as? String, "softmax", name)
            let logits = try XCTUnwrap(object["logits"] as? [Double], name)
            XCTAssertEqual(logits.count, labels.count, name)
            XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(row[$0.offset])) }.max()!, 0, accuracy: 1e-4, name)
            let top = try XCTUnwrap(object["top"] as? [[String: Any]], name)
            XCTAssertEqual(top.compactMap { $0["id"] as? Int }, row.indices.sorted { row[$0] > row[$1] }, name)
            XCTAssertEqual(top.compactMap { $0["text"] as? String }, row.indices.sorted { row[$0] > row[$1] }.map { labels[$0] }, name)
        }
    }

    /// modernbert-mean: `info` names the mean pooling; AtMan (a perturbation run reading one pooled
    /// row) is refused with one line naming classifier_pooling, exit 1.
    func testMeanPoolingInfoAndRefusal() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/modernbert-mean"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("sequence classification: LABEL_0, LABEL_1 (head on the mean of every position)"), info.stdout)
        let out = try makeTemporaryFolder("modernbert-mean").appendingPathComponent("atman.png")
        let atman = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/modernbert-mean", "--ids", "75,3,14,9,76",
                                     "--method", "atman", "--out", out.path])
        XCTAssertEqual(atman.status, 1, atman.stdout)
        XCTAssertEqual(atman.stderrLines.count, 1, atman.stderr)
        XCTAssertTrue(atman.stderr.contains("classifier_pooling 'mean'"), atman.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
    }

    /// AttnLRP and CP-LRP on the classifier's top class against LXT's rules on the transformers
    /// module (the head's dense by the linear rule, its activation by the identity rule, its LayerNorm
    /// with σ detached; generate_lrp.py); grad×input is ~0 per token here too (the embedding LayerNorm).
    func testClassifierExplainJSONMatchesLXT() throws {
        try assertExplainMatchesLXT("modernbert-cls", methods: [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp")])
    }

    /// The same on modernbert-mean: the head on the mean of every row, whose gradient `g/n` reaches
    /// each row (LXT patches nothing there; generate_lrp.py passes the mask of ones).
    func testMeanClassifierExplainJSONMatchesLXT() throws {
        try assertExplainMatchesLXT("modernbert-mean", methods: [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp")])
    }
}
