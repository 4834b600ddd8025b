import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The JSON files the commands read beyond the model folder's own (generation_config.json, a
/// `verify` trace, a `batch` input line) are held to Python's `json` too: a trailing comma or a
/// comment is one line naming the file (or the batch line) and the place, exit 1. Before,
/// Foundation read the comma: generate and verify ran, the batch line ran.
final class PythonJSONSyntaxCLITests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("pysyntax") }

    func testGenerationConfigJSON() throws {
        let model = folder.appendingPathComponent("m")
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent(tiny), to: model)
        let file = model.appendingPathComponent("generation_config.json")
        try Data("{\"eos_token_id\": 94,\n \"bos_token_id\": 0,}".utf8).write(to: file)
        let run = try runGlassbox(["generate", "--model", model.path, "--ids", "30,85", "--max-tokens", "3"])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines, ["glassbox: error: \(file.path):2:19: trailing comma (Python's json refuses it)"])
    }

    func testVerifyTrace() throws {
        let source = Fixtures.root.appendingPathComponent("Tests/Fixtures/traces/bert-cls.json")
        let text = try String(contentsOf: source, encoding: .utf8)
        let edited = text.replacingOccurrences(of: "\"input\":{\"ids\":[10,59,54,77,60,10]}", with: "\"input\":{\"ids\":[10,59,54,77,60,10,]}")
        XCTAssertNotEqual(edited, text)
        let trace = folder.appendingPathComponent("trace.json")
        try Data(edited.utf8).write(to: trace)
        let column = try XCTUnwrap(edited.range(of: "10,]")).lowerBound.utf16Offset(in: edited) + 3
        let run = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/bert-cls", "--reference", trace.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines, ["glassbox: error: \(trace.path):1:\(column): trailing comma (Python's json refuses it)"])
    }

    func testBatchLine() throws {
        let inputs = folder.appendingPathComponent("in.jsonl"), out = folder.appendingPathComponent("out.jsonl")
        try Data("{\"id\": 1, \"ids\": [5, 6, 7]}\n{\"id\": 2, \"ids\": [5, 6,]}\n{\"id\": 3, /* x */ \"ids\": [5]}\n".utf8).write(to: inputs)
        let run = try runGlassbox(["batch", "--model", tiny, "--in", inputs.path, "--out", out.path])
        XCTAssertEqual(run.status, 1, run.stderr)
        let records = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertEqual(records.map { $0["error"] as? String }, [
            nil,
            "line 2, column 23: trailing comma (Python's json refuses it)",
            "line 3, column 11: comment (Python's json refuses it)",
        ])
    }
}
