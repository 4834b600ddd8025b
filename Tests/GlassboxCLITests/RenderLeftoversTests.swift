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

    override func setUpWithError() throws { folder = try makeTemporaryFolder("renderfix") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs `arguments` with `--json` and saves what it printed as `name`.
    @discardableResult
    private func save(_ arguments: [String], as name: String) throws -> [String: Any] {
        let run = try runGlassbox(arguments + ["--model", model, "--json", "--out", path(name + ".png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        try Data(run.stdout.utf8).write(to: URL(fileURLWithPath: path(name)))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// The view data of a written page, as it is in the page.
    private func pageDataText(_ page: String) throws -> String {
        let html = try String(contentsOfFile: page, encoding: .utf8)
        let start = try XCTUnwrap(html.range(of: "<script type=\"application/json\" id=\"glassbox-data\">")).upperBound
        let end = try XCTUnwrap(html.range(of: "</script>", range: start..<html.endIndex)).lowerBound
        return String(html[start..<end])
    }

    /// The view data of a written page.
    private func pageData(_ page: String) throws -> [String: Any] {
        let json = try pageDataText(page).replacingOccurrences(of: "\\u003c", with: "<")
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

    /// A sequence record of `rows` generated tokens after a `prompt`-token prompt, its scores a
    /// fixed pattern of both signs (null where a source comes at or after its target).
    private func sequenceRecord(rows: Int, prompt: Int) -> SequenceExplanationRecord {
        let count = prompt + rows
        let tokens = (0..<count).map { SequenceExplanationRecord.Token(id: $0 % 128, text: "t\($0)", start: nil, end: nil, generated: $0 >= prompt) }
        let generated = (0..<rows).map { SequenceExplanationRecord.Generated(id: (prompt + $0) % 128, text: "t\(prompt + $0)", position: prompt + $0,
                                                                              prob: 0.5, entropy: 1) }
        let matrix: [[Double?]] = (0..<rows).map { r in
            (0..<count).map { c in c < prompt + r ? sin(Double(r * 31 + c * 17)) * Double(1 + (r + c) % 7) / 3 : nil }
        }
        return SequenceExplanationRecord(
            model: ExplanationRecord.ModelSummary(name: "tiny", path: "/tiny", architecture: "gpt2", layers: 2, heads: 2),
            method: "attnlrp", parameters: [:], unit: "token", generated: generated, tokens: tokens, matrix: matrix)
    }

    /// A small sequence record's page data is main's, byte for byte (every cell, no pooling); a record longer than 840 a side carries the picture's blocks, each the
    /// score of largest |score| in its block, with the colour limit of every cell, and says so on
    /// the page.
    func testALongSequencePageIsPooledAsThePictureAndSaysSo() throws {
        // The page data of sequence-small.json (6 × 9) as main wrote it before pages were pooled, byte for byte.
        let pictures = Fixtures.root.appendingPathComponent("Tests/Fixtures/pictures")
        let smallRun = try runGlassbox(["render", pictures.appendingPathComponent("sequence-small.json").path, "--out", path("small.html")])
        XCTAssertEqual(smallRun.status, 0, smallRun.stderr)
        XCTAssertEqual(try pageDataText(path("small.html")),
                       try String(contentsOf: pictures.appendingPathComponent("sequence-small-page-data.json"), encoding: .utf8))

        // 900 × 1,000: both sides over 840, so blocks of 2 × 2 (⌈1000 / 840⌉, square).
        let large = sequenceRecord(rows: 900, prompt: 100)
        try large.jsonData().write(to: URL(fileURLWithPath: path("large.json")))
        let largeRun = try runGlassbox(["render", path("large.json"), "--out", path("large.html")])
        XCTAssertEqual(largeRun.status, 0, largeRun.stderr)
        let view = try XCTUnwrap(try pageData(path("large.html"))["sequence"] as? [String: Any])
        let statement = "pooled by largest |score| in blocks of 2 × 2: 900 × 1000 cells shown as 450 × 500"
        XCTAssertEqual(view["pooled"] as? String, statement)
        XCTAssertEqual(view["cells"] as? [Int], [900, 1000])
        let matrix = try XCTUnwrap(view["matrix"] as? [[Any]])
        XCTAssertEqual(matrix.count, 450)
        XCTAssertEqual(Set(matrix.map(\.count)), [500])
        XCTAssertEqual((view["generated"] as? [[String: String]])?.first?["text"], "0–1 ‘t100’…")
        XCTAssertEqual((view["tokens"] as? [String])?.last, "998–999 ‘t998’…")
        for r in 0..<450 {
            for c in 0..<500 {
                let block = (2 * r..<2 * r + 2).flatMap { i in (2 * c..<2 * c + 2).compactMap { j in large.matrix[i][j].map(Float.init) } }
                let shown = (matrix[r][c] as? NSNumber).map { Float($0.doubleValue) }
                guard let expected = block.max(by: { abs($0) < abs($1) }) else {
                    XCTAssertNil(shown, "block \(r), \(c) has no score: null")
                    continue
                }
                XCTAssertEqual(abs(shown ?? .nan), abs(expected), "block \(r), \(c): its score of largest |score|")
                if abs(shown ?? .nan) == abs(expected), block.contains(shown!) == false {
                    XCTFail("block \(r), \(c): \(shown!) is not one of its scores")
                }
            }
        }
        let all = large.matrix.flatMap { $0.compactMap { $0.map(Float.init) } }
        XCTAssertEqual(try XCTUnwrap(view["limit"] as? Double), ScoreLimit.robust.limit(forFloat32: all), accuracy: 1e-9,
                       "the colour limit of every cell, as the picture's")
        let run = try HeadlessChromium.dumpDOM(URL(fileURLWithPath: path("large.html")), steps: "hover:cell:0:0")
        let state = try run.state()
        XCTAssertEqual(state["errors"] as? [String], [])
        XCTAssertEqual((state["matrix"] as? [String: Any])?["pooled"] as? String, statement)
        XCTAssertTrue(run.dom.contains("<p class=\"summary\" id=\"pooled\">Cells \(statement).</p>"), "the page says it is pooled")
        XCTAssertTrue(run.dom.contains("Generated tokens × sources (900 × 1000)"), "the heading gives the record's size")
        let html = try String(contentsOfFile: path("large.html"), encoding: .utf8)
        XCTAssertLessThan(html.utf8.count, 4_000_000, "450 × 500 cells, not 900 × 1,000")
    }
}
