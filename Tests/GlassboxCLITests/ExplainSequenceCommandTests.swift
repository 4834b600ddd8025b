import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox explain --generate / --continuation` end to end through the built executable: the
/// `--json` shape (generated, tokens, matrix with nulls after each target), greedy ids equal to
/// `transformers`' generate, rows equal to the library, `render` redrawing the heatmap, and one-line
/// errors with the right exit codes.
final class ExplainSequenceCommandTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("sequence") }

    func testGenerateJSONShapeGreedyIdsAndRows() throws {
        for name in ["gpt2-tiny", "llama-gqa"] {
            let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/generation/\(name).json")
            let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
            let prompt = try XCTUnwrap(reference["prompt_ids"] as? [Int])
            let expected = Array(try XCTUnwrap(reference["output_ids"] as? [Int]).prefix(5))
            let picture = folder.appendingPathComponent("\(name).png")
            let object = try jsonObject(try runGlassbox(["explain", "--model", "Tests/Fixtures/models/\(name)", "--ids",
                                                         prompt.map(String.init).joined(separator: ","), "--generate", "\(expected.count)",
                                                         "--method", "grad-input", "--json", "--out", picture.path]))
            XCTAssertEqual(object["command"] as? String, "explain")
            XCTAssertEqual(object["method"] as? String, "grad-input")
            let generated = try XCTUnwrap(object["generated"] as? [[String: Any]])
            XCTAssertEqual(generated.compactMap { $0["id"] as? Int }, expected, "\(name): greedy ids equal transformers' generate")
            for key in ["id", "text", "position", "prob", "entropy"] {
                XCTAssertTrue(generated.allSatisfy { $0[key] != nil }, "\(name): every generated entry has \(key)")
            }
            let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
            XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, prompt + expected)
            let matrix = try XCTUnwrap(object["matrix"] as? [[Any]])
            XCTAssertEqual(matrix.count, expected.count)
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let library = try SequenceAttribution.explain(model, ids: prompt + expected, promptLength: prompt.count,
                                                          options: SequenceOptions(method: .relevance(.gradientTimesInput)))
            for (i, row) in matrix.enumerated() {
                let position = try XCTUnwrap(generated[i]["position"] as? Int)
                XCTAssertEqual(position, prompt.count + i)
                XCTAssertEqual(row.count, tokens.count)
                for (j, cell) in row.enumerated() {
                    if j >= position {
                        XCTAssertTrue(cell is NSNull, "\(name) row \(i) column \(j): a source at or after the target is null")
                    } else {
                        let value = try XCTUnwrap(cell as? Double, "\(name) row \(i) column \(j)")
                        XCTAssertEqual(value, Double(library.matrix[i][j]!), accuracy: 1e-6)
                    }
                }
            }
            let data = try Data(contentsOf: picture)
            XCTAssertEqual(data.prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
        }
    }

    func testContinuationWordsStripsAndRender() throws {
        let prompt = "The cat sat on the", continuation = " mat. It was warm"
        let picture = folder.appendingPathComponent("words.png")
        let output = try runGlassbox(["explain", prompt, "--continuation", continuation, "--words", "--targets", "0,2",
                                      "--json", "--out", picture.path])
        let object = try jsonObject(output)
        XCTAssertEqual(object["unit"] as? String, "word")
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["text"] as? String }, ["The", "cat", "sat", "on", "the", "mat.", "It", "was", "warm"])
        let generated = try XCTUnwrap(object["generated"] as? [[String: Any]])
        XCTAssertEqual(generated.compactMap { $0["text"] as? String }, ["mat.", "It", "was", "warm"])
        let parameters = try XCTUnwrap(object["parameters"] as? [String: String])
        XCTAssertEqual(parameters["mode"], "forced")
        XCTAssertNotNil(parameters["boundary"])
        for index in [0, 2] {
            XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("words-target-\(index).png").path))
        }

        // render redraws the heatmap pixel for pixel; another method's result gives other pixels.
        let saved = folder.appendingPathComponent("words.json")
        try Data(output.stdout.utf8).write(to: saved)
        let redrawn = folder.appendingPathComponent("redrawn.png")
        let render = try runGlassbox(["render", saved.path, "--out", redrawn.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertEqual(try RGBImage.readPNG(redrawn).pixels, try RGBImage.readPNG(picture).pixels)
        XCTAssertTrue(FileManager.default.fileExists(atPath: folder.appendingPathComponent("redrawn-target-2.png").path))
        let other = try runGlassbox(["explain", prompt, "--continuation", continuation, "--words", "--method", "rollout",
                                     "--json", "--out", folder.appendingPathComponent("rollout.png").path])
        let otherSaved = folder.appendingPathComponent("rollout.json")
        try Data(other.stdout.utf8).write(to: otherSaved)
        let otherPicture = folder.appendingPathComponent("rollout-redrawn.png")
        XCTAssertEqual(try runGlassbox(["render", otherSaved.path, "--out", otherPicture.path]).status, 0)
        XCTAssertNotEqual(try RGBImage.readPNG(otherPicture).pixels, try RGBImage.readPNG(picture).pixels)

        // A broken record is a one-line error, not a crash.
        var broken = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        broken["matrix"] = [[1.0]]
        let bad = folder.appendingPathComponent("bad.json")
        try JSONSerialization.data(withJSONObject: broken).write(to: bad)
        let failed = try runGlassbox(["render", bad.path, "--out", folder.appendingPathComponent("bad.png").path])
        XCTAssertEqual(failed.status, 1, failed.stderr)
        XCTAssertEqual(failed.stderrLines.count, 1, failed.stderr)
    }

    func testPageWithOutHTML() throws {
        let page = folder.appendingPathComponent("sequence.html")
        let output = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "5,6,7", "--generate", "3",
                                      "--targets", "1", "--out", page.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let html = try String(contentsOf: page, encoding: .utf8)
        XCTAssertTrue(html.lowercased().hasPrefix("<!doctype html"), String(html.prefix(80)))
        XCTAssertTrue(html.contains("\"sequence\""), "the page carries the generated-tokens matrix")
        let strip = folder.appendingPathComponent("sequence-target-1.png")
        XCTAssertTrue(FileManager.default.fileExists(atPath: strip.path), "strips beside a page are pictures")
        let lines = output.stdout.split(separator: "\n").map(String.init)
        XCTAssertEqual(Array(lines.suffix(2)), ["page: \(page.path)", "strip picture: \(strip.path)"], output.stdout)

        let json = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "5,6,7", "--generate", "3",
                                    "--json", "--out", page.path])
        XCTAssertEqual(json.status, 0, json.stderr)
        XCTAssertNotNil(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        XCTAssertTrue(json.stderrLines.contains("page: \(page.path)"), json.stderr)
    }

    /// `--generate N` past the context window stops where the explained sequence fills it (a note
    /// says so) instead of failing after generating; a prompt that fills it is refused up front.
    func testGenerationStopsAtTheContextWindow() throws {
        let model = "Tests/Fixtures/models/gpt2-tiny"      // n_positions 32
        let output = try runGlassbox(["explain", "--model", model, "--ids", "5,6,7", "--generate", "300", "--method", "grad-input",
                                      "--json", "--out", folder.appendingPathComponent("c.png").path])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stderr.contains("note: --generate 300 stops after 29 new tokens: the prompt has 3 of the model's 32 positions"), output.stderr)
        let record = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertLessThanOrEqual(try XCTUnwrap(record["generated"] as? [Any]).count, 29)
        let full = try runGlassbox(["explain", "--model", model, "--ids", (0..<32).map { String($0 % 50 + 5) }.joined(separator: ","),
                                    "--generate", "1", "--out", folder.appendingPathComponent("d.png").path])
        XCTAssertEqual(full.status, 1, full.stderr)
        XCTAssertEqual(full.stderrLines, ["glassbox: error: the prompt has 32 tokens and the model's context window is 32: an explained sequence holds at most 32 tokens, so there is no room for --generate; shorten the prompt"])
    }

    func testTableAndContrast() throws {
        let output = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "5,6,7", "--generate", "3",
                                      "--contrast-id", "9", "--out", folder.appendingPathComponent("t.png").path])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertTrue(output.stdout.contains("explaining 3 generated tokens with attnlrp"), output.stdout)
        XCTAssertTrue(output.stdout.contains("Δlogit"), output.stdout)
        XCTAssertEqual(output.stdout.split(separator: "\n").count, 3 + 2 + 1, output.stdout)
    }

    func testMistakesAreOneLineErrors() throws {
        let tiny = "Tests/Fixtures/models/gpt2-tiny"
        let usage: [[String]] = [
            ["--generate", "0"], ["--generate", "2", "--position", "1"], ["--generate", "2", "--continuation", "x"],
            ["--generate", "2", "--method", "flow"], ["--targets", "0"], ["--sentences"], ["--generate", "2", "--targets", "x"],
            ["--continuation", " more"], ["--generate", "2", "--words"], ["--generate", "2", "--targets", "7"],
            ["--generate", "2", "--heads"], ["--generate", "2", "--factor", "0.2"], ["--generate", "2", "--method", "atman", "--discard-ratio", "0.1"],
        ]
        for extra in usage {
            let out = try runGlassbox(["explain", "--model", tiny, "--ids", "5,6,7"] + extra + ["--out", folder.appendingPathComponent("x.png").path])
            XCTAssertEqual(out.status, 2, "\(extra): \(out.stderr)")
            XCTAssertEqual(out.stderrLines.count, 1, "\(extra): \(out.stderr)")
        }
        let flow = try runGlassbox(["explain", "--model", tiny, "--ids", "5,6,7", "--generate", "2", "--method", "flow"])
        XCTAssertTrue(flow.stderr.contains("attnlrp, cp-lrp, grad-input, atman, rollout"), flow.stderr)
        let encoder = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/bert-tiny-mlm", "--ids", "1,2,3", "--generate", "2",
                                       "--out", folder.appendingPathComponent("e.png").path])
        XCTAssertEqual(encoder.status, 1, encoder.stderr)
        XCTAssertEqual(encoder.stderrLines.count, 1, encoder.stderr)
        XCTAssertTrue(encoder.stderr.contains("causal language model"), encoder.stderr)
    }
}
