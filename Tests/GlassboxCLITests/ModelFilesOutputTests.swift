import Foundation
import GlassboxTestSupport
import XCTest

/// No output replaces a file of the model the run loads (`ModelFiles`): `evaluate --save-json
/// MODEL/model.safetensors` replaced the weights with JSON (exit 0), `batch --out
/// MODEL/config.json --overwrite` truncated the config. Each is bad usage (exit 2), one line naming
/// the option and the model's file, and the file is left as it was, also through a symbolic or a
/// hard link and for a sharded checkpoint's shards and index.
final class ModelFilesOutputTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = try makeTemporaryFolder("model-files")
        try "{\"ids\":[1,2,3,4]}\n".write(toFile: path("prompts.jsonl"), atomically: true, encoding: .utf8)
        try "{\"id\":\"a\",\"ids\":[1,2,3]}\n".write(toFile: path("inputs.jsonl"), atomically: true, encoding: .utf8)
    }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A writable copy of fixture `name` in the test's folder.
    private func copy(_ name: String) throws -> String {
        let target = folder.appendingPathComponent(name)
        try FileManager.default.copyItem(at: URL(fileURLWithPath: "Tests/Fixtures/models/\(name)", relativeTo: Fixtures.root), to: target)
        return target.path
    }

    /// Runs `arguments`; expects exit 2 with one line naming `option` and the model file
    /// `modelFile`, and `modelFile` unchanged.
    private func assertRefused(_ arguments: [String], option: String, modelFile: String,
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let before = try Data(contentsOf: URL(fileURLWithPath: modelFile))
        let run = try runGlassbox(arguments)
        XCTAssertEqual(run.status, 2, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stderrLines.count, 1, run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("error: \(option) "), run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("is the same file as \(modelFile), a file of the model"), run.stderr, file: file, line: line)
        XCTAssertTrue(run.stderr.contains("choose another \(option)"), run.stderr, file: file, line: line)
        XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: modelFile)), before, "\(modelFile) was changed", file: file, line: line)
    }

    func testEvaluateSaveJSONOnTheWeightsIsRefused() throws {
        let model = try copy("gpt2-tiny")
        try assertRefused(["evaluate", "--model", model, "--prompts", path("prompts.jsonl"), "--methods", "rollout",
                           "--save-json", model + "/model.safetensors", "--out", path("ev.png")],
                          option: "--save-json", modelFile: model + "/model.safetensors")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("ev.png")))
        // Through a hard link with another name.
        XCTAssertEqual(link(model + "/config.json", path("config-link.json")), 0)
        try assertRefused(["evaluate", "--model", model, "--prompts", path("prompts.jsonl"), "--methods", "rollout",
                           "--save-json", path("config-link.json"), "--out", path("ev.png")],
                          option: "--save-json", modelFile: model + "/config.json")
    }

    func testBatchOutOnTheModelIsRefused() throws {
        let model = try copy("gpt2-tiny")
        for mode in ["--overwrite", "--resume"] {
            try assertRefused(["batch", "--model", model, "--in", path("inputs.jsonl"), "--out", model + "/config.json", mode,
                               "--command", "predict"], option: "--out", modelFile: model + "/config.json")
        }
        try FileManager.default.createSymbolicLink(atPath: path("vocab-link.jsonl"), withDestinationPath: model + "/vocab.json")
        try assertRefused(["batch", "--model", model, "--in", path("inputs.jsonl"), "--out", path("vocab-link.jsonl"), "--overwrite",
                           "--command", "predict"], option: "--out", modelFile: model + "/vocab.json")
    }

    /// A picture's name can be a hard link to the weights (the extension check passes): refused
    /// after the load, before any work. A new file in the model's folder is fine.
    func testPictureOnTheModelIsRefusedAndNewFilesBesideItAreNot() throws {
        let model = try copy("gpt2-sharded")
        let shard = model + "/model-00002-of-00003.safetensors"
        XCTAssertEqual(link(shard, path("shard.png")), 0)
        try assertRefused(["lens", "--model", model, "--ids", "1,2,3", "--out", path("shard.png")], option: "--out", modelFile: shard)
        XCTAssertEqual(link(model + "/model.safetensors.index.json", path("index.svg")), 0)
        try assertRefused(["project", "--model", model, "--layer", "0", "--head", "0", "--out", path("index.svg")],
                          option: "--out", modelFile: model + "/model.safetensors.index.json")
        let beside = try runGlassbox(["lens", "--model", model, "--ids", "1,2,3", "--out", model + "/lens.png"])
        XCTAssertEqual(beside.status, 0, beside.stderr)
        XCTAssertTrue(FileManager.default.fileExists(atPath: model + "/lens.png"))
    }
}
