import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `--out FILE.html` end to end: each command's page opens in headless Chromium with no console
/// message and no request, and shows the values its `--json` prints (to the page's stated
/// precision); `render` builds the same pages from saved results; bad destinations fail cleanly.
final class HTMLPageCommandTests: XCTestCase {
    static let ids = "5,17,33,41,9,21,60,12"

    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("pages") }

    /// Runs glassbox writing `name`.html, asserts exit 0 and (with `named`) that stdout ends with
    /// `page: PATH`, and opens the page with `steps`.
    private func page(_ arguments: [String], _ name: String, steps: String, named: Bool = true,
                      file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let url = folder.appendingPathComponent(name + ".html")
        let output = try runGlassbox(arguments + ["--out", url.path])
        XCTAssertEqual(output.status, 0, output.stderr, file: file, line: line)
        if named { XCTAssertTrue(output.stdout.hasSuffix("page: \(url.path)\n"), output.stdout, file: file, line: line) }
        let html = try String(contentsOf: url, encoding: .utf8)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>"), file: file, line: line)
        let run = try HeadlessChromium.dumpDOM(url, steps: steps)
        XCTAssertEqual(run.consoleLines, [], "\(name): console messages", file: file, line: line)
        XCTAssertEqual(run.networkLines, [], "\(name): requests", file: file, line: line)
        let state = try run.state()
        XCTAssertEqual(state["errors"] as? [String], [], "\(name)", file: file, line: line)
        XCTAssertEqual(state["resources"] as? [String], [], "\(name)", file: file, line: line)
        return state
    }

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let out = folder.appendingPathComponent("\(UUID().uuidString).png")
        let output = try runGlassbox(arguments + ["--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
    }

    /// The enlarged head shows the weights `--json` prints (within the page's √-byte quantisation,
    /// ≤ 0.004); the neuron view's q·k/√d, softmaxed over the keys, gives the same weights — on GPT-2
    /// on a Llama with grouped-query attention and rotary embeddings, and on a BERT (full, not causal, maps).
    func testAttentionPageShowsTheModelsWeightsAndConsistentQueriesAndKeys() throws {
        for model in ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm"] {
            let base = ["attention", "--model", "Tests/Fixtures/models/\(model)", "--ids", Self.ids]
            let object = try json(base)
            let weights = try XCTUnwrap(object["attention"] as? [[[[Double]]]])
            let layers = try XCTUnwrap(object["layers"] as? [Int])
            let cell = try page(base, "attention-\(model)", steps: "tab:model;click:thumb:1:2;hover:cell:6:3")
            let hovered = try XCTUnwrap(cell["hovered"] as? [String: Any])
            XCTAssertEqual(try XCTUnwrap(hovered["value"] as? Double), weights[1][2][6][3], accuracy: 0.004, model)
            XCTAssertEqual(cell["thumbnails"] as? Int, layers.count * weights[0].count)

            let neuron = try page(base, "attention-neuron-\(model)", steps: "tab:neuron;select:neuron-head:1;select:neuron-query:7;click:nkey:2")
            let pair = try XCTUnwrap(neuron["neuron"] as? [String: Any])
            XCTAssertEqual(pair["layer"] as? Int, layers.last)
            let scores = try XCTUnwrap(pair["scores"] as? [Double])
            let shown = try XCTUnwrap(pair["weights"] as? [Double])
            XCTAssertEqual(scores.count, 8)
            let peak = scores.max()!
            let exps = scores.map { exp($0 - peak) }
            let softmax = exps.map { $0 / exps.reduce(0, +) }
            for (j, p) in softmax.enumerated() {
                XCTAssertEqual(p, weights[layers.count - 1][1][7][j], accuracy: 1e-4, "\(model) key \(j): softmax(q·k/√d)")
                XCTAssertEqual(shown[j], weights[layers.count - 1][1][7][j], accuracy: 0.004, "\(model) key \(j): page weight")
            }
        }
    }

    func testExplainPageAndRenderWithAMethodSwitch() throws {
        let base = ["explain", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", Self.ids]
        let object = try json(base)
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        let state = try page(base, "explain", steps: "hover:token:3")
        XCTAssertEqual(state["tokens"] as? Int, tokens.count)
        XCTAssertEqual(state["method"] as? String, "attnlrp")
        XCTAssertEqual(try XCTUnwrap((state["hovered"] as? [String: Any])?["score"] as? Double),
                       try XCTUnwrap(tokens[3]["score"] as? Double), accuracy: 1e-12)

        let first = folder.appendingPathComponent("attnlrp.json"), second = folder.appendingPathComponent("rollout.json")
        try JSONSerialization.data(withJSONObject: object).write(to: first)
        try JSONSerialization.data(withJSONObject: try json(base + ["--method", "rollout"])).write(to: second)
        let switched = try page(["render", first.path, "--with", second.path], "render-explain", steps: "select:method:1;hover:token:2")
        XCTAssertEqual(switched["method"] as? String, "rollout")

        let withoutPage = try runGlassbox(["render", first.path, "--with", second.path, "--out", folder.appendingPathComponent("x.png").path])
        XCTAssertEqual(withoutPage.status, 2)
        XCTAssertEqual(withoutPage.stderrLines.count, 1, withoutPage.stderr)
    }

    /// A sequence-attribution result (a `SequenceExplanationRecord`, `"matrix"` with nulls) renders
    /// as the targets × sources matrix; a ragged matrix is refused with the record's own check.
    func testRenderShowsTheGeneratedTokensMatrix() throws {
        let saved = folder.appendingPathComponent("sequence.json")
        let tokens = ["To", " be", " or", " not", " to"].enumerated().map {
            SequenceExplanationRecord.Token(id: $0.offset, text: $0.element, start: nil, end: nil, generated: $0.offset >= 3)
        }
        let generated = [SequenceExplanationRecord.Generated(id: 3, text: " not", position: 3, prob: 0.4, entropy: 1.2),
                         SequenceExplanationRecord.Generated(id: 4, text: " to", position: 4, prob: 0.5, entropy: 0.9)]
        var record = SequenceExplanationRecord(
            model: ExplanationRecord.ModelSummary(name: "tiny", path: "/tiny", architecture: "gpt2", layers: 2, heads: 2),
            method: "attnlrp", parameters: [:], unit: "token", generated: generated, tokens: tokens,
            matrix: [[0.5, -0.25, 0.125, nil, nil], [0.1, 0.2, -0.3, 0.4, nil]])
        try record.jsonData().write(to: saved)
        let state = try page(["render", saved.path], "sequence", steps: "hover:cell:1:2")
        XCTAssertEqual(state["matrix"] as? [String: Int], ["rows": 2, "columns": 5])
        XCTAssertEqual(state["tooltip"] as? String, "to × or: relevance -0.3000")
        let masked = try page(["render", saved.path], "sequence-masked", steps: "hover:cell:0:4")
        XCTAssertEqual(masked["tooltip"] as? String, "not × to: relevance —")

        record.matrix = [[0.5], [0.1]]
        try record.jsonData().write(to: saved)
        let bad = try runGlassbox(["render", saved.path, "--out", folder.appendingPathComponent("bad.html").path])
        XCTAssertEqual(bad.status, 1)
        XCTAssertEqual(bad.stderrLines.count, 1, bad.stderr)
        XCTAssertTrue(bad.stderr.contains("matrix row 0 has 1 values for 5 tokens"), bad.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad.html").path))
    }

    func testLensPatchAndEvaluatePagesFromCommandsAndRender() throws {
        let model = "Tests/Fixtures/models/gpt2-tiny"
        let lens = try page(["lens", "--model", model, "--ids", Self.ids], "lens", steps: "hover:cell:0:2")
        XCTAssertEqual(lens["cells"] as? Int, 3 * 8)
        let lensPage = folder.appendingPathComponent("lens-json.html")
        let lensJSON = try runGlassbox(["lens", "--model", model, "--ids", Self.ids, "--json", "--out", lensPage.path])
        XCTAssertEqual(lensJSON.status, 0, lensJSON.stderr)
        XCTAssertEqual(lensJSON.stderrLines, ["page: \(lensPage.path)"], "with --json the page is named on stderr")
        XCTAssertTrue((lens["tooltip"] as? String)?.hasPrefix("embed · position 2") == true, "\(lens)")

        let patchArguments = ["patch", "--model", model, "--clean-ids", Self.ids, "--corrupted-ids", "5,17,33,44,9,21,60,12",
                              "--answer-id", "7", "--wrong-id", "9"]
        let object = try json(patchArguments)
        let resid = try XCTUnwrap((object["results"] as? [[String: Any]])?.first?["values"] as? [[Double]])
        let patch = try page(patchArguments, "patch", steps: "hover:cell:0:1:3")
        XCTAssertEqual(try XCTUnwrap((patch["hovered"] as? [String: Any])?["value"] as? Double), resid[1][3], accuracy: 1e-6)
        let saved = folder.appendingPathComponent("patch.json")
        try JSONSerialization.data(withJSONObject: object).write(to: saved)
        let redrawn = try page(["render", saved.path], "patch-render", steps: "hover:cell:0:1:3")
        // The redrawn page shows the same cell: value, row and column (numbers of either kind).
        let (before, after) = (try XCTUnwrap(patch["hovered"] as? [String: Any]), try XCTUnwrap(redrawn["hovered"] as? [String: Any]))
        for key in ["value", "row", "column"] {
            XCTAssertEqual(try XCTUnwrap((after[key] as? NSNumber)?.doubleValue, key), try XCTUnwrap((before[key] as? NSNumber)?.doubleValue, key))
        }

        let prompts = folder.appendingPathComponent("prompts.jsonl")
        try Data("{\"ids\": [\(Self.ids)]}\n{\"ids\": [9, 21, 60, 12, 5]}\n".utf8).write(to: prompts)
        let evaluation = try page(["evaluate", "--model", model, "--prompts", prompts.path, "--methods", "attnlrp,rollout", "--steps", "4",
                                   "--random-seeds", "2"], "evaluate", steps: "hover:curve:0:1")
        XCTAssertEqual(evaluation["curves"] as? Int, 3)
    }

    func testBadDestinationsFailWithOneLineAndWriteNothing() throws {
        let missing = folder.appendingPathComponent("no-such-folder/page.html")
        let output = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", Self.ids, "--out", missing.path])
        XCTAssertEqual(output.status, 1)
        XCTAssertEqual(output.stderrLines.count, 1, output.stderr)
        let noPage = try runGlassbox(["project", "--model", "Tests/Fixtures/models/gpt2-tiny", "--layer", "0", "--neuron", "1",
                                      "--what", "ffn-value", "--out", folder.appendingPathComponent("p.html").path])
        XCTAssertEqual(noPage.status, 1)
        XCTAssertTrue(noPage.stderr.contains(".html pages come from explain, attention"), noPage.stderr)
        let bad = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", Self.ids, "--out",
                                   folder.appendingPathComponent("x.txt").path])
        XCTAssertEqual(bad.status, 1)                       // docs/cli.md: `--out` with an unknown extension
        XCTAssertTrue(bad.stderr.contains("or .html for an interactive page"), bad.stderr)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }
}
