import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox render` of sequence explanations: the matrix is read straight into float32
/// (`SequenceRecordScores.read`), a small record is drawn exactly as before that reader and the
/// pooling existed, and a malformed one is still refused with the ordinary decoder's message.
final class SequenceRenderTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("sequence-render") }

    private static let fixtures = Fixtures.root.appendingPathComponent("Tests/Fixtures/pictures")

    /// Premultiplied ARGB32 pixels of a PNG, with its size.
    private func pixels(_ url: URL) throws -> PNGPixels { try PNGPixels(url) }

    /// The heatmap and both strips of `sequence-small.json` (6 × 9, an outlier the robust scale
    /// clips, strips 1 and 4) equal, pixel for pixel, the pictures the previous `render` drew
    /// (`sequence-small*.png`, rendered by main at e6bc570 with the same fonts; the heatmap redrawn
    /// on branch figfix when it gained the scale legend under it and the ▲ on its clipped cell).
    func testASmallRecordIsDrawnExactlyAsBefore() throws {
        let out = folder.appendingPathComponent("small.png")
        let run = try runGlassbox(["render", Self.fixtures.appendingPathComponent("sequence-small.json").path, "--out", out.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        for suffix in ["", "-target-1", "-target-4"] {
            let drawn = try pixels(folder.appendingPathComponent("small\(suffix).png"))
            let before = try pixels(Self.fixtures.appendingPathComponent("sequence-small\(suffix).png"))
            XCTAssertEqual([drawn.width, drawn.height], [before.width, before.height], "small\(suffix).png size")
            let differing = zip(drawn.data, before.data).filter { $0 != $1 }.count
            XCTAssertEqual(differing, 0, "small\(suffix).png: \(differing) pixels differ from the picture drawn before")
        }
    }

    /// The reader gives the values the ordinary decoder gives, as float32, nulls as NaN, and the
    /// strip rows in double precision; the rest of the record decodes as usual.
    func testTheReaderMatchesTheDecoder() throws {
        let data = try Data(contentsOf: Self.fixtures.appendingPathComponent("sequence-small.json"))
        let full = try JSONDecoder().decode(SequenceExplanationRecord.self, from: data)
        let read = try XCTUnwrap(SequenceRecordScores.read(data), "the fast reader takes a well-formed record")
        XCTAssertEqual(read.record.tokens, full.tokens)
        XCTAssertEqual(read.record.generated, full.generated)
        XCTAssertEqual(read.record.strips, [1, 4])
        XCTAssertEqual([read.scores.rows, read.scores.columns], [6, 9])
        let expected = full.matrix.flatMap { $0.map { Float($0 ?? .nan) } }
        XCTAssertEqual(read.scores.values.map(\.bitPattern), expected.map(\.bitPattern))
        XCTAssertEqual(try read.strip(4).scores, try full.strip(4).scores)

        // Number forms, each as Foundation's decoder reads them (narrowed to float32).
        let numbers = ["0", "-0", "1", "-2.5", "0.1", "1e-7", "1.25E+3", "123456789012345678", "0.30000000000000004",
                       "2.2250738585072014e-308", "4.9e-324", "3.4028235e38", "-3.4028235e38", "0.000001234567"]
        let record = "{\"command\": \"explain\", \"matrix\": [[\(numbers.joined(separator: ", "))]], \"generated\": []}"
        let range = try XCTUnwrap(NumericArrayProbe.values(Data(record.utf8)))
        XCTAssertEqual(range.map(\.bitPattern), numbers.map { Float(Double($0)!).bitPattern })
        // A number beyond float32's range (∞ once narrowed) is left to the ordinary reader, which names it.
        for beyond in ["3.5e38", "-1.7976931348623157e308"] {
            XCTAssertNil(NumericArrayProbe.values(Data("{\"matrix\": [[1, \(beyond)]]}".utf8)), beyond)
        }
    }

    /// Malformed matrices fall back to the ordinary decoder, whose messages the tests pin.
    func testMalformedMatricesKeepTheirMessages() throws {
        let source = try String(contentsOf: Self.fixtures.appendingPathComponent("sequence-small.json"), encoding: .utf8)
        let record = try JSONDecoder().decode(SequenceExplanationRecord.self, from: Data(source.utf8))
        let cases: [(String, (inout SequenceExplanationRecord) -> Void, String)] = [
            ("ragged", { $0.matrix[0] = [0.5] }, "matrix row 0 has 1 values for 9 tokens"),
            ("rows", { $0.matrix.removeLast() }, "5 matrix rows for 6 generated tokens"),
            ("strip", { $0.strips = [9] }, "strip 9 outside 0..<6"),
        ]
        for (name, change, message) in cases {
            var changed = record
            change(&changed)
            let saved = folder.appendingPathComponent("\(name).json"), out = folder.appendingPathComponent("\(name).png")
            try changed.jsonData().write(to: saved)
            XCTAssertNil(SequenceRecordScores.read(try Data(contentsOf: saved)), name)
            let run = try runGlassbox(["render", saved.path, "--out", out.path])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("not a readable sequence explanation") && run.stderr.contains(message), "\(name): \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
        let text = source.replacingOccurrences(of: "3.5,", with: "\"3.5\",")
        XCTAssertNotEqual(text, source)
        let saved = folder.appendingPathComponent("text.json")
        try text.write(to: saved, atomically: true, encoding: .utf8)
        XCTAssertNil(SequenceRecordScores.read(Data(text.utf8)))
        let run = try runGlassbox(["render", saved.path, "--out", folder.appendingPathComponent("text.png").path])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("not a readable sequence explanation"), run.stderr)
    }

    /// A record larger than the drawn resolution is pooled: the picture is small, a hot cell's
    /// block is drawn at full colour, and the notes say the cells were pooled.
    func testALargeRecordIsPooledAndSaysSo() throws {
        let n = 900, prompt = 2
        let tokens = (0..<(prompt + n)).map { SequenceExplanationRecord.Token(id: $0, text: " t\($0)", start: nil, end: nil, generated: $0 >= prompt) }
        let generated = (0..<n).map { SequenceExplanationRecord.Generated(id: prompt + $0, text: " t\(prompt + $0)", position: prompt + $0, prob: 0.5, entropy: 1) }
        var matrix = (0..<n).map { i in (0..<(prompt + n)).map { j -> Double? in j < prompt + i ? 0 : nil } }
        matrix[600][301] = 1
        let record = SequenceExplanationRecord(model: .init(name: "tiny", path: "/tiny", architecture: "gpt2", layers: 2, heads: 2),
                                               method: "attnlrp", parameters: [:], unit: "token", generated: generated, tokens: tokens, matrix: matrix)
        let read = try XCTUnwrap(SequenceRecordScores.read(try record.jsonData()))
        let heatmap = read.heatmap(scoreLimit: .maxAbs)
        XCTAssertEqual(heatmap.blocks.rows, 2)
        XCTAssertEqual(heatmap.blocks.columns, 2)
        let out = folder.appendingPathComponent("large.png")
        let report = try heatmap.render(to: out)
        XCTAssertTrue(report.notes.contains("cells pooled by largest |score| in blocks of 2 × 2: 900 × 902 cells drawn as 450 × 451"), "\(report.notes)")
        let grid = try XCTUnwrap(report.regions[.plot])
        let picture = try pixels(out)
        XCTAssertLessThan(picture.width, 1_400, "drawn at the pooled resolution, not 2 pixels per one of 902 columns")
        // Pooled cell (300, 150) holds the hot cell (600, 301); its neighbours are 0 (white).
        let cell = grid.width / 451
        func pixel(_ row: Int, _ column: Int) -> UInt32 {
            let x = Int(((grid.x + (Double(column) + 0.5) * cell) * 2).rounded(.down)), y = Int(((grid.y + (Double(row) + 0.5) * cell) * 2).rounded(.down))
            return picture.data[y * picture.width + x]
        }
        let hot = heatmap.colorScale.color(1).bytes, white = heatmap.colorScale.color(0).bytes
        func rgb(_ p: UInt32) -> [Int] { [Int(p >> 16 & 0xFF), Int(p >> 8 & 0xFF), Int(p & 0xFF)] }
        XCTAssertEqual(rgb(pixel(300, 150)), [Int(hot.r), Int(hot.g), Int(hot.b)], "the hot cell's block")
        for (r, c) in [(299, 150), (301, 150), (300, 149), (300, 151)] {
            XCTAssertEqual(rgb(pixel(r, c)), [Int(white.r), Int(white.g), Int(white.b)], "block (\(r), \(c))")
        }
        // And through the command: the same picture, with the pooling stated in the title.
        try record.jsonData().write(to: folder.appendingPathComponent("large.json"))
        let run = try runGlassbox(["render", folder.appendingPathComponent("large.json").path, "--out", folder.appendingPathComponent("cli.png").path,
                                   "--color-scale", "max"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let cli = try pixels(folder.appendingPathComponent("cli.png"))
        XCTAssertEqual(cli.data, picture.data, "render draws the heatmap the library draws")
    }
}

extension SequenceRenderTests {
    /// An attention result's weights are read straight into float32: `render` draws the picture
    /// the command drew, refuses malformed weights with the messages of the dictionary reader, and
    /// checks memory at the float32 reader's own rate.
    func testAnAttentionResultIsReadAsFloatsAndDrawnAsTheCommandDrew() throws {
        let model = "Tests/Fixtures/models/gpt2-tiny", ids = "1,2,3,4,5,6,7"
        for (name, view) in [("grid", [String]()), ("matrix", ["--layer", "1", "--head", "2"])] {
            let drawn = folder.appendingPathComponent("\(name).png"), saved = folder.appendingPathComponent("\(name).json")
            let made = try runGlassbox(["attention", "--model", model, "--ids", ids, "--json", "--out", drawn.path] + view)
            XCTAssertEqual(made.status, 0, made.stderr)
            try Data(made.stdout.utf8).write(to: saved)
            let redrawn = folder.appendingPathComponent("\(name)-render.png")
            let run = try runGlassbox(["render", saved.path, "--out", redrawn.path])
            XCTAssertEqual(run.status, 0, run.stderr)
            XCTAssertEqual(try pixels(redrawn).data, try pixels(drawn).data, "\(name): render draws what attention drew")
        }
        let saved = folder.appendingPathComponent("grid.json")
        let result = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: saved)) as? [String: Any])
        let weights = try XCTUnwrap(result["attention"] as? [[[[Double]]]])
        let cases: [(String, Any, String)] = [
            ("layers", Array(weights.prefix(1)), "'attention' must hold one entry per layer"),
            ("ragged", [weights[0], weights[1].map { Array($0.prefix(3)) + [Array($0[3].prefix(2))] + Array($0.dropFirst(4)) }],
             "'attention layer 1' values are ragged"),
            ("positions", weights.map { $0.map { Array($0.prefix(6)) } }, "attention of layer 0 has shape [4, 6, 7], expected [4, 7, 7]"),
        ]
        for (name, value, message) in cases {
            var changed = result
            changed["attention"] = value
            let file = folder.appendingPathComponent("bad-\(name).json"), out = folder.appendingPathComponent("bad-\(name).png")
            try JSONSerialization.data(withJSONObject: changed).write(to: file)
            let run = try runGlassbox(["render", file.path, "--out", out.path])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains(message), "\(name): \(run.stderr)")
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
        let size = try Data(contentsOf: saved).count
        var environment = ProcessInfo.processInfo.environment
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "\(size)"
        let refused = try runGlassbox(["render", saved.path, "--out", folder.appendingPathComponent("r.png").path], environment: environment)
        XCTAssertEqual(refused.status, 1, refused.stderr)
        XCTAssertTrue(refused.stderr.contains("reading this") && refused.stderr.contains("about 2 bytes per byte of file"), refused.stderr)
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "\(size * 3)"
        let fits = try runGlassbox(["render", saved.path, "--out", folder.appendingPathComponent("r.png").path], environment: environment)
        XCTAssertEqual(fits.status, 0, fits.stderr)
    }
}

/// The fast reader's values for the first row of a `"matrix"` key, through the public reader.
private enum NumericArrayProbe {
    static func values(_ data: Data) -> [Float]? {
        // A record around the row: one generated token at position 0 of as many tokens as values.
        guard let text = String(data: data, encoding: .utf8), let start = text.range(of: "[["), let end = text.range(of: "]]") else { return nil }
        let row = text[start.upperBound..<end.lowerBound]
        let count = row.split(separator: ",").count
        let tokens = (0..<count).map { "{\"id\": \($0), \"text\": \"t\", \"generated\": false}" }.joined(separator: ", ")
        let record = """
        {"glassbox": "0", "command": "explain", "model": {"name": "m", "path": "/m", "architecture": "gpt2", "layers": 1, "heads": 1},
         "method": "attnlrp", "parameters": {}, "unit": "token", "strips": [],
         "generated": [{"id": 0, "text": "t", "position": 0, "prob": 0.5, "entropy": 1}],
         "tokens": [\(tokens)], "matrix": [[\(row)]]}
        """
        return SequenceRecordScores.read(Data(record.utf8))?.scores.values
    }
}
