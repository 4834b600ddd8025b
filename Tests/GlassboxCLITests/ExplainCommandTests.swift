import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox explain`, `attention` and `render` end to end through the built executable.
final class ExplainCommandTests: XCTestCase {
    let odd = "Tests/Fixtures/models/gpt2-odd"
    let ids = [5, 8, 13, 21, 34, 55, 89]
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("explain") }

    private func object(_ output: CommandOutput) throws -> [String: Any] {
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any], output.stdout)
    }

    private func isPNG(_ url: URL) -> Bool {
        (try? Data(contentsOf: url).prefix(8)) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A])
    }

    func testRolloutExplanationMatchesTheLibraryAndRedraws() throws {
        let picture = folder.appendingPathComponent("rollout.png")
        let json = try object(try runGlassbox(["explain", "--model", odd, "--ids", ids.map(String.init).joined(separator: ","),
                                               "--method", "rollout", "--json", "--out", picture.path]))
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let expected = try AttentionRollout.explain(model, .tokens(ids, types: nil), position: ids.count - 1)
        let tokens = try XCTUnwrap(json["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, ids)
        for (token, score) in zip(tokens, expected.scores) {
            XCTAssertEqual(try XCTUnwrap(token["score"] as? Double), Double(score), accuracy: 1e-6)
        }
        // The target is the top prediction at the last position.
        let logits = try XCTUnwrap(try model.forward(ids).logits).row(ids.count - 1).storage
        let target = try XCTUnwrap(json["target"] as? [String: Any])
        XCTAssertEqual(target["id"] as? Int, logits.indices.max { logits[$0] < logits[$1] })
        XCTAssertEqual(target["position"] as? Int, ids.count - 1)
        XCTAssertEqual(json["method"] as? String, "rollout")
        XCTAssertTrue(isPNG(picture))

        // render redraws it from the JSON alone.
        let saved = folder.appendingPathComponent("result.json")
        try Data(try JSONSerialization.data(withJSONObject: json)).write(to: saved)
        let redrawn = folder.appendingPathComponent("redrawn.svg")
        let render = try runGlassbox(["render", saved.path, "--out", redrawn.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertTrue(try String(contentsOf: redrawn, encoding: .utf8).contains("<svg"))
    }

    func testExplainTextTableAndTargetChoice() throws {
        let output = try runGlassbox(["explain", "--model", odd, "--ids", "5,8,13", "--method", "attention",
                                      "--target-id", "7", "--out", folder.appendingPathComponent("a.png").path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let lines = output.stdout.split(separator: "\n")
        XCTAssertTrue(lines[0].contains("(id 7"), output.stdout)
        XCTAssertEqual(lines.filter { $0.hasPrefix("    ") }.count, 3, output.stdout)
        XCTAssertTrue(output.stdout.contains("picture: "), output.stdout)
    }

    func testFlowRefusesLongInputsWithASuggestion() throws {
        let long = (0..<200).map { String($0 % 120) }.joined(separator: ",")
        let output = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-long", "--ids", long, "--method", "flow",
                                      "--out", folder.appendingPathComponent("f.png").path])
        XCTAssertEqual(output.status, 1)
        XCTAssertEqual(output.stderrLines.count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("--method rollout"), output.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: folder.appendingPathComponent("f.png").path))
    }

    func testAttentionJSONHasEveryRequestedHead() throws {
        let json = try object(try runGlassbox(["attention", "--model", odd, "--ids", "5,8,13,21", "--head", "0", "--head", "2",
                                               "--json", "--out", folder.appendingPathComponent("g.png").path]))
        XCTAssertEqual(json["layers"] as? [Int], [0, 1, 2])
        XCTAssertEqual(json["heads"] as? [Int], [0, 2])
        let attention = try XCTUnwrap(json["attention"] as? [[[[Double]]]])
        XCTAssertEqual([attention.count, attention[0].count, attention[0][0].count, attention[0][0][0].count], [3, 2, 4, 4])
        for layer in attention { for head in layer { for (i, row) in head.enumerated() {
            XCTAssertEqual(row.reduce(0, +), 1, accuracy: 1e-5)
            for j in (i + 1)..<row.count { XCTAssertEqual(row[j], 0) }
        } } }
        XCTAssertTrue(isPNG(folder.appendingPathComponent("g.png")))
    }

    func testRenderRejectsOtherFiles() throws {
        let bogus = folder.appendingPathComponent("bogus.json")
        try Data(#"{"hello": 1}"#.utf8).write(to: bogus)
        let output = try runGlassbox(["render", bogus.path])
        XCTAssertEqual(output.status, 1)
        XCTAssertTrue(output.stderr.contains("not a glassbox result"), output.stderr)
    }

    func testAtManExplanationMatchesTheLibrary() throws {
        let ids = [1, 2, 3, 4, 5, 6]
        let json = try object(try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-copy", "--ids",
                                               ids.map(String.init).joined(separator: ","), "--method", "atman",
                                               "--factor", "0.2", "--json", "--out", folder.appendingPathComponent("a.png").path]))
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-copy"))
        let target = try XCTUnwrap((json["target"] as? [String: Any])?["id"] as? Int)
        var options = AtMan.Options()
        options.factor = 0.2
        let expected = try AtMan.explain(model, .tokens(ids, types: nil), target: .token(id: target, position: ids.count - 1),
                                         options: options)
        let scores = try XCTUnwrap(json["tokens"] as? [[String: Any]]).compactMap { $0["score"] as? Double }
        XCTAssertEqual(scores.count, ids.count)
        for (a, b) in zip(scores, expected.scores.scores) { XCTAssertEqual(a, Double(b), accuracy: 1e-6) }
        XCTAssertEqual(json["method"] as? String, "atman")
        XCTAssertEqual((json["parameters"] as? [String: String])?.isEmpty, false)
    }
}

/// Vision models and prompts through the shared input options.
final class ExplainInputTests: XCTestCase {
    func testViTPredictAndExplainAnImage() throws {
        let image = "Tests/Fixtures/images/rgb8-100x33.png"
        let predict = try runGlassbox(["predict", "--model", "Tests/Fixtures/models/vit-tiny", "--image", image, "--json"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(predict.stdout.utf8)) as? [String: Any])
        let top = try XCTUnwrap(object["top"] as? [[String: Any]])
        // The same logits as the library on the preprocessed image.
        let model = try TransformerModel.load(directory: Fixtures.model("vit-tiny"))
        let pixels = try ImagePreprocessor.load(directory: Fixtures.model("vit-tiny"))
            .pixelValues(try RGBImage.readPNG(Fixtures.root.appendingPathComponent(image)))
        let logits = try XCTUnwrap(try model.forward(.pixels(pixels)).logits).storage
        XCTAssertEqual(top.first?["id"] as? Int, logits.indices.max { logits[$0] < logits[$1] })
        XCTAssertTrue(["zero", "one", "two", "three", "four"].contains(top.first?["text"] as? String ?? ""))

        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-vit-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let explain = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/vit-tiny", "--image", image,
                                       "--method", "rollout", "--json", "--out", out.path])
        XCTAssertEqual(explain.status, 0, explain.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(explain.stdout.utf8)) as? [String: Any])
        let patches = try XCTUnwrap((record["extra"] as? [String: Any])?["patches"] as? [[Double]])
        XCTAssertEqual([patches.count, patches[0].count], [4, 4])
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))

        let noImage = try runGlassbox(["predict", "--model", "Tests/Fixtures/models/vit-tiny", "--ids", "1,2"])
        XCTAssertEqual(noImage.status, 1)
        XCTAssertTrue(noImage.stderr.contains("--image"), noImage.stderr)
    }

    func testPromptExplanationsAggregatePerWord() throws {
        let model = "Tests/Fixtures/tokenizers/models/gpt2-tiny-bpe128"
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-words-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let tokens = try runGlassbox(["explain", "--model", model, "--prompt", "to be or not to be", "--method", "rollout",
                                      "--json", "--out", out.path])
        let words = try runGlassbox(["explain", "--model", model, "--prompt", "to be or not to be", "--method", "rollout",
                                     "--words", "--json", "--out", out.path])
        XCTAssertEqual(tokens.status, 0, tokens.stderr)
        XCTAssertEqual(words.status, 0, words.stderr)
        let perToken = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(tokens.stdout.utf8)) as? [String: Any])?["tokens"] as? [[String: Any]])
        let perWord = try XCTUnwrap((try JSONSerialization.jsonObject(with: Data(words.stdout.utf8)) as? [String: Any])?["tokens"] as? [[String: Any]])
        XCTAssertEqual(perWord.compactMap { $0["text"] as? String }, ["to", "be", "or", "not", "to", "be"])
        // Word scores are sums of their tokens' scores (whitespace-only tokens belong to no word);
        // offsets are bytes into the prompt.
        let inWords = perToken.filter { !(($0["text"] as? String) ?? "").trimmingCharacters(in: .whitespaces).isEmpty }
        XCTAssertEqual(perWord.compactMap { $0["score"] as? Double }.reduce(0, +),
                       inWords.compactMap { $0["score"] as? Double }.reduce(0, +), accuracy: 1e-6)
        XCTAssertEqual(perWord[3]["start"] as? Int, 9)
        XCTAssertEqual(perWord[3]["end"] as? Int, 12)
        // A prompt of whitespace only has no words: an error naming the option, not an empty table.
        for (extra, option) in [(["--words"], "--words"), (["--method", "atman", "--granularity", "word"], "--granularity word")] {
            let blank = try runGlassbox(["explain", "--model", model, "--prompt", "   ", "--out", out.path] + extra)
            XCTAssertEqual(blank.status, 1, blank.stderr)
            XCTAssertEqual(blank.stderrLines, ["glassbox: error: the prompt has no words (only whitespace), so \(option) has nothing to group; explain its tokens instead (leave \(option) out)"])
        }
    }
}

/// The gradient methods through the CLI equal the library.
final class ExplainRelevanceTests: XCTestCase {
    func testAttnLRPIsTheDefaultAndMatchesTheLibrary() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-lrp-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let ids = [5, 8, 13, 21, 34]
        let output = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-odd", "--ids",
                                      ids.map(String.init).joined(separator: ","), "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let json = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(json["method"] as? String, "attnlrp")
        let target = try XCTUnwrap((json["target"] as? [String: Any])?["id"] as? Int)
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let expected = try Relevance.explain(model, .tokens(ids, types: nil), target: .token(target, position: ids.count - 1))
        let scores = try XCTUnwrap(json["tokens"] as? [[String: Any]]).compactMap { $0["score"] as? Double }
        for (a, b) in zip(scores, expected.tokens) { XCTAssertEqual(a, Double(b), accuracy: 1e-6) }
        XCTAssertEqual(((json["extra"] as? [String: Any])?["heads"] as? [[Double]])?.count, 3)
    }
}
