import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Without `--model`, every command uses the bundled models — the Shakespeare GPT-2 for text, the
/// digits ViT for `--image` — found next to the executable (the resource bundle), not through the
/// working directory; `--model NAME` names them; a missing bundle is one clear line.
final class BundledDefaultTests: XCTestCase {
    private func json(_ output: CommandOutput) throws -> [String: Any] {
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
    }

    func testTextWithoutModelUsesTheShakespeareGPT2() throws {
        let prompt = "To be, or not to be, that is the"
        let record = try json(try runGlassbox(["explain", prompt, "--json"]))
        let model = try XCTUnwrap(record["model"] as? [String: Any])
        XCTAssertEqual(model["name"] as? String, "shakespeare-gpt2")
        XCTAssertEqual(model["architecture"] as? String, "gpt2")
        XCTAssertTrue((model["path"] as? String ?? "").hasSuffix("shakespeare-gpt2"))
        XCTAssertEqual(record["method"] as? String, "attnlrp")
        // Same scores as the library on the same bundled model.
        let context = try ModelContext.load()
        let expected = try Relevance.explain(context.model, try context.input(prompt)).tokens
        let scores = try XCTUnwrap(record["tokens"] as? [[String: Any]]).map { ($0["score"] as? Double) ?? .nan }
        XCTAssertEqual(scores.count, expected.count)
        for (a, b) in zip(scores, expected) { XCTAssertEqual(a, Double(b), accuracy: 1e-5) }
    }

    func testImageWithoutModelUsesTheDigitsViT() throws {
        let record = try json(try runGlassbox(["predict", "--image", "samples/digits/digit-7.png", "--json"]))
        let model = try XCTUnwrap(record["model"] as? [String: Any])
        XCTAssertEqual(model["name"] as? String, "digits-vit")
        let top = try XCTUnwrap(record["top"] as? [[String: Any]])
        XCTAssertEqual(top.first?["text"] as? String, "7")
    }

    func testBundledModelsByName() throws {
        let record = try json(try runGlassbox(["info", "--model", "digits-vit", "--json"]))
        let model = try XCTUnwrap(record["model"] as? [String: Any])
        XCTAssertEqual(model["architecture"] as? String, "vit")
    }

    func testMissingBundleIsOneLine() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["GLASSBOX_MODELS"] = "/nonexistent/glassbox-models"
        let output = try runGlassbox(["predict", "--ids", "1,2"], environment: environment)
        XCTAssertEqual(output.status, 1)
        XCTAssertEqual(output.stderrLines.count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("--model"), output.stderr)
        // The message names the variable and the folder it searched, not a missing build.
        XCTAssertTrue(output.stderr.contains("GLASSBOX_MODELS is set to '/nonexistent/glassbox-models'"), output.stderr)
        XCTAssertFalse(output.stderr.contains("not in this build"), output.stderr)
        let named = try runGlassbox(["info", "--model", "shakespeare-gpt2"], environment: environment)
        XCTAssertEqual(named.status, 1)
        XCTAssertEqual(named.stderrLines.count, 1, named.stderr)
        XCTAssertTrue(named.stderr.contains("shakespeare-gpt2"), named.stderr)
        XCTAssertTrue(named.stderr.contains("GLASSBOX_MODELS is set to '/nonexistent/glassbox-models', which holds no shakespeare-gpt2/config.json"), named.stderr)
    }
}
