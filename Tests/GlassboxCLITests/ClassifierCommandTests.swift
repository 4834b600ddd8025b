import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Sequence classifiers through `patch`, `path`, `trace`, `explain --words` and `batch`: a
/// one-output classifier is a one-line error (a record in batch), `--answer` is a class label,
/// `--position` is refused, word entries keep `[CLS]`/`[SEP]` and frame the explained one.
final class ClassifierCommandTests: XCTestCase {
    static let cls = "Tests/Fixtures/models/bert-cls"
    /// num_labels 1 (scripts/fixtures/generate_one_output.py).
    static let oneOutput = "Tests/Fixtures/classifiers/bert-one-output"
    static let oneOutputError = "glassbox: error: this bert classifier has one output (num_labels 1): the logit difference needs a second class (there is no runner-up, and --wrong or --wrong-id could only name the answer), and --metric kl a softmax over classes; use --metric prob or logprob (the sigmoid of its output, as the pipeline scores it)"
    static let positionError = "glassbox: error: --position picks the measured position of language models; this bert classifier predicts one class for the whole input: leave out --position"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("cls") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func object(_ text: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any], text)
    }

    /// A one-output classifier has no second class and no softmax: logit-diff and kl are one-line
    /// errors (an error record in batch); prob, logprob and causal tracing read σ of the output, as
    /// the pipeline scores it.
    func testOneOutputClassifierPatchesAndTracesItsSigmoid() throws {
        let inputs = ["--clean-ids", "2,10,20,30,3", "--corrupted-ids", "2,11,20,30,3", "--out", path("p.png")]
        for command in [["patch"], ["path", "--receivers", "resid"], ["patch", "--answer-id", "0"], ["patch", "--metric", "kl"]] {
            let run = try runGlassbox(command + ["--model", Self.oneOutput] + inputs)
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertEqual(run.stderrLines, [Self.oneOutputError], "\(command)")
        }
        let model = try TransformerModel.load(directory: Fixtures.root.appendingPathComponent(Self.oneOutput))
        func sigmoid(_ ids: [Int]) throws -> Double {
            let z = try model.forward(.tokens(ids, types: nil), logitRows: .positions([0])).logits!.storage[0]
            return 1 / (1 + exp(-Double(z)))
        }
        let (clean, corrupted) = (try sigmoid([2, 10, 20, 30, 3]), try sigmoid([2, 11, 20, 30, 3]))
        for (metric, transform) in [("prob", { (p: Double) in p }), ("logprob", { (p: Double) in log(p) })] {
            let run = try runGlassbox(["patch", "--model", Self.oneOutput, "--metric", metric, "--json"] + inputs)
            XCTAssertEqual(run.status, 0, run.stderr)
            let named = try XCTUnwrap(try object(run.stdout)["metric"] as? [String: Any])
            XCTAssertEqual(named["scores"] as? String, "sigmoid", metric)
            XCTAssertEqual(named["clean"] as? Double ?? .nan, transform(clean), accuracy: 1e-5, metric)
            XCTAssertEqual(named["corrupted"] as? Double ?? .nan, transform(corrupted), accuracy: 1e-5, metric)
        }
        // In batch: an error record for the logit-diff line, and the prob line runs.
        try """
            {"id": "a", "clean_ids": [2, 10, 20, 30, 3], "corrupted_ids": [2, 11, 20, 30, 3]}
            {"id": "b", "clean_ids": [2, 10, 20, 30, 3], "corrupted_ids": [2, 11, 20, 30, 3], "metric": "prob"}
            """.write(toFile: path("in.jsonl"), atomically: true, encoding: .utf8)
        let batch = try runGlassbox(["batch", "--model", Self.oneOutput, "--in", path("in.jsonl"), "--out", path("out.jsonl"),
                                     "--command", "patch"])
        XCTAssertEqual(batch.status, 1, batch.stderr)
        let records = try String(contentsOfFile: path("out.jsonl"), encoding: .utf8).split(separator: "\n").map { try object(String($0)) }
        XCTAssertEqual(records.count, 2)
        guard records.count == 2 else { return }
        XCTAssertEqual(records[0]["error"] as? String, "line 1: " + Self.oneOutputError.dropFirst("glassbox: error: ".count))
        XCTAssertNil(records[1]["error"], "\(records[1])")
        XCTAssertEqual((records[1]["metric"] as? [String: Any])?["clean"] as? Double ?? .nan, clean, accuracy: 1e-5)
        // Causal tracing measures σ(z) of the one output.
        let trace = try runGlassbox(["trace", "--model", Self.oneOutput, "--ids", "2,10,20,30,3", "--noise-span", "1:2",
                                     "--samples", "2", "--json", "--out", path("t.png")])
        XCTAssertEqual(trace.status, 0, trace.stderr)
        let metric = try XCTUnwrap(try object(trace.stdout)["metric"] as? [String: Any])
        XCTAssertEqual(metric["scores"] as? String, "sigmoid")
        XCTAssertEqual(metric["clean"] as? Double ?? .nan, clean, accuracy: 1e-5)
    }

    func testPositionIsRefusedForAClassifierAsPredictRefusesIt() throws {
        let patch = try runGlassbox(["patch", "--model", Self.cls, "--clean-ids", "2,10,20,30,3", "--corrupted-ids", "2,11,20,30,3",
                                     "--position", "2", "--out", path("p.png")])
        XCTAssertEqual(patch.status, 2, patch.stderr)
        XCTAssertEqual(patch.stderrLines, [Self.positionError])
        let trace = try runGlassbox(["trace", "--model", Self.cls, "--ids", "2,10,20,30,3", "--noise-span", "1:2", "--position", "1",
                                     "--out", path("t.png")])
        XCTAssertEqual(trace.status, 2, trace.stderr)
        XCTAssertEqual(trace.stderrLines, [Self.positionError])
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("p.png")))
    }

    func testTraceReadsAndPrintsClassLabels() throws {
        let ids = [2, 10, 20, 30, 3]
        let model = try TransformerModel.load(directory: Fixtures.model("bert-cls"))
        let logits = try model.forward(.tokens(ids, types: nil), logitRows: .positions([0])).logits!.storage
        let top = logits.map(Double.init).max()!
        let sum = logits.map { exp(Double($0) - top) }.reduce(0, +)
        let probs = logits.map { exp(Double($0) - top) / sum }
        let labels = ["negative", "neutral", "positive"]
        let best = probs.indices.max { probs[$0] < probs[$1] }!
        let base = ["trace", "--model", Self.cls, "--ids", "2,10,20,30,3", "--noise-span", "1:3", "--samples", "2", "--out", path("t.png")]
        for (extra, answer) in [([String](), best), (["--answer", "positive"], 2), (["--answer", "neutral"], 1), (["--answer-id", "0"], 0)] {
            let run = try runGlassbox(base + extra + ["--json"])
            XCTAssertEqual(run.status, 0, run.stderr)
            let metric = try XCTUnwrap(try object(run.stdout)["metric"] as? [String: Any])
            let named = try XCTUnwrap(metric["answer"] as? [String: Any])
            XCTAssertEqual(named["id"] as? Int, answer, "\(extra)")
            XCTAssertEqual(named["text"] as? String, labels[answer], "\(extra)")
            XCTAssertEqual(metric["position"] as? Int, 0)
            XCTAssertEqual(metric["clean"] as? Double ?? .nan, probs[answer], accuracy: 1e-5, "\(extra)")
        }
        let text = try runGlassbox(base + ["--answer", "neutral"])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.hasPrefix(String(format: "causal tracing of \"neutral\" at position 0: p clean %.4f", probs[1])), text.stdout)
        let unknown = try runGlassbox(base + ["--answer", "[CLS]"])
        XCTAssertEqual(unknown.status, 1, unknown.stderr)
        XCTAssertEqual(unknown.stderrLines, ["glassbox: error: '[CLS]' is not a class of this model; classes: negative, neutral, positive"])
        let outside = try runGlassbox(base + ["--answer-id", "3"])
        XCTAssertEqual(outside.status, 1, outside.stderr)
        XCTAssertEqual(outside.stderrLines, ["glassbox: error: --answer-id 3 is outside 0..<3"])
    }

    func testWordEntriesKeepTheAddedTokensAndFrameTheExplainedOne() throws {
        for (model, added) in [(Self.cls, ["[CLS]", "[SEP]"]), ("Tests/Fixtures/models/roberta-cls", ["<s>", "</s>"])] {
            let base = ["explain", "--model", model, "the of and to", "--json", "--out", path("w.png")]
            let tokens = try object(try runGlassbox(base).stdout)
            let words = try runGlassbox(base + ["--words"])
            XCTAssertEqual(words.status, 0, words.stderr)
            let record = try object(words.stdout)
            let entries = try XCTUnwrap(record["tokens"] as? [[String: Any]])
            XCTAssertEqual(entries.map { $0["text"] as? String }, [added[0], "the", "of", "and", "to", added[1]], model)
            XCTAssertEqual((record["extra"] as? [String: Any])?["targetIndex"] as? Int, 0, model)
            let total = try XCTUnwrap(tokens["tokens"] as? [[String: Any]]).compactMap { $0["score"] as? Double }.reduce(0, +)
            XCTAssertEqual(entries.compactMap { $0["score"] as? Double }.reduce(0, +), total, accuracy: 1e-9, model)
            // The picture frames the [CLS] entry.
            let decoded = try JSONDecoder().decode(ExplanationRecord.self, from: Data(words.stdout.utf8))
            XCTAssertEqual((try decoded.figure() as? TokenStrip)?.target, 0, model)

            let atman = try runGlassbox(["explain", "--model", model, "the of and to", "--method", "atman", "--granularity", "word",
                                         "--json", "--out", path("a.png")])
            XCTAssertEqual(atman.status, 0, atman.stderr)
            let grouped = try object(atman.stdout)
            XCTAssertEqual(try XCTUnwrap(grouped["tokens"] as? [[String: Any]]).map { $0["text"] as? String },
                           [added[0], "the", "of", "and", "to", added[1]], model)
            XCTAssertEqual((grouped["extra"] as? [String: Any])?["targetIndex"] as? Int, 0, model)
        }
    }

    /// RoBERTa's trim_offsets gives a lone space an empty span, like `<s>`; it is no added token
    /// (the encoding's special-tokens mask says so), so it belongs to no word entry.
    func testAWhitespaceOnlyTokenIsNoWordEntry() throws {
        let model = "Tests/Fixtures/models/roberta-cls"
        let words = try runGlassbox(["explain", "--model", model, "the  cat sat", "--words", "--json", "--out", path("w.png")])
        XCTAssertEqual(words.status, 0, words.stderr)
        XCTAssertEqual(try XCTUnwrap(try object(words.stdout)["tokens"] as? [[String: Any]]).map { $0["text"] as? String },
                       ["<s>", "the", "cat", "sat", "</s>"])
        let atman = try runGlassbox(["explain", "--model", model, "the  cat sat", "--method", "atman", "--granularity", "word",
                                     "--json", "--out", path("a.png")])
        XCTAssertEqual(atman.status, 0, atman.stderr)
        XCTAssertEqual(try XCTUnwrap(try object(atman.stdout)["tokens"] as? [[String: Any]]).map { $0["text"] as? String },
                       ["<s>", "the", "cat", "sat", "</s>"])
    }

    func testAWordRecordWithoutTargetEntryFramesNothing() throws {
        let run = try runGlassbox(["explain", "--model", Self.cls, "the of and to", "--words", "--json", "--out", path("w.png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        var record = try JSONDecoder().decode(ExplanationRecord.self, from: Data(run.stdout.utf8))
        record.extra.targetIndex = nil
        let strip = try XCTUnwrap(try record.figure() as? TokenStrip)
        XCTAssertNil(strip.target)
        XCTAssertEqual(strip.tokens.count, 6)
    }

    func testAHeadlessViTIsNotToldToCompareTexts() throws {
        let run = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/vit-odd", "--image", "Tests/Fixtures/images/rgb8-100x33.png",
                                   "--out", path("v.png")])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertEqual(run.stderrLines, ["glassbox: error: this vit checkpoint has no prediction head, so attnlrp has no logit to explain, and --compare needs a text encoder (this model reads images): use rollout, flow or attention, with --position for the row they read"])
        // The advice works.
        let rollout = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/vit-odd", "--image", "Tests/Fixtures/images/rgb8-100x33.png",
                                       "--method", "rollout", "--position", "1", "--out", path("v.png")])
        XCTAssertEqual(rollout.status, 0, rollout.stderr)
    }

    func testBatchEvaluateRecordEqualsTheSingleCommands() throws {
        let options = ["--methods", "attnlrp", "--steps", "2", "--random-seeds", "1"]
        let single = try runGlassbox(["evaluate", "--model", Self.cls, "the of and to", "--json", "--out", path("e.png")] + options)
        XCTAssertEqual(single.status, 0, single.stderr)
        try "{\"id\": \"r0\", \"text\": \"the of and to\"}\n".write(toFile: path("ev.jsonl"), atomically: true, encoding: .utf8)
        let batch = try runGlassbox(["batch", "--model", Self.cls, "--in", path("ev.jsonl"), "--out", path("ev.out"), "--command", "evaluate"] + options)
        XCTAssertEqual(batch.status, 0, batch.stderr)
        var record = try object(try String(contentsOfFile: path("ev.out"), encoding: .utf8))
        XCTAssertEqual(record.removeValue(forKey: "id") as? String, "r0")
        XCTAssertEqual(record.removeValue(forKey: "index") as? Int, 0)
        let inputs = try XCTUnwrap(record["inputs"] as? [[String: Any]])
        XCTAssertEqual(inputs.first?["origin"] as? String, "the prompt")
        XCTAssertEqual(NSDictionary(dictionary: record), NSDictionary(dictionary: try object(single.stdout)))
    }
}
