import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The CLI on the Gemma 3 multimodal fixtures (`gemma3-mm`, the hub's weight names, and
/// layouts/gemma3-mm-renamed, the modules' own): `predict` gives transformers' logits, `explain`
/// LXT's AttnLRP scores, `info` says whose text model it runs, and `--image` is refused in one line.
final class Gemma3MultimodalCommandTests: XCTestCase {
    static let folders = ["Tests/Fixtures/models/gemma3-mm", "Tests/Fixtures/layouts/gemma3-mm-renamed"]
    private var out: URL!

    override func setUp() {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-gemma3mm-\(UUID().uuidString).png")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: out) }

    /// `predict` on the golden "full" input: the top 4 and every logit of the last position within
    /// 1e-4 of Gemma3ForConditionalGeneration's (the golden's `unembed.hook_out`).
    func testPredictMatchesTheGoldenLogits() throws {
        let golden = try Fixtures.golden("gemma3-mm", "full")
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        let reference = try golden.tensor("unembed.hook_out")                 // [n, V]
        let last = reference.row(reference.shape[0] - 1).storage
        let order = last.indices.sorted { last[$0] > last[$1] }
        for folder in Self.folders {
            let object = try jsonObject(try runGlassbox(["predict", "--model", folder, "--ids", ids, "--top-k", "4",
                                                         "--logits", "--json"]))
            XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, "gemma3", folder)
            let top = try XCTUnwrap(object["top"] as? [[String: Any]])
            XCTAssertEqual(top.compactMap { $0["id"] as? Int }, Array(order.prefix(4)), folder)
            let logits = try XCTUnwrap(object["logits"] as? [Double])
            XCTAssertEqual(logits.count, 107, folder)
            XCTAssertLessThan(zip(logits, last).map { abs($0 - Double($1)) }.max()!, 1e-4, folder)
        }
    }

    /// `explain` (AttnLRP) on the golden "full" input: the target is the reference's and the token
    /// scores are LXT's (Tests/Fixtures/relevance/gemma3-mm/full.safetensors) within 1e-3 of the
    /// largest, RelevanceParityTests' tolerance.
    func testExplainMatchesLXT() throws {
        let reference = try SafetensorsFile(url: Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance/gemma3-mm/full.safetensors"))
        let ids = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(reference.metadata["input_ids"]).utf8)) as? [Int])
        let target = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(reference.metadata["target"]).utf8)) as? [String: Any])
        let expected = try reference.tensor("attnlrp.tokens").storage
        let scale = expected.map(abs).max()!
        for folder in Self.folders {
            let output = try runGlassbox(["explain", "--model", folder, "--ids", ids.map(String.init).joined(separator: ","),
                                          "--method", "attnlrp", "--json", "--out", out.path])
            let object = try jsonObject(output)
            XCTAssertEqual((object["target"] as? [String: Any])?["id"] as? Int, (target["ids"] as? [Int])?.first, folder)
            let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]]).compactMap { ($0["score"] as? NSNumber)?.floatValue }
            XCTAssertEqual(scores.count, expected.count, folder)
            for (ours, theirs) in zip(scores, expected) { XCTAssertEqual(ours, theirs, accuracy: 1e-3 * scale, folder) }
        }
    }

    /// `--image` is refused in one line by every command that takes it: the vision tower is not run.
    func testImageIsRefusedInOneLine() throws {
        let line = "glassbox: error: this Gemma3ForConditionalGeneration checkpoint runs as its text model (Glassbox does not "
            + "run its vision tower): it reads text, not images; give a prompt or --ids\n"
        for command in ["explain", "predict", "attention", "lens", "verify"] {
            let picture = ["explain", "attention", "lens"].contains(command) ? ["--out", out.path] : []
            let output = try runGlassbox([command, "--model", Self.folders[0], "--image", "Tests/Fixtures/images/rgb8-100x33.png"]
                                         + picture)
            XCTAssertEqual(output.status, 1, command)
            XCTAssertEqual(output.stderr, line, command)
        }
    }

    /// `info` names the checkpoint's class and counts the text model only; `--chat` on a folder
    /// whose template is only in a processor's chat_template.json refuses as AutoTokenizer does,
    /// and says why.
    func testInfoAndChatTemplateJSON() throws {
        let info = try runGlassbox(["info", "--model", Self.folders[0]])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("architecture gemma3 (sandwich-RMSNorm, causal): the text model of a "
                                           + "Gemma3ForConditionalGeneration checkpoint (vision tower and projector not loaded)"), info.stdout)
        let parameters = try TransformerModel.load(directory: Fixtures.model("gemma3-mm")).weights.parameterCount
        XCTAssertTrue(info.stdout.contains("parameters   \(String(format: "%.1fk", Double(parameters) / 1e3)) (text model)"), info.stdout)
        let object = try jsonObject(try runGlassbox(["info", "--model", Self.folders[1], "--json"]))
        let model = try XCTUnwrap(object["model"] as? [String: Any])
        XCTAssertEqual(model["textModelOf"] as? String, "Gemma3ForConditionalGeneration")
        XCTAssertEqual(model["parameters"] as? Int, parameters)
        XCTAssertTrue((model["supportedModelTypes"] as? [String])?.contains("gemma3") ?? false)

        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-gemma3mm-chat-\(UUID().uuidString)")
        try FileManager.default.copyItem(at: Fixtures.model("gemma3-mm"), to: folder)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data(#"{"chat_template": "{% for m in messages %}{{ m['content'] }}{% endfor %}"}"#.utf8)
            .write(to: folder.appendingPathComponent("chat_template.json"))
        let chat = try runGlassbox(["predict", "--model", folder.path, "--chat", "the cat"])
        XCTAssertEqual(chat.status, 1, chat.stderr)
        XCTAssertTrue(chat.stderr.contains("its chat_template.json is the processor's, which transformers' AutoTokenizer does not read"),
                      chat.stderr)
    }
}
