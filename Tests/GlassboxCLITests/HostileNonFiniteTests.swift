import Foundation
import GlassboxTestSupport
import XCTest

/// Hostile-input cases about models whose activations are NaN (loaded with `--allow-nonfinite`):
/// every command shows NaN or says why it cannot, in one line; none traps.
final class HostileNonFiniteTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("hostile-nan") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A gpt2-tiny copy whose embedding row 100 starts with a NaN: any input holding token 100 has
    /// NaN hidden states from there on, so every logit of that position (and later ones) is NaN.
    private func nanModel(tensor: String = "transformer.wte.weight", element: Int = 100 * 32, name: String = "nan-model") throws -> String {
        let model = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: "Tests/Fixtures/models/gpt2-tiny", relativeTo: Fixtures.root)
        for name in ["config.json", "tokenizer.json"] where FileManager.default.fileExists(atPath: source.appendingPathComponent(name).path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: model.appendingPathComponent(name))
        }
        var weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        let headerLength = Int(weights.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: weights.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let offsets = try XCTUnwrap((header[tensor] as? [String: Any])?["data_offsets"] as? [Int])
        let nan = withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) }
        let at = 8 + headerLength + offsets[0] + element * 4
        weights.replaceSubrange(at..<(at + 4), with: nan)
        try weights.write(to: model.appendingPathComponent("model.safetensors"))
        return model.path
    }

    /// `lens` on a position whose final logits are all NaN draws its table with NaN cells (it
    /// trapped on an empty top-1 before); `neurons` with an input says why nothing can be ranked
    /// instead of "a bar chart needs at least one value".
    func testAllNaNLogitsAreShownNotTrapped() throws {
        let model = try nanModel()
        let lens = try runGlassbox(["lens", "--model", model, "--ids", "1,2,100", "--allow-nonfinite", "--out", path("lens.png")])
        XCTAssertEqual(lens.status, 0, lens.stderr)
        XCTAssertTrue(lens.stdout.contains("nan"), lens.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("lens.png")))

        let predict = try runGlassbox(["predict", "--model", model, "--ids", "1,2,100", "--allow-nonfinite"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssertTrue(predict.stdout.contains("nan"), predict.stdout)

        let neurons = try runGlassbox(["neurons", "--model", model, "--layer", "0", "--ids", "1,2,100", "--allow-nonfinite",
                                       "--out", path("neurons.png")])
        XCTAssertEqual(neurons.status, 1, neurons.stderr)
        XCTAssertEqual(neurons.stderrLines.filter { $0.hasPrefix("glassbox: error:") }.count, 1, neurons.stderr)
        XCTAssertTrue(neurons.stderr.contains("all NaN"), neurons.stderr)
        XCTAssertFalse(neurons.stderr.contains("bar chart"), neurons.stderr)

        // One NaN in head 0's W_Q (c_attn column 0) makes every QK pair score of that head NaN.
        let query = try nanModel(tensor: "transformer.h.0.attn.c_attn.weight", element: 0, name: "nan-query")
        let project = try runGlassbox(["project", "--model", query, "--layer", "0", "--head", "0", "--what", "qk",
                                       "--allow-nonfinite", "--out", path("project.png")])
        XCTAssertEqual(project.status, 1, project.stderr)
        XCTAssertFalse(project.stderr.contains("bar chart"), project.stderr)
        XCTAssertTrue(project.stderr.contains("scores NaN"), project.stderr)
    }

    /// A run whose attention scores overflow at 8000 tokens (llama-gqa with 8192 positions and
    /// layer 0's q and k weights × 1e20) names the first bad hook point under a 3 GB address-space
    /// limit: the diagnostic rerun keeps nothing (it kept every hook, 4 GB with the `[H, n, n]`
    /// scores and patterns, and died of a failed allocation).
    func testNonFiniteDiagnosisIsBoundedAtLongInputs() throws {
        let source = URL(fileURLWithPath: "Tests/Fixtures/models/llama-gqa", relativeTo: Fixtures.root)
        let model = folder.appendingPathComponent("llama-long-overflow")
        try FileManager.default.copyItem(at: source, to: model)
        let configURL = model.appendingPathComponent("config.json")
        var config = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: configURL)) as? [String: Any])
        config["max_position_embeddings"] = 8192
        try JSONSerialization.data(withJSONObject: config).write(to: configURL)
        let weightsURL = model.appendingPathComponent("model.safetensors")
        var weights = try Data(contentsOf: weightsURL)
        let headerLength = Int(weights.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: weights.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        for name in ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight"] {
            let offsets = try XCTUnwrap((header[name] as? [String: Any])?["data_offsets"] as? [Int])
            for at in stride(from: 8 + headerLength + offsets[0], to: 8 + headerLength + offsets[1], by: 4) {
                let value = weights.subdata(in: at..<(at + 4)).withUnsafeBytes { Float(bitPattern: UInt32(littleEndian: $0.loadUnaligned(as: UInt32.self))) }
                let scaled = withUnsafeBytes(of: (value * 1e20).bitPattern.littleEndian) { Data($0) }
                weights.replaceSubrange(at..<(at + 4), with: scaled)
            }
        }
        try weights.write(to: weightsURL)
        var generator = SystemRandomNumberGenerator()
        let ids = (0..<8000).map { _ in String(Int.random(in: 3..<128, using: &generator)) }.joined(separator: ",")
        try ids.write(toFile: path("ids.txt"), atomically: true, encoding: .utf8)
        let run = try runGlassboxShell("ulimit -v 3000000; \"$GLASSBOX\" predict --model '\(model.path)' --ids \"$(cat '\(path("ids.txt"))')\"",
                                       timeout: 120)
        XCTAssertEqual(run.status, 1, String(run.stderr.prefix(2000)))
        XCTAssertEqual(run.stderrLines.count, 1, String(run.stderr.prefix(2000)))
        XCTAssertTrue(run.stderr.contains("produced NaN or ±Inf: first at blocks.0.attn."), run.stderr)
    }

    /// NaN in a result gives the one shared line about numbers that are not finite: `predict
    /// --json` said "not valid JSON" (Foundation's text), and `evaluate` to a PNG without JSON
    /// no longer mentions JSON.
    func testNonFiniteResultsGiveTheSharedMessage() throws {
        let model = try nanModel()
        for command in [["predict", "--json"], ["lens", "--json", "--out", path("l.png")]] {
            let run = try runGlassbox(command + ["--model", model, "--ids", "1,2,100", "--allow-nonfinite"])
            XCTAssertEqual(run.status, 1, "\(command): \(run.stderr)")
            XCTAssertEqual(run.stdout, "", "\(command)")
            let error = run.stderrLines.filter { $0.hasPrefix("glassbox: error:") }
            XCTAssertEqual(error.count, 1, run.stderr)
            XCTAssertTrue(run.stderr.contains("not finite numbers (NaN or ±infinity), which JSON cannot represent"), "\(command): \(run.stderr)")
        }
        try "{\"ids\":[1,2,100,3]}\n".write(toFile: path("prompts.jsonl"), atomically: true, encoding: .utf8)
        let evaluate = try runGlassbox(["evaluate", "--model", model, "--prompts", path("prompts.jsonl"), "--allow-nonfinite",
                                        "--methods", "rollout", "--out", path("e.png")])
        XCTAssertEqual(evaluate.status, 1, evaluate.stderr)
        XCTAssertTrue(evaluate.stderr.contains("not finite numbers"), evaluate.stderr)
        XCTAssertFalse(evaluate.stderr.contains("JSON"), evaluate.stderr)
    }

    /// `patch` on a model whose outputs are NaN says the outputs are not finite, not "pick answer
    /// tokens the corruption changes" (advice that cannot help).
    func testPatchingOnNaNOutputsNamesTheCause() throws {
        let model = try nanModel()
        let run = try runGlassbox(["patch", "--model", model, "--clean-ids", "1,2,100", "--corrupted-ids", "1,2,3",
                                   "--answer-id", "7", "--wrong-id", "9", "--allow-nonfinite", "--out", path("patch.png")])
        XCTAssertEqual(run.status, 1, run.stderr)
        XCTAssertEqual(run.stderrLines.filter { $0.hasPrefix("glassbox: error:") }.count, 1, run.stderr)
        XCTAssertTrue(run.stderr.contains("not finite numbers"), run.stderr)
        XCTAssertFalse(run.stderr.contains("pick answer tokens"), run.stderr)
    }
}
