import Foundation
import GlassboxTestSupport
import XCTest

/// Cases of the third hostile-input review: outputs that are not regular files, one file named
/// twice, resumed batches of another shard or run, a window of `Int.max`, end-of-sequence ids
/// transformers refuses, control characters in page titles, and messages that named an option
/// the user did not give.
final class HostileReview3Tests: XCTestCase {
    private var folder: URL!
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"

    override func setUpWithError() throws { folder = try makeTemporaryFolder("hostile3") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    private func fileType(_ path: String) -> mode_t {
        var info = stat()
        return lstat(path, &info) == 0 ? info.st_mode & S_IFMT : 0
    }

    /// A batch result of three inputs in `results.jsonl` and its inputs in `in.jsonl`.
    private func batchResult() throws -> (inputs: String, results: String) {
        let inputs = path("in.jsonl"), results = path("results.jsonl")
        try "{\"id\":\"a\",\"ids\":[1,2,3]}\n{\"id\":\"b\",\"ids\":[4,5]}\n{\"id\":\"c\",\"ids\":[6]}\n"
            .write(toFile: inputs, atomically: true, encoding: .utf8)
        let run = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", results, "--command", "predict"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return (inputs, results)
    }

    /// An `--out` that is a symbolic link is written at its target and stays a link (a rename put
    /// a regular file in its place and left the target stale); a FIFO is written through, not
    /// replaced, and one no process reads is an error, not a hang or a replaced node.
    func testSymbolicLinkAndFIFOOutputsAreWrittenThroughNotReplaced() throws {
        let (_, results) = try batchResult()
        let expected = try Data(contentsOf: URL(fileURLWithPath: results))
        try FileManager.default.createDirectory(atPath: path("real"), withIntermediateDirectories: true)
        try "OLD".write(toFile: path("real/target.jsonl"), atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: path("link.jsonl"), withDestinationPath: "real/target.jsonl")
        let linked = try runGlassbox(["merge", results, "--out", path("link.jsonl")])
        XCTAssertEqual(linked.status, 0, linked.stderr)
        XCTAssertEqual(fileType(path("link.jsonl")), S_IFLNK)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("real/target.jsonl"))), expected)

        XCTAssertEqual(mkfifo(path("pipe.jsonl"), 0o644), 0)
        let unread = try runGlassbox(["merge", results, "--out", path("pipe.jsonl")])
        XCTAssertEqual(unread.status, 1, unread.stderr)
        XCTAssertEqual(unread.stderrLines.last, "glassbox: error: cannot write \(path("pipe.jsonl")): it is a FIFO that no process is reading", unread.stderr)
        XCTAssertEqual(fileType(path("pipe.jsonl")), S_IFIFO)

        let script = "cat \"\(path("pipe.jsonl"))\" > \"\(path("got.jsonl"))\" & sleep 0.3; "
            + "\"$GLASSBOX\" merge \"\(results)\" --out \"\(path("pipe.jsonl"))\"; status=$?; wait; exit $status"
        let piped = try runGlassboxShell(script)
        XCTAssertEqual(piped.status, 0, piped.stderr)
        XCTAssertEqual(fileType(path("pipe.jsonl")), S_IFIFO)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("got.jsonl"))), expected)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }, [])
    }

    /// `merge --in X --out X` would replace the inputs with the results: bad usage, X untouched.
    func testMergeRefusesToWriteOverItsInputs() throws {
        let (inputs, results) = try batchResult()
        let before = try Data(contentsOf: URL(fileURLWithPath: inputs))
        let run = try runGlassbox(["merge", results, "--in", inputs, "--out", inputs])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("--out \(inputs) is the same file as --in \(inputs)"), run.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: inputs)), before)
    }

    /// `evaluate --out X --save-json X` wrote the JSON over the picture and named the picture:
    /// bad usage before any work, X untouched; `--save-json`'s own problems name `--save-json`.
    func testEvaluateRefusesOnePathForThePictureAndTheJSON() throws {
        try "OLD".write(toFile: path("same.svg"), atomically: true, encoding: .utf8)
        try "{\"ids\": [1, 2, 3, 4, 5]}\n".write(toFile: path("p.jsonl"), atomically: true, encoding: .utf8)
        let run = try runGlassbox(["evaluate", "--model", tiny, "--prompts", path("p.jsonl"), "--methods", "rollout", "--out", path("same.svg"), "--save-json", path("same.svg")])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertTrue(run.stderr.contains("give --save-json and --out different paths"), run.stderr)
        XCTAssertEqual(try String(contentsOfFile: path("same.svg"), encoding: .utf8), "OLD")
        try FileManager.default.createDirectory(atPath: path("dir.json"), withIntermediateDirectories: true)
        let folderRun = try runGlassbox(["evaluate", "--model", tiny, "--prompts", path("p.jsonl"), "--methods", "rollout", "--out", path("e.svg"), "--save-json", path("dir.json")])
        XCTAssertEqual(folderRun.status, 1, folderRun.stderr)
        XCTAssertTrue(folderRun.stderr.contains("choose another --save-json"), folderRun.stderr)
    }

    /// `--resume` of a file another shard wrote (indexes 0 and 2 of shard 0/2) would append
    /// index 1 after 2, which merge then rejects; a file of another command is not continued.
    func testResumeRefusesAnotherShardOrCommand() throws {
        let inputs = path("in.jsonl")
        try "{\"id\":\"a\",\"ids\":[1,2,3]}\n{\"id\":\"b\",\"ids\":[4,5]}\n{\"id\":\"c\",\"ids\":[6]}\n"
            .write(toFile: inputs, atomically: true, encoding: .utf8)
        let shard = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("s.jsonl"), "--command", "predict", "--shard", "0/2"])
        XCTAssertEqual(shard.status, 0, shard.stderr)
        let before = try Data(contentsOf: URL(fileURLWithPath: path("s.jsonl")))
        for extra in [[], ["--shard", "1/2"]] {
            let run = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("s.jsonl"), "--command", "predict", "--resume"] + extra)
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("--shard it was written with"), run.stderr)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("s.jsonl"))), before)
        }
        let same = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("s.jsonl"), "--command", "predict", "--resume", "--shard", "0/2"])
        XCTAssertEqual(same.status, 0, same.stderr)
        let lens = try runGlassbox(["batch", "--model", tiny, "--in", inputs, "--out", path("s.jsonl"), "--command", "lens", "--resume", "--shard", "0/2"])
        XCTAssertEqual(lens.status, 1, lens.stderr)
        XCTAssertTrue(lens.stderr.contains("holds `predict` results, not `lens`"), lens.stderr)
    }

    /// A window of `Int.max` layers trapped on `window + 1`; it is every layer, as a window of 2·L.
    func testTraceWindowOfIntMaxIsEveryLayer() throws {
        func trace(_ window: String) throws -> [String: Any] {
            let run = try runGlassbox(["trace", "--model", tiny, "--ids", "1,2,3,4", "--noise-span", "0:2", "--samples", "2",
                                       "--seed", "3", "--window", window, "--json", "--out", path("t\(window.count).png")])
            XCTAssertEqual(run.status, 0, run.stderr)
            return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        }
        let huge = try trace(String(Int.max)), wide = try trace("4")
        func sorted(_ value: Any?) throws -> Data { try JSONSerialization.data(withJSONObject: try XCTUnwrap(value), options: [.sortedKeys]) }
        XCTAssertEqual(try sorted(huge["results"]), try sorted(wide["results"]))
    }

    /// An `eos_token_id` transformers cannot use (a string, a list with a string, an id beyond
    /// 64 bits, an empty list, NaN: its `generate` raises on each) stops `generate` with one line
    /// naming the file; it was skipped for config.json's id.
    func testUnusableEndOfSequenceIdsAreAnError() throws {
        for (name, value) in [("string", "\"38\""), ("mixed", "[38, \"x\"]"), ("huge", "[1180591620717411303424, 38]"), ("empty", "[]"), ("nan", "NaN")] {
            let model = folder.appendingPathComponent(name)
            try FileManager.default.copyItem(at: Fixtures.model("gpt2-tiny"), to: model)
            try "{\"eos_token_id\": \(value)}".write(to: model.appendingPathComponent("generation_config.json"), atomically: true, encoding: .utf8)
            let run = try runGlassbox(["generate", "--model", model.path, "--ids", "1,2,3", "--max-tokens", "4", "--json"])
            XCTAssertEqual(run.status, 1, "\(name): \(run.stderr)")
            XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("generation_config.json: has an eos_token_id that is neither a token id nor a non-empty list of them"),
                          "\(name): \(run.stderr)")
        }
        let model = folder.appendingPathComponent("fine")
        try FileManager.default.copyItem(at: Fixtures.model("gpt2-tiny"), to: model)
        try "{\"eos_token_id\": [38.0, -1, 11.5]}".write(to: model.appendingPathComponent("generation_config.json"), atomically: true, encoding: .utf8)
        XCTAssertEqual(try runGlassbox(["generate", "--model", model.path, "--ids", "1,2,3", "--max-tokens", "4", "--json"]).status, 0)
    }

    /// A patching result whose token texts hold a NUL, ESC and a right-to-left override gets a page
    /// (and a picture) whose title shows them as code points instead of carrying them raw.
    func testPageTitlesShowControlsAndBidiOverridesAsCodePoints() throws {
        let run = try runGlassbox(["patch", "--model", tiny, "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--answer-id", "5", "--json", "--out", path("p.png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        var object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        var metric = try XCTUnwrap(object["metric"] as? [String: Any])
        var answer = try XCTUnwrap(metric["answer"] as? [String: Any])
        answer["text"] = "a\u{0}b\u{1B}[31m\u{202E}c"
        metric["answer"] = answer
        object["metric"] = metric
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: path("p.json")))
        let render = try runGlassbox(["render", path("p.json"), "--out", path("p.html")])
        XCTAssertEqual(render.status, 0, render.stderr)
        let page = try String(contentsOfFile: path("p.html"), encoding: .utf8)
        let title = try XCTUnwrap(page.range(of: "<title>").flatMap { start in page.range(of: "</title>").map { page[start.upperBound..<$0.lowerBound] } })
        XCTAssertTrue(title.contains("a&lt;0x00&gt;b&lt;0x1B&gt;[31m&lt;U+202E&gt;c") || title.contains("a<0x00>b<0x1B>[31m<U+202E>c"), String(title))
        XCTAssertFalse(page.unicodeScalars.contains { ($0.value < 0x20 && $0 != "\n" && $0 != "\t") || $0.value == 0x202E }, "raw controls in the page")
    }

    /// A JSONL `"target"` outside the vocabulary names the file's line and key, not `--target-id`;
    /// `--factor 1e308` echoes what was typed, not the "inf" it rounds to as a Float.
    func testMessagesNameWhatTheUserGave() throws {
        try "{\"ids\": [1, 2, 3, 4], \"target\": 999}\n".write(toFile: path("p.jsonl"), atomically: true, encoding: .utf8)
        let run = try runGlassbox(["evaluate", "--model", tiny, "--prompts", path("p.jsonl"), "--methods", "rollout", "--out", path("e.png")])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines.last, "glassbox: error: \(path("p.jsonl")):1: \"target\" 999 is outside 0..<128", run.stderr)
        let factor = try runGlassbox(["explain", "--model", tiny, "--ids", "1,2,3", "--method", "atman", "--factor", "1e308", "--out", path("x.png")])
        XCTAssertEqual(factor.status, 2, factor.stderr)
        XCTAssertTrue(factor.stderr.contains("--factor must be in [0, 1], got 1e308 (see"), factor.stderr)
        // `--ids=` took the next argument as its value.
        let empty = try runGlassbox(["predict", "--model", tiny, "--ids=", "1,2"])
        XCTAssertEqual(empty.status, 2, empty.stderr)
        XCTAssertTrue(empty.stderr.contains("--ids has an empty value after '='"), empty.stderr)
    }

    /// A truncated tokenizer.json or vocab.json, or one with a lone surrogate, was "not valid JSON"
    /// from predict and info (the vocabulary's fallback read them with Foundation): the message
    /// names the file and the place.
    func testBrokenVocabularyFilesNameTheFileAndPlace() throws {
        let cases: [(model: String, file: String, text: (Data) -> Data, place: String)] = [
            ("llama-gqa", "tokenizer.json", { $0.prefix(3000) }, "invalid JSON at line "),
            ("gpt2-tiny", "vocab.json", { $0.prefix(500) }, "invalid JSON at line 1, column 501"),
            ("gpt2-tiny", "vocab.json", { _ in Data(#"{"a": 1, "\ud800": 2}"#.utf8) }, "invalid JSON at line 1, column 11: a lone surrogate escape in a string"),
        ]
        for (index, item) in cases.enumerated() {
            let model = folder.appendingPathComponent("m\(index)")
            try FileManager.default.copyItem(at: Fixtures.model(item.model), to: model)
            let url = model.appendingPathComponent(item.file)
            try item.text(try Data(contentsOf: url)).write(to: url)
            for command in [["predict", "--model", model.path, "--ids", "1,2"], ["info", "--model", model.path]] {
                let run = try runGlassbox(command)
                XCTAssertEqual(run.status, 1, run.stderr)
                XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
                XCTAssertTrue(run.stderr.contains("\(url.path) is not a valid vocabulary: \(item.place)"), "\(command[0]) \(index): \(run.stderr)")
            }
        }
    }
}
