import Foundation
import GlassboxTestSupport
import XCTest

/// `--chat` (and `--system`): the prompt rendered by the checkpoint's chat template and tokenized
/// without adding special tokens gives the ids of transformers' `apply_chat_template(tokenize=True,
/// add_generation_prompt=True)` (Tests/Fixtures/chat-templates/expected.json, "cli"); predict and
/// explain record the rendering; a checkpoint without a template is one line naming its folder.
final class ChatCommandTests: XCTestCase {
    private var folders: [URL] = []

    override func tearDownWithError() throws { for f in folders { try? FileManager.default.removeItem(at: f) } }

    private func expectedCLI() throws -> [String: Any] {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/chat-templates/expected.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        return try XCTUnwrap(object["cli"] as? [String: Any])
    }

    /// A model folder: `model`'s files as links (tokenizer.json from `tokenizer`, a tokenizer
    /// fixture, if given) and `config` as tokenizer_config.json.
    private func folder(model: String, tokenizer: String? = nil, config: [String: Any]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-chat-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        folders.append(folder)
        let source = Fixtures.model(model)
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where !(tokenizer != nil && name == "tokenizer.json") {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
        }
        if let tokenizer {
            try FileManager.default.createSymbolicLink(
                at: folder.appendingPathComponent("tokenizer.json"),
                withDestinationURL: Fixtures.root.appendingPathComponent("Tests/Fixtures/tokenizers/\(tokenizer)/tokenizer.json"))
        }
        try JSONSerialization.data(withJSONObject: config).write(to: folder.appendingPathComponent("tokenizer_config.json"))
        return folder
    }

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let run = try runGlassbox(arguments + ["--json"])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    func testTokenizeChatGivesApplyChatTemplateIds() throws {
        let cli = try expectedCLI()
        let config = try XCTUnwrap(cli["tokenizer_config"] as? [String: Any])
        let messages = try XCTUnwrap(cli["messages"] as? [[String: String]])
        let expectedIDs = try XCTUnwrap(cli["ids"] as? [Int])
        let model = try folder(model: "llama3-rope", tokenizer: "llama3", config: config)
        let object = try json(["tokenize", "--model", model.path, "--chat", "--system", messages[0]["content"]!,
                               "--prompt", messages[1]["content"]!])
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, expectedIDs)
        XCTAssertEqual(object["chat"] as? Bool, true)
        XCTAssertEqual(object["chat_prompt"] as? String, cli["rendered"] as? String)
        XCTAssertEqual(object["chat_user"] as? String, messages[1]["content"])
        XCTAssertEqual(object["system"] as? String, messages[0]["content"])
        // Offsets point into the rendering: the first token is the template's BOS, at 0..<17.
        XCTAssertEqual(tokens.first?["start"] as? Int, 0)
        XCTAssertEqual(tokens.first?["end"] as? Int, "<|begin_of_text|>".utf8.count)
        // Without --chat the same prompt is far fewer tokens (no template around it).
        let plain = try json(["tokenize", "--model", model.path, "--prompt", messages[1]["content"]!])
        XCTAssertLessThan((plain["tokens"] as? [Any])?.count ?? 0, expectedIDs.count / 3)
        XCTAssertNil(plain["chat"])
    }

    func testPredictAndExplainRecordTheRendering() throws {
        let template = try String(contentsOf: Fixtures.root.appendingPathComponent("Tests/Fixtures/chat-templates/templates/zephyr-7b-beta.jinja"),
                                  encoding: .utf8)
        let model = try folder(model: "llama3-rope", config: ["bos_token": "<s>", "eos_token": "</s>", "unk_token": "<unk>",
                                                             "chat_template": template])
        let rendered = "<|system|>\nbe brief</s>\n<|user|>\nthe cat sat</s>\n<|assistant|>\n"
        let predicted = try json(["predict", "--model", model.path, "--chat", "--system", "be brief", "the cat sat"])
        XCTAssertEqual(predicted["chat"] as? Bool, true)
        XCTAssertEqual(predicted["chat_prompt"] as? String, rendered)
        let tokens = try XCTUnwrap(predicted["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["text"] as? String }.joined(), rendered, "the tokens cover the rendering")
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-chat-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let explained = try json(["explain", "--model", model.path, "--chat", "--system", "be brief", "the cat sat", "--out", out.path])
        let extra = try XCTUnwrap(explained["extra"] as? [String: Any])
        XCTAssertEqual(extra["chat"] as? Bool, true)
        XCTAssertEqual(extra["chatPrompt"] as? String, rendered)
        XCTAssertEqual((explained["tokens"] as? [[String: Any]])?.count, tokens.count)
        let generated = try json(["generate", "--model", model.path, "--chat", "--system", "be brief", "the cat sat", "--max-tokens", "2"])
        XCTAssertEqual(generated["prompt"] as? String, rendered, "generate's prompt is the text its prompt tokens point into")
        XCTAssertEqual(generated["chat_user"] as? String, "the cat sat")
        // A sequence explanation records the rendering too, and its prompt tokens cover it.
        let sequence = try json(["explain", "--model", model.path, "--chat", "--system", "be brief", "the cat sat",
                                 "--generate", "2", "--method", "grad-input", "--out", out.path])
        XCTAssertEqual(sequence["chat"] as? Bool, true)
        XCTAssertEqual(sequence["chatPrompt"] as? String, rendered)
        let columns = try XCTUnwrap(sequence["tokens"] as? [[String: Any]])
        XCTAssertEqual(columns.filter { $0["generated"] as? Bool == false }.compactMap { $0["text"] as? String }.joined(), rendered)
        let plain = try json(["explain", "--model", model.path, "the cat sat", "--generate", "2", "--method", "grad-input", "--out", out.path])
        XCTAssertNil(plain["chat"])
        XCTAssertNil(plain["chatPrompt"])
    }

    func testMistakesAreOneLine() throws {
        let noTemplate = try runGlassbox(["tokenize", "--model", Fixtures.model("llama3-rope").path, "--chat", "hi"])
        XCTAssertEqual(noTemplate.status, 1)
        XCTAssertEqual(noTemplate.stderr, "glassbox: error: \(Fixtures.model("llama3-rope").path) has no chat template "
                       + "(no chat_template.jinja, no \"chat_template\" in tokenizer_config.json); leave out --chat\n")
        let broken = try folder(model: "llama3-rope", config: ["chat_template": "{{ bos_token }}\n{% for m in messages %}{{ m | nope }}{% endfor %}"])
        let run = try runGlassbox(["predict", "--model", broken.path, "--chat", "hi"])
        XCTAssertEqual(run.status, 1)
        XCTAssertEqual(run.stderr, "glassbox: error: \(broken.path)/tokenizer_config.json: chat_template: line 2, column 31: "
                       + "no filter named 'nope'\n")
        let raising = try folder(model: "llama3-rope", config: ["chat_template": "{% if messages[0].role == 'system' %}{{ raise_exception('System role not supported') }}{% endif %}"])
        let refused = try runGlassbox(["tokenize", "--model", raising.path, "--chat", "--system", "s", "hi"])
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.hasSuffix("the template raised an exception: System role not supported\n"), refused.stderr)
        let system = try runGlassbox(["tokenize", "--model", raising.path, "--system", "s", "hi"])
        XCTAssertEqual(system.status, 2)
        XCTAssertTrue(system.stderr.contains("--system adds a system message to --chat"), system.stderr)
        let ids = try runGlassbox(["predict", "--model", raising.path, "--chat", "--ids", "1,2"])
        XCTAssertEqual(ids.status, 2)
        XCTAssertTrue(ids.stderr.contains("--chat applies the chat template to a text prompt"), ids.stderr)
    }

    /// `batch --command predict --chat`: every line rendered, a line's "system" overriding.
    func testBatchAppliesTheTemplatePerLine() throws {
        let template = try String(contentsOf: Fixtures.root.appendingPathComponent("Tests/Fixtures/chat-templates/templates/zephyr-7b-beta.jinja"),
                                  encoding: .utf8)
        let model = try folder(model: "llama3-rope", config: ["eos_token": "</s>", "chat_template": template])
        let input = model.appendingPathComponent("in.jsonl"), output = model.appendingPathComponent("out.jsonl")
        let lines = [#"{"id": "a", "text": "the cat"}"#, #"{"id": "b", "text": "the dog", "system": "terse"}"#]
        try Data((lines.joined(separator: "\n") + "\n").utf8).write(to: input)
        let run = try runGlassbox(["batch", "--model", model.path, "--in", input.path, "--out", output.path, "--command", "predict", "--chat"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let records = try String(contentsOf: output, encoding: .utf8).split(separator: "\n")
            .map { try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        XCTAssertEqual(records.map { $0["chat_prompt"] as? String }, [
            "<|user|>\nthe cat</s>\n<|assistant|>\n", "<|system|>\nterse</s>\n<|user|>\nthe dog</s>\n<|assistant|>\n"])
    }
}
