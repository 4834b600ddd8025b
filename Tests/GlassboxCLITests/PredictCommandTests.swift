import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `glassbox info` end to end, through the built executable.
final class PredictCommandTests: XCTestCase {
    let tiny = "Tests/Fixtures/models/gpt2-tiny"

    private func json(_ output: CommandOutput) throws -> [String: Any] {
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                             "stdout is not one JSON object: \(output.stdout)")
    }

    func testPredictJSONMatchesTheReferenceLogits() throws {
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("gpt2-tiny/short.safetensors"))
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        let object = try json(try runGlassbox(["predict", "--model", tiny, "--ids", ids, "--top-k", "4",
                                               "--logits", "--json"]))
        let reference = try golden.tensor("unembed.hook_out")                 // [n, V]
        let lastRow = reference.row(reference.shape[0] - 1).storage
        let referenceTop = lastRow.indices.sorted { lastRow[$0] > lastRow[$1] }

        XCTAssertEqual(object["command"] as? String, "predict")
        XCTAssertEqual(object["position"] as? Int, golden.inputIDs.count - 1)
        let top = try XCTUnwrap(object["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 4)
        XCTAssertEqual(top.compactMap { $0["id"] as? Int }, Array(referenceTop.prefix(4)))
        for entry in top {
            let id = try XCTUnwrap(entry["id"] as? Int)
            XCTAssertEqual(try XCTUnwrap(entry["logit"] as? Double), Double(lastRow[id]), accuracy: 1e-4)
        }
        let probs = top.compactMap { $0["prob"] as? Double }
        XCTAssertEqual(probs, probs.sorted(by: >))
        let logits = try XCTUnwrap(object["logits"] as? [Double])
        XCTAssertEqual(logits.count, lastRow.count)
        XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(lastRow[$0.offset])) }.max()!, 0, accuracy: 1e-4)
        XCTAssertEqual((object["tokens"] as? [[String: Any]])?.count, golden.inputIDs.count)
        XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, "gpt2")
    }

    /// `--attention blocked` and `unblocked` give the same logits (1e-5 relative, methods §0.4) on a
    /// 100-token input (blocks of 64, so two query blocks); `--trace` with `blocked` is a usage error.
    func testAttentionPathsAgreeAndBlockedRefusesTrace() throws {
        let ids = (0..<100).map { String(($0 * 37 + 11) % 128) }.joined(separator: ",")
        let model = "Tests/Fixtures/models/gpt2-long"
        var logits: [String: [Double]] = [:]
        for path in ["blocked", "unblocked", "auto"] {
            let object = try json(try runGlassbox(["predict", "--model", model, "--ids", ids, "--logits", "--json",
                                                   "--attention", path]))
            logits[path] = try XCTUnwrap(object["logits"] as? [Double])
        }
        let reference = try XCTUnwrap(logits["unblocked"])
        let scale = reference.map(abs).max() ?? 0
        for path in ["blocked", "auto"] {
            let ours = try XCTUnwrap(logits[path])
            XCTAssertEqual(ours.count, reference.count)
            XCTAssertLessThanOrEqual(zip(ours, reference).map { abs($0 - $1) }.max() ?? .infinity, 1e-5 * scale, path)
        }
        let refused = try runGlassbox(["predict", "--model", model, "--ids", "1,2,3", "--trace", "--attention", "blocked"])
        XCTAssertEqual(refused.status, 2)
        XCTAssertTrue(refused.stderr.contains("--attention blocked"), refused.stderr)
    }

    /// `--precision bf16` (methods §0.7) moves the golden logits by less than 2% of their scale but
    /// does move them (bf16 operands), `exact` is the default, and an unknown precision is a usage
    /// error.
    func testPrecisionBF16StaysNearTheReferenceLogits() throws {
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("gpt2-tiny/short.safetensors"))
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        let reference = try golden.tensor("unembed.hook_out")
        let lastRow = reference.row(reference.shape[0] - 1).storage.map(Double.init)
        let scale = lastRow.map(abs).max()!
        var error: [String: Double] = [:]
        for precision in ["exact", "bf16"] {
            let object = try json(try runGlassbox(["predict", "--model", tiny, "--ids", ids, "--logits", "--json",
                                                   "--precision", precision]))
            let logits = try XCTUnwrap(object["logits"] as? [Double])
            XCTAssertEqual(logits.count, lastRow.count)
            error[precision] = zip(logits, lastRow).map { abs($0 - $1) }.max()! / scale
        }
        XCTAssertLessThanOrEqual(error["exact"]!, 1e-5)
        XCTAssertLessThanOrEqual(error["bf16"]!, 2e-2)
        XCTAssertGreaterThan(error["bf16"]!, 1e-5, "bf16 products must round")
        let refused = try runGlassbox(["predict", "--model", tiny, "--ids", "1,2", "--precision", "fp8"])
        XCTAssertEqual(refused.status, 2)
    }

    func testPredictTextTableAndMaskedLM() throws {
        let output = try runGlassbox(["predict", "--model", tiny, "--ids", "1,2,3", "--top-k", "3"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let rows = output.stdout.split(separator: "\n").filter { $0.hasPrefix("   ") }
        XCTAssertEqual(rows.count, 3, output.stdout)

        // bert-tiny-mlm's vocab.txt has [MASK] at id 4: the prediction is at its position.
        let mlm = try json(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/bert-tiny-mlm",
                                            "--ids", "2,10,4,11,3", "--json"]))
        XCTAssertEqual(mlm["position"] as? Int, 2)

        let cls = try json(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/bert-cls",
                                            "--ids", "2,10,11,3", "--json"]))
        let labels = Set((cls["top"] as? [[String: Any]] ?? []).compactMap { $0["text"] as? String })
        XCTAssertEqual(labels, ["negative", "neutral", "positive"])
    }

    func testTracePrintsEveryHookInForwardOrder() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let output = try runGlassbox(["predict", "--model", tiny, "--ids", "5,6,7", "--trace"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let names = output.stderrLines.map { String($0.split(separator: " ")[0]) }
        XCTAssertEqual(names, model.hookPoints.map(\.name))
        XCTAssertTrue(output.stderrLines.first?.hasPrefix("hook_embed [3,32] ") ?? false, output.stderr)
    }

    func testInfoDescribesTheModel() throws {
        let object = try json(try runGlassbox(["info", "--model", "Tests/Fixtures/models/gpt2-odd", "--json"]))
        let model = try XCTUnwrap(object["model"] as? [String: Any])
        XCTAssertEqual(model["layers"] as? Int, 3)
        XCTAssertEqual(model["heads"] as? Int, 3)
        XCTAssertEqual(model["dtypes"] as? [String], ["F16"])
        let hooks = try XCTUnwrap(object["hooks"] as? [String])
        XCTAssertTrue(hooks.contains("blocks.2.attn.hook_pattern"))
        let text = try runGlassbox(["info", "--model", "Tests/Fixtures/models/bert-cls"])
        XCTAssertEqual(text.status, 0)
        XCTAssertTrue(text.stdout.contains("sequence classification: negative, neutral, positive"), text.stdout)
    }

    func testModelResolvesAHuggingFaceIDFromTheLocalCache() throws {
        let home = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-hf-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: home) }
        let repo = home.appendingPathComponent("hub/models--fixtures--gpt2-tiny")
        let snapshot = repo.appendingPathComponent("snapshots/0123abc")
        try FileManager.default.createDirectory(at: snapshot.deletingLastPathComponent(), withIntermediateDirectories: true)
        try FileManager.default.copyItem(at: Fixtures.model("gpt2-tiny"), to: snapshot)
        try FileManager.default.createDirectory(at: repo.appendingPathComponent("refs"), withIntermediateDirectories: true)
        try Data("0123abc".utf8).write(to: repo.appendingPathComponent("refs/main"))

        var environment = ProcessInfo.processInfo.environment
        environment["HF_HOME"] = home.path
        environment["HF_HUB_CACHE"] = nil
        let byID = try runGlassbox(["predict", "--model", "fixtures/gpt2-tiny", "--ids", "1,2,3", "--json"],
                                   environment: environment)
        let byPath = try runGlassbox(["predict", "--model", tiny, "--ids", "1,2,3", "--json"])
        let top = { (o: CommandOutput) in
            ((try? JSONSerialization.jsonObject(with: Data(o.stdout.utf8))) as? [String: Any])?["top"] as? [[String: Any]]
        }
        XCTAssertEqual(byID.status, 0, byID.stderr)
        XCTAssertEqual(top(byID)?.compactMap { $0["id"] as? Int }, top(byPath)?.compactMap { $0["id"] as? Int })
        XCTAssertNotNil(top(byID))
    }
}

/// The memory check before a run, with the available memory injected through
/// `GLASSBOX_MEMAVAILABLE_BYTES` (never the machine's own).
final class MemoryCheckCommandTests: XCTestCase {
    func testARunThatWouldNotFitSaysSoUnlessForced() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "1000"
        let refused = try runGlassbox(["predict", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "1,2,3"],
                                      environment: environment)
        XCTAssertEqual(refused.status, 1)
        XCTAssertTrue(refused.stderr.contains("this run needs about ") && refused.stderr.contains(", 0 MB available"),
                      refused.stderr)
        XCTAssertEqual(refused.stderr.split(separator: "\n").count, 1, refused.stderr)
        XCTAssertEqual(refused.stdout, "")
        let explain = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "1,2,3",
                                       "--method", "attnlrp", "--json"], environment: environment)
        XCTAssertEqual(explain.status, 1, explain.stderr)
        XCTAssertTrue(explain.stderr.contains("pass --force"), explain.stderr)
        let forced = try runGlassbox(["predict", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "1,2,3", "--force"],
                                     environment: environment)
        XCTAssertEqual(forced.status, 0, forced.stderr)
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "100000000000"
        XCTAssertEqual(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "1,2,3"],
                                       environment: environment).status, 0)
    }

    /// Every command that runs the model checks its memory first (a review found `attention`,
    /// `lens`, `trace`, `patch`, `path`, `neurons`, `verify`, `evaluate`, a sequence `explain` and `batch`
    /// running unchecked into an allocation failure), and `--force` runs it anyway.
    func testEveryCommandThatRunsTheModelChecksItsMemory() throws {
        var environment = ProcessInfo.processInfo.environment
        environment["GLASSBOX_MEMAVAILABLE_BYTES"] = "1000"
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-memory-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let model = ["--model", "Tests/Fixtures/models/gpt2-tiny"]
        let picture = folder.appendingPathComponent("x.png").path
        let prompts = folder.appendingPathComponent("prompts.jsonl")
        try "{\"ids\": [1, 2, 3, 4, 5]}\n".write(to: prompts, atomically: true, encoding: .utf8)
        let runs: [[String]] = [
            ["lens", "--ids", "1,2,3", "--out", picture],
            ["attention", "--ids", "1,2,3", "--json", "--out", picture],
            ["attention", "--ids", "1,2,3", "--view", "grid", "--out", picture],
            ["trace", "--ids", "1,2,3,4", "--noise-span", "0:1", "--samples", "1", "--out", picture],
            ["patch", "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--out", picture],
            ["path", "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--receivers", "resid", "--out", picture],
            ["neurons", "--layer", "0", "--ids", "1,2,3", "--out", picture],
            ["verify", "--ids", "1,2,3"],
            ["evaluate", "--prompts", prompts.path, "--methods", "grad-input", "--out", picture],
            ["evaluate", "--prompts", prompts.path, "--methods", "rollout", "--out", picture],
            ["explain", "--ids", "1,2,3", "--generate", "2", "--out", picture],
        ]
        for arguments in runs {
            let command = arguments[0]
            let refused = try runGlassbox(Array(arguments.prefix(1)) + model + arguments.dropFirst(), environment: environment)
            XCTAssertEqual(refused.status, 1, "\(command): \(refused.stderr)")
            XCTAssertTrue(refused.stderr.hasPrefix("glassbox: error: this run needs about ") && refused.stderr.hasSuffix(
                ", 0 MB available; shorten the input, close other programs, or pass --force to try anyway\n"), "\(command): \(refused.stderr)")
            XCTAssertEqual(refused.stdout, "", command)
            let forced = try runGlassbox(Array(arguments.prefix(1)) + model + arguments.dropFirst() + ["--force"], environment: environment)
            XCTAssertEqual(forced.status, 0, "\(command) --force: \(forced.stderr)")
        }
        // A batch checks each input (its workers' activations at once) and records the refusal.
        let inputs = folder.appendingPathComponent("in.jsonl"), out = folder.appendingPathComponent("out.jsonl")
        try "{\"id\": 1, \"ids\": [1, 2, 3]}\n{\"id\": 2, \"ids\": [1, 2, 3], \"force\": true}\n".write(to: inputs, atomically: true, encoding: .utf8)
        let batch = try runGlassbox(["batch"] + model + ["--in", inputs.path, "--out", out.path], environment: environment)
        XCTAssertEqual(batch.status, 1, batch.stderr)
        let records = try String(contentsOf: out, encoding: .utf8).split(separator: "\n").map {
            try XCTUnwrap(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        XCTAssertTrue((records[0]["error"] as? String ?? "").hasPrefix("line 1: this run needs about "), "\(records[0])")
        XCTAssertNil(records[1]["error"], "\(records[1])")
    }
}
