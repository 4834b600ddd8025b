import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `render` after the third hostile-input review: a string the decoder cannot read is reported by
/// line and column (never Foundation's error text), and `--with` takes only explanations of the
/// same input, naming the file at fault.
final class RenderLeftoversTests: XCTestCase {
    private var folder: URL!
    private let model = "Tests/Fixtures/models/gpt2-tiny"

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-renderfix-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs `arguments` with `--json` and saves what it printed as `name`.
    @discardableResult
    private func save(_ arguments: [String], as name: String) throws -> [String: Any] {
        let run = try runGlassbox(arguments + ["--model", model, "--json", "--out", path(name + ".png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: path(name)))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// The view data of a written page.
    private func pageData(_ page: String) throws -> [String: Any] {
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let start = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"glassbox-data\">")).upperBound
        let end = try XCTUnwrap(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        let json = String(html[start..<end]).replacingOccurrences(of: "\\u003c", with: "<")
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    /// Asserts `run` failed with exit 1 and the one line `expected`.
    private func assertRefused(_ run: CommandOutput, _ expected: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(run.status, 1, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stderrLines, ["glassbox: error: " + expected], file: file, line: line)
    }

    /// A lone surrogate escape in an explain result (Python writes one for a lone surrogate; a Swift
    /// string cannot hold it) is placed by line and column, for the page and every picture format,
    /// as the first file or through `--with`; so is one in another kind of result (attention), which
    /// was called "not JSON".
    func testALoneSurrogateIsPlacedByLineAndColumn() throws {
        try save(["explain", "--ids", "1,2,3,4"], as: "ex.json")
        try save(["attention", "--ids", "1,2,3,4"], as: "att.json")
        for name in ["ex.json", "att.json"] {
            // Pretty-printed: the escape is on a later line, so the line is checked too.
            let object = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path(name))))
            var text = String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys]), as: UTF8.self)
            let model = try XCTUnwrap(text.range(of: "\"gpt2\""))
            text.replaceSubrange(model, with: "\"gpt2 \\ud800 lone\"")
            let before = text[..<model.lowerBound]
            let line = before.filter { $0 == "\n" }.count + 1
            let column = before.utf8.count - (before.lastIndex(of: "\n").map { before.utf8.distance(from: before.startIndex, to: $0) + 1 } ?? 0) + 7
            let hostile = path("lone-" + name)
            try Data(text.utf8).write(to: URL(fileURLWithPath: hostile))
            let expected = "invalid JSON at line \(line), column \(column): a lone surrogate escape in a string"
            for out in ["p.html", "p.png", "p.svg", "p.pdf"] {
                assertRefused(try runGlassbox(["render", hostile, "--out", path(out)]), "\(hostile): \(expected)")
            }
            assertRefused(try runGlassbox(["render", path("ex.json"), "--with", hostile, "--out", path("w.html")]), "\(hostile): \(expected)")
        }
    }

    /// `--with` refuses, naming the file at fault, a result of another input in every combination
    /// of single and sequence explanations, another model, an image explanation (whichever side it
    /// is on) and a second sequence explanation; two methods on one input, and a sequence
    /// explanation with a single one of the same tokens, still make one page.
    func testWithTakesOnlyExplanationsOfTheSameInput() throws {
        try save(["explain", "--ids", "1,2,3,4"], as: "ex.json")
        try save(["explain", "--ids", "1,2,3,4", "--method", "rollout"], as: "rollout.json")
        try save(["explain", "--ids", "1,2,3"], as: "short.json")
        let sequence = try save(["explain", "--ids", "1,2,3", "--generate", "3", "--targets", "0"], as: "seq.json")
        try save(["explain", "--ids", "1,2,4", "--generate", "3", "--targets", "0"], as: "seq2.json")
        let ids = try XCTUnwrap((sequence["tokens"] as? [[String: Any]])?.map { try XCTUnwrap($0["id"] as? Int) })
        try save(["explain", "--ids", ids.map(String.init).joined(separator: ",")], as: "full.json")
        // An image explanation: the text one with an image and its patch scores.
        var image = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("ex.json")))) as? [String: Any])
        var extra = try XCTUnwrap(image["extra"] as? [String: Any])
        extra["image"] = "cat.png"
        extra["patches"] = [[0.5, -0.5], [0.25, 0.0]]
        image["extra"] = extra
        try JSONSerialization.data(withJSONObject: image).write(to: URL(fileURLWithPath: path("image.json")))
        var other = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("ex.json")))) as? [String: Any])
        other["model"] = ["name": "tiny-llama", "path": "/x", "architecture": "llama", "layers": 2, "heads": 4]
        try JSONSerialization.data(withJSONObject: other).write(to: URL(fileURLWithPath: path("llama.json")))

        let one = "--with takes explain results of one input"
        let refusals: [([String], String)] = [
            (["ex.json", "short.json"], "short.json: not an explanation of the same input (it has 3 token(s), ex.json has 4); \(one)"),
            (["ex.json", "seq.json"], "seq.json: not an explanation of the same input (it has \(ids.count) token(s), ex.json has 4); \(one)"),
            (["seq.json", "ex.json"], "ex.json: not an explanation of the same input (it has 4 token(s), seq.json has \(ids.count)); \(one)"),
            (["seq.json", "rollout.json", "seq2.json"],
             "rollout.json: not an explanation of the same input (it has 4 token(s), seq.json has \(ids.count)); \(one)"),
            (["ex.json", "llama.json"],
             "llama.json: not an explanation of the same input (it explains a llama 2-layer, 4-head model, ex.json a gpt2 2-layer, 4-head); \(one)"),
            (["ex.json", "image.json"], "image.json: not a readable explain result (pages show text explanations; draw an image explanation as .png, .svg or .pdf)"),
            (["image.json", "ex.json"], "image.json: not a readable explain result (pages show text explanations; draw an image explanation as .png, .svg or .pdf)"),
            (["seq.json", "seq.json"], "seq.json: a second sequence explanation; a page shows one (\(path("seq.json")) is the other)"),
        ]
        for (files, expected) in refusals {
            var arguments = ["render", path(files[0])]
            for file in files.dropFirst() { arguments += ["--with", path(file)] }
            assertRefused(try runGlassbox(arguments + ["--out", path("w.html")]), folder.path + "/" + expected)
        }
        // seq2.json: another prompt of the same length: its token 2 differs.
        let differs = try runGlassbox(["render", path("seq.json"), "--with", path("seq2.json"), "--out", path("w.html")])
        XCTAssertEqual(differs.status, 1, differs.stderr)
        XCTAssertTrue(differs.stderr.contains("seq2.json: not an explanation of the same input (its token 2 is id 4"), differs.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("w.html")))

        let methods = try runGlassbox(["render", path("ex.json"), "--with", path("rollout.json"), "--out", path("m.html")])
        XCTAssertEqual(methods.status, 0, methods.stderr)
        XCTAssertEqual((try pageData(path("m.html"))["explanations"] as? [[String: Any]])?.compactMap { $0["method"] as? String },
                       ["attnlrp", "rollout"])
        for (first, second) in [("seq.json", "full.json"), ("full.json", "seq.json")] {
            let both = try runGlassbox(["render", path(first), "--with", path(second), "--out", path("b.html")])
            XCTAssertEqual(both.status, 0, both.stderr)
            let data = try pageData(path("b.html"))
            XCTAssertEqual((data["explanations"] as? [Any])?.count, 1)
            XCTAssertEqual(((data["sequence"] as? [String: Any])?["tokens"] as? [Any])?.count, ids.count)
        }
    }
}
