import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox project --what ffn-key` on a gated MLP (llama-gqa): both keys, gate and up, in the
/// table (a section each) and in the picture (a panel each), from the command and from `render` of
/// its JSON alike; the JSON keeps its two `projections` entries.
final class GatedKeyProjectionTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("gated-keys") }

    private let arguments = ["project", "--model", "Tests/Fixtures/models/llama-gqa", "--layer", "0", "--neuron", "1", "--what", "ffn-key", "--top-k", "3"]

    /// The most separate vertical runs of the bars' red (`BarChart`'s positive fill, 0xD6604D) met
    /// by any one column of pixels: 1 for one chart, one per panel for stacked charts.
    private func barRunsPerColumn(_ url: URL) throws -> Int {
        let picture = try PNGPixels(url)
        var most = 0
        for x in 0..<picture.width {
            var runs = 0, inside = false
            for y in 0..<picture.height {
                let red = picture[x, y] == 0xFFD6_604D
                if red && !inside { runs += 1 }
                inside = red
            }
            most = max(most, runs)
        }
        return most
    }

    func testBothKeysAreInTheTableAndThePicture() throws {
        let keys = try ParameterProjection.ffnKeys(try TransformerModel.load(directory: Fixtures.model("llama-gqa")), layer: 0, neuron: 1, k: 3,
                                                   texts: nil)
        XCTAssertEqual(keys.map(\.kind), ["ffn-key", "ffn-key-up"])
        let picture = folder.appendingPathComponent("keys.png")
        let run = try runGlassbox(arguments + ["--out", picture.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "Layer 0, neuron 1: ffn-key (gate and up) in embedding space · llama-gqa")
        let gate = try XCTUnwrap(lines.firstIndex(of: "gate key (ffn-key):")), up = try XCTUnwrap(lines.firstIndex(of: "up key (ffn-key-up):"))
        XCTAssertEqual(up, gate + 4, "three gate tokens, then the up key's section")
        for (start, key) in [(gate, keys[0]), (up, keys[1])] {
            let scores = lines[(start + 1)...(start + 3)].map { Double($0.split(separator: " ").first!)! }
            XCTAssertEqual(scores.count, 3)
            for (shown, expected) in zip(scores, key.top.map(\.score)) { XCTAssertEqual(shown, Double(expected), accuracy: 5e-5, key.kind) }
        }
        XCTAssertEqual(try barRunsPerColumn(picture), 2, "a panel per key, the bars of one above the other's")

        // The JSON is as before (two projections, gate first), and `render` draws the same two panels.
        let json = try runGlassbox(arguments + ["--json", "--out", folder.appendingPathComponent("j.png").path])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let projections = try XCTUnwrap(object["projections"] as? [[String: Any]])
        XCTAssertEqual(projections.compactMap { $0["kind"] as? String }, ["ffn-key", "ffn-key-up"])
        XCTAssertEqual(Set(object.keys), ["command", "filter", "glassbox", "layer", "model", "neuron", "projections", "what"])
        let saved = folder.appendingPathComponent("keys.json"), redrawn = folder.appendingPathComponent("redrawn.png")
        try Data(json.stdout.utf8).write(to: saved)
        let render = try runGlassbox(["render", saved.path, "--out", redrawn.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertEqual(try Data(contentsOf: redrawn), try Data(contentsOf: picture), "render draws the command's picture")
    }

    /// A standard MLP's ffn-key (gpt2-odd: one key) keeps its one chart and its one unnamed section.
    func testAStandardKeyStaysOneChart() throws {
        let picture = folder.appendingPathComponent("one.png")
        let run = try runGlassbox(["project", "--model", "Tests/Fixtures/models/gpt2-odd", "--layer", "0", "--neuron", "5", "--what", "ffn-key",
                                   "--top-k", "3", "--out", picture.path])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(lines.first, "Layer 0, neuron 5: ffn-key in embedding space · gpt2-odd")
        XCTAssertEqual(lines.count, 5, "title, three tokens, picture line: \(lines)")
        XCTAssertEqual(try barRunsPerColumn(picture), 1)
    }
}
