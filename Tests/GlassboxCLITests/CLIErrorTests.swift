import Foundation
import GlassboxTestSupport
import XCTest

/// Bad input gives one clear line on stderr, nothing on stdout, and exit 1 (bad input or files)
/// or 2 (bad usage) — never a crash.
final class CLIErrorTests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"

    private func assertFails(_ arguments: [String], status: Int32, mentions fragment: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let output = try runGlassbox(arguments)
        XCTAssertEqual(output.status, status, "exit status for \(arguments): \(output.stderr)", file: file, line: line)
        XCTAssertEqual(output.stdout, "", "stdout should be empty", file: file, line: line)
        XCTAssertEqual(output.stderrLines.count, 1, "expected one line, got: \(output.stderr)", file: file, line: line)
        XCTAssertTrue(output.stderr.contains(fragment), "'\(fragment)' not in: \(output.stderr)", file: file, line: line)
    }

    private func temporaryModel(config: String) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(config.utf8).write(to: folder.appendingPathComponent("config.json"))
        try FileManager.default.copyItem(at: Fixtures.model("gpt2-tiny").appendingPathComponent("model.safetensors"),
                                         to: folder.appendingPathComponent("model.safetensors"))
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder
    }

    func testMissingFolder() throws {
        try assertFails(["predict", "--model", "/no/such/model", "--ids", "1"], status: 1, mentions: "/no/such/model")
    }

    func testUnknownHuggingFaceID() throws {
        try assertFails(["info", "--model", "nobody/nothing"], status: 1, mentions: "nobody/nothing")
    }

    func testBadConfig() throws {
        let folder = try temporaryModel(config: "{not json")
        try assertFails(["predict", "--model", folder.path, "--ids", "1"], status: 1, mentions: "not valid JSON")
    }

    func testUnknownModelTypeListsSupported() throws {
        let folder = try temporaryModel(config: #"{"model_type": "mamba"}"#)
        try assertFails(["info", "--model", folder.path], status: 1, mentions: "supported: albert, arcee, bert, bloom, camembert, codegen, cohere, cohere2, distilbert, electra, falcon, gemma, gemma2, gemma3, gemma3_text, glm, glm4, gpt2, gpt_bigcode, gpt_neo, gpt_neox, gptj, granite, granitemoe, granitemoeshared, helium, llama, mistral, mixtral, modernbert, mpt, nemotron, olmo, olmo2, olmoe, opt, phi, phi3, phimoe, qwen2, qwen2_moe, qwen3, qwen3_moe, roberta, smollm3, stablelm, starcoder2, vit, xlm-roberta")
    }

    func testInvalidConfigValue() throws {
        let folder = try temporaryModel(config: #"{"model_type": "gpt2", "n_embd": 32, "n_head": 5}"#)
        try assertFails(["info", "--model", folder.path], status: 1, mentions: "n_head")
    }

    func testOutOfRangeID() throws {
        try assertFails(["predict", "--model", tiny, "--ids", "1,128"], status: 1, mentions: "outside the vocabulary")
        try assertFails(["predict", "--model", tiny, "--ids=-3"], status: 1, mentions: "outside the vocabulary")
    }

    func testEmptyAndMalformedInput() throws {
        try assertFails(["predict", "--model", tiny, "--ids", ""], status: 1, mentions: "empty")
        try assertFails(["predict", "--model", tiny, "--ids", "1,x"], status: 2, mentions: "'x' is not a token id")
    }

    func testInputLongerThanTheContextWindow() throws {
        let ids = (0..<33).map { String($0 % 100) }.joined(separator: ",")
        try assertFails(["predict", "--model", tiny, "--ids", ids], status: 1, mentions: "context window is 32")
    }

    func testPromptWithoutTokenizerSaysSo() throws {
        // A model folder with weights but no tokenizer file: the prompt cannot be tokenized.
        let folder = try temporaryModel(config: String(decoding: try Data(contentsOf: Fixtures.model("gpt2-tiny")
            .appendingPathComponent("config.json")), as: UTF8.self))
        try assertFails(["predict", "--model", folder.path, "--prompt", "Hello"], status: 1, mentions: "has no tokenizer")
        try assertFails(["predict", "--model", folder.path, "Hello"], status: 1, mentions: "--ids")
        try assertFails(["tokenize", "--model", folder.path, "Hello"], status: 1, mentions: "tokenizer.json")
        // gpt2-tiny's display vocabulary has no pieces for these characters: no tokens at all.
        try assertFails(["predict", "--model", tiny, "--prompt", "日本"], status: 1, mentions: "gives no tokens")
        try assertFails(["predict", "--model", tiny, "--prompt", ""], status: 1, mentions: "empty")
    }

    func testNoPredictionHead() throws {
        try assertFails(["predict", "--model", "Tests/Fixtures/models/bert-odd", "--ids", "2,3"], status: 1,
                        mentions: "no prediction head")
    }

    func testUsageErrorsExitTwo() throws {
        try assertFails(["predict", "--model", tiny, "--ids", "1", "--top-k", "0"], status: 2, mentions: "--top-k")
        try assertFails(["predict", "--model", tiny, "--ids", "1", "--bogus"], status: 2, mentions: "--bogus")
        try assertFails(["predict", "--model", tiny], status: 2, mentions: "no input")
    }
}
