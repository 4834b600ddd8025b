import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The evaluation page and picture of a saved `evaluate` result: read by one reader, drawn with one
/// set of panels and colours.
final class EvaluationPageTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("evaluation") }

    /// Nine methods and the random ranking over three steps.
    private func result(morf: [Any] = [1.0, 0.5, 0.2]) -> [String: Any] {
        let names = (0..<9).map { "m\($0)" } + ["random"]
        return ["command": "evaluate", "model": ["name": "tiny"], "baseline": "zero", "steps": [0.0, 0.5, 1.0], "inputs": [[:], [:]],
                "methods": names.map { ["method": $0, "abpc": 0.25, "morf": morf, "lerf": [1.0, 0.9, 0.8]] as [String: Any] }]
    }

    private func save(_ object: [String: Any]) throws -> String {
        let url = folder.appendingPathComponent("\(UUID().uuidString).json")
        try JSONSerialization.data(withJSONObject: object).write(to: url)
        return url.path
    }

    /// As in the picture: a panel per method but the random ranking, in category10's colours in
    /// order skipping its grey (index 7), the random ranking's curves in grey #9e9e9e behind them.
    func testPagePanelsTakeThePictureColours() throws {
        let page = folder.appendingPathComponent("evaluation.html")
        let run = try runGlassbox(["render", try save(result()), "--out", page.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let state = try HeadlessChromium.dumpDOM(page, steps: "hover:curve:8:1").state()
        XCTAssertEqual(state["errors"] as? [String], [])
        let panels = try XCTUnwrap(state["panels"] as? [[String: String]])
        XCTAssertEqual(panels.map { $0["method"] }, (0..<9).map { "m\($0)" })
        XCTAssertEqual(panels.map { $0["colour"] }, [0, 1, 2, 3, 4, 5, 6, 8, 9].map { ColorTable.css(Palette.color($0)) })
        XCTAssertEqual(state["curves"] as? Int, 10, "every method in the metrics table")
        XCTAssertEqual((state["hovered"] as? [String: Any])?["method"] as? String, "m8")
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.contains(##""randomColour":"#9e9e9e""##))
    }

    /// A curve with a non-number is refused, naming its place, with the same line by the picture and the page.
    func testPictureAndPageReadTheResultAlike() throws {
        let path = try save(result(morf: [1.0, NSNull(), 0.2]))
        var lines: [String] = []
        for out in ["bad.png", "bad.html"] {
            let run = try runGlassbox(["render", path, "--out", folder.appendingPathComponent(out).path])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertEqual(run.stderrLines.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("methods[0].morf[1]: expected a number, got null"), run.stderr)
            lines.append(run.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent(out).path))
        }
        XCTAssertEqual(lines[0], lines[1])
    }

    /// `--color-scale` on a result other than explain: one check refuses it for a picture and a
    /// page alike (exit 2, the same line).
    func testColourScaleOptionsAreRefusedAlikeForPictureAndPage() throws {
        let path = try save(result())
        let runs = try ["r.png", "r.html"].map { try runGlassbox(["render", path, "--color-scale", "max", "--out", folder.appendingPathComponent($0).path]) }
        for run in runs {
            XCTAssertEqual(run.status, 2, run.stderr)
            XCTAssertTrue(run.stderr.contains("--color-scale applies to explain results (signed scores), not this evaluate result"), run.stderr)
        }
        XCTAssertEqual(runs[0].stderr, runs[1].stderr)
    }
}
