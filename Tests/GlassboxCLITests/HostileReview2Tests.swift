import Foundation
import GlassboxTestSupport
import XCTest

/// Hostile-input cases of the second review: each is one clear, inert line on stderr and the
/// right exit status, never a trap.
final class HostileReview2Tests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("hostile2") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A reference hook whose shape product overflows but holds a 0 (`[2³², 2³², 0]`, no data) is
    /// refused with one line; it trapped in `Tensor.init` when the saturated product times 0 gave 0.
    func testReferenceShapeThatOverflowsBeforeAZeroIsRefused() throws {
        let source = Fixtures.root.appendingPathComponent("Tests/Fixtures/traces/bert-cls.json")
        var trace = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source)) as? [String: Any])
        var hooks = try XCTUnwrap(trace["hooks"] as? [[String: Any]])
        hooks[0]["shape"] = [4_294_967_296, 4_294_967_296, 0]
        hooks[0]["data"] = [Double]()
        trace["hooks"] = hooks
        try JSONSerialization.data(withJSONObject: trace).write(to: URL(fileURLWithPath: path("trace.json")))
        let run = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/bert-cls", "--reference", path("trace.json")])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("too large"), run.stderr)
    }

    /// Control characters quoted from a file (here `model_type`) reach stderr escaped: a NUL no
    /// longer cuts the line short (it ended `fputs`'s string), ESC and BEL cannot drive the
    /// terminal, and CR/LF cannot start a fake line; the error stays one whole line.
    func testControlCharactersInMessagesAreEscaped() throws {
        let source = Fixtures.root.appendingPathComponent("Tests/Fixtures/models/gpt2-tiny")
        for (name, modelType) in [("nul", "gpt2\u{0}tail"), ("esc", "\u{1B}[31mRED\u{1B}]0;title\u{7}\r\nfake line\u{9B}")] {
            let model = folder.appendingPathComponent(name)
            try FileManager.default.copyItem(at: source, to: model)
            let configURL = model.appendingPathComponent("config.json")
            var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
            config["model_type"] = modelType
            try JSONSerialization.data(withJSONObject: config).write(to: configURL)
            let run = try runGlassbox(["predict", "--model", model.path, "--ids", "1,2,3"])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertTrue(run.stderr.hasSuffix("\n"), "\(name): \(run.stderr.debugDescription)")
            XCTAssertEqual(run.stderrLines.count, 1, "\(name): \(run.stderr.debugDescription)")
            XCTAssertFalse(run.stderr.dropLast().unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) },
                           "\(name): \(run.stderr.debugDescription)")
            if name == "nul" {
                XCTAssertTrue(run.stderr.contains("gpt2\\u{0}tail"), run.stderr.debugDescription)
            } else {
                XCTAssertTrue(run.stderr.contains("\\u{1B}[31mRED\\u{1B}]0;title\\u{7}") && run.stderr.contains("fake line\\u{9B}"), run.stderr.debugDescription)
            }
        }
    }

    /// Lines whose `"id"` is an array, an object or a boolean get an error record with
    /// `"id": null`; `merge --in` and `--resume` accept batch's own output for those very inputs
    /// (they compared the null with the raw id and called the file "written for other inputs").
    func testBatchOutputWithRefusedIdsMergesAndResumes() throws {
        let model = "Tests/Fixtures/models/gpt2-tiny"
        let input = path("in.jsonl")
        try "{\"id\":1,\"ids\":[1,2,3]}\n{\"id\":[1],\"ids\":[2,3]}\n{\"id\":{\"b\":1,\"a\":2},\"ids\":[2]}\n{\"id\":true,\"ids\":[3]}\n{\"id\":\"e\",\"ids\":[4,5]}\n"
            .write(toFile: input, atomically: true, encoding: .utf8)
        let whole = try runGlassbox(["batch", "--model", model, "--in", input, "--out", path("out.jsonl"), "--command", "predict"])
        XCTAssertEqual(whole.status, 1, whole.stderr)
        let lines = try String(contentsOfFile: path("out.jsonl"), encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(lines.count, 5)
        for line in lines[1...3] {
            XCTAssertTrue(line.hasPrefix("{\"id\":null,") && line.contains("must be a string or a number"), String(line))
        }

        let merge = try runGlassbox(["merge", path("out.jsonl"), "--in", input, "--out", path("merged.jsonl")])
        XCTAssertEqual(merge.status, 0, merge.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("merged.jsonl"))), try Data(contentsOf: URL(fileURLWithPath: path("out.jsonl"))))

        try (lines[0...3].joined(separator: "\n") + "\n").write(toFile: path("part.jsonl"), atomically: true, encoding: .utf8)
        let resume = try runGlassbox(["batch", "--model", model, "--in", input, "--out", path("part.jsonl"), "--command", "predict", "--resume"])
        XCTAssertFalse(resume.stderr.contains("written for other inputs"), resume.stderr)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: path("part.jsonl"))), try Data(contentsOf: URL(fileURLWithPath: path("out.jsonl"))))
    }

    /// An explain result whose score is beyond Float32 (1e308) is refused when read, naming the
    /// token, instead of cairo's "invalid matrix (not invertible)" while drawing.
    func testExplainScoreBeyondFloatIsRefusedWhenRead() throws {
        let made = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "1,2,3", "--method", "rollout",
                                    "--json", "--out", path("x.png")])
        XCTAssertEqual(made.status, 0, made.stderr)
        var result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: Any])
        var tokens = try XCTUnwrap(result["tokens"] as? [[String: Any]])
        tokens[0]["score"] = 1e308
        result["tokens"] = tokens
        try JSONSerialization.data(withJSONObject: result).write(to: URL(fileURLWithPath: path("huge.json")))
        let run = try runGlassbox(["render", path("huge.json"), "--out", path("huge.png")])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("token 0's score 1e+308 is not a finite 32-bit float"), run.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("huge.png")))
    }

    /// `render` builds results other than explain as Foundation objects, about 21 bytes of memory
    /// per byte of file: a result that would not fit in the memory available is refused with one
    /// line before it is parsed (a 180 MB evaluate result peaked at 3.86 GB).
    func testRenderRefusesAResultThatWouldNotFitInMemory() throws {
        let made = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "1,2,3", "--json", "--out", path("l.png")])
        XCTAssertEqual(made.status, 0, made.stderr)
        var result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(made.stdout.utf8)) as? [String: Any])
        result["padding"] = [Double](repeating: 0.1, count: 500_000)
        let data = try JSONSerialization.data(withJSONObject: result)
        try data.write(to: URL(fileURLWithPath: path("big.json")))
        var environment = ProcessInfo.processInfo.environment
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "\(data.count * 10)"
        let refused = try runGlassbox(["render", path("big.json"), "--out", path("big.png")], environment: environment)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertEqual(refused.stderrLines.count, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("big.json: reading this") && refused.stderr.contains("bytes per byte of file"), refused.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("big.png")))
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "\(data.count * 30)"
        let drawn = try runGlassbox(["render", path("big.json"), "--out", path("big.png")], environment: environment)
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
    }
}
