import Foundation
import GlassboxTestSupport
import XCTest

/// Findings of the nineteenth docs-versus-behaviour review: each case checks the exit code and the
/// message (or the written value), so each fails on a build without its fix.
final class DocsReview19Tests: XCTestCase {
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-review19-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: folder)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the test's folder and returns its path.
    private func write(_ text: String, _ name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// The run's exit code is `status` and its only stderr line is `line`.
    private func assertError(_ arguments: [String], status: Int32, line: String,
                             file: StaticString = #filePath, lineNumber: UInt = #line) throws {
        let run = try runGlassbox(arguments)
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: lineNumber)
        XCTAssertEqual(run.stderrLines, [line], file: file, line: lineNumber)
        XCTAssertEqual(run.stdout, "", file: file, line: lineNumber)
    }

    /// A usage error (exit 2): `message` and the hint, on one line.
    private func assertUsage(_ arguments: [String], _ message: String, file: StaticString = #filePath, lineNumber: UInt = #line) throws {
        try assertError(arguments, status: 2, line: "glassbox: error: \(message) (see `glassbox help`)", file: file, lineNumber: lineNumber)
    }

    /// `evaluate --compare` refuses a causal LM and a vision model as `explain --compare` does
    /// (the bundled GPT-2 evaluated a "similarity" of its hidden states, exit 0); a JSONL
    /// `"compare"` too.
    func testEvaluateCompareNeedsATextEncoder() throws {
        let causal = "--compare evaluates the similarity of pooled embeddings of text encoders (BERT, MiniLM); this gpt2 model is a causal LM: evaluate its prediction (leave out --compare)"
        try assertError(["evaluate", "Good night, sweet prince", "--compare", "To be or not", "--methods", "attnlrp", "--out", path("e.png")],
                        status: 2, line: "glassbox: error: \(causal)")
        let prompts = try write("{\"ids\": [1, 2, 3], \"compare\": \"x\"}\n", "p.jsonl")
        try assertError(["evaluate", "--model", tiny, "--prompts", prompts, "--out", path("e.png")], status: 2, line: "glassbox: error: \(causal)")
        try assertError(["evaluate", "--model", "digits-vit", "--images", "samples/digits", "--limit", "1", "--compare", "a 3", "--out", path("e.png")],
                        status: 2, line: "glassbox: error: --compare evaluates the similarity of two texts' pooled embeddings; this vit model reads images")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("e.png")))
        // explain keeps its own advice.
        try assertError(["explain", "Good night", "--compare", "To be"], status: 2,
                        line: "glassbox: error: --compare explains the similarity of pooled embeddings of text encoders (BERT, MiniLM); this gpt2 model is a causal LM: explain its prediction, e.g. with --contrast")
    }

    /// `batch --command predict --pictures DIR` is refused before anything runs (it made an empty
    /// folder and drew nothing).
    func testBatchPredictRefusesPictures() throws {
        let inputs = try write("{\"id\": 1, \"ids\": [1, 2]}\n", "in.jsonl")
        try assertUsage(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--command", "predict", "--pictures", path("pictures")],
                        "--pictures: predict draws no picture (its record is the whole result), so leave out --pictures")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("pictures")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.jsonl")))
    }

    /// A bad `--shard` names what is wrong (it said only "The value '-1/2' is invalid").
    func testShardMessagesNameTheRule() throws {
        let inputs = try write("{\"id\": 1, \"ids\": [1, 2]}\n", "in.jsonl")
        let base = ["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--shard"]
        for (value, count) in [("-1/2", 2), ("4/4", 4), ("2/2", 2)] {
            try assertUsage(base + [value], "--shard I/N needs 0 ≤ I < N (shards count from 0: 0/\(count) … \(count - 1)/\(count)), got '\(value)'")
        }
        for value in ["1/0", "0/0", "0/-3"] { try assertUsage(base + [value], "--shard I/N needs N ≥ 1 shards, got '\(value)'") }
        for value in ["2", "a/b", "1/2/3", "/2"] {
            try assertUsage(base + [value], "--shard must be I/N, two whole numbers (this run's shard and the number of shards, e.g. 0/4), got '\(value)'")
        }
        let run = try runGlassbox(base + ["0/1", "--command", "predict"])
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    /// `--json` given to a batch (or a line's `"json"`) says the records are JSON already (it said
    /// "--json belongs before the command's options", but batch has no `--json`).
    func testBatchJSONSaysRecordsAreJSONAlready() throws {
        let message = "--json is not needed in a batch: each input's record in --out is already the JSON --json prints, so leave it out"
        let inputs = try write("{\"id\": 1, \"ids\": [1, 2]}\n", "in.jsonl")
        try assertUsage(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--json"], message)
        try assertUsage(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--command", "predict", "--json"], message)
        let line = try write("{\"id\": 1, \"ids\": [1, 2], \"json\": true}\n", "line.jsonl")
        let run = try runGlassbox(["batch", "--model", tiny, "--in", line, "--out", path("l.jsonl"), "--command", "predict"])
        XCTAssertEqual(run.status, 1, run.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("l.jsonl")))) as? [String: Any])
        XCTAssertEqual(record["error"] as? String, "line 1: \(message)")
    }

    /// `--noise-scale` states its real rule: > 0 (0 ran the whole trace and failed at its end,
    /// exit 1) and finite as a Float32 (1e40 was "must be a number ≥ 0").
    func testNoiseScaleRule() throws {
        let base = ["trace", "--model", tiny, "--ids", "1,2,3,4", "--noise-span", "0:2", "--samples", "2", "--out", path("t.png"), "--noise-scale"]
        for value in ["1e40", "inf", "-inf"] {
            try assertUsage(base + [value], "--noise-scale must be finite: at most 3.4028235e+38 (Float32's largest), got \(value)")
        }
        for value in ["0", "-3", "nan", "-0"] {
            try assertUsage(base + [value], "--noise-scale must be > 0 (0 adds no noise, so there is nothing to restore), got \(value)")
        }
        try assertUsage(base + ["1e-50"], "--noise-scale must be > 0 (0 adds no noise, so there is nothing to restore), got 1e-50, which is 0 as a Float32")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("t.png")))
        let run = try runGlassbox(base + ["1e-3"])
        XCTAssertEqual(run.status, 0, run.stderr)
    }
}
