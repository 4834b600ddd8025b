import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox verify` end to end: passing on the fixture models, failing — with the check and the
/// first diverging hook named on one line, exit status 1 — on a checkpoint with one tensor perturbed.
final class VerifyCommandTests: XCTestCase {
    private func json(_ output: CommandOutput, status: Int32 = 0) throws -> [String: Any] {
        XCTAssertEqual(output.status, status, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                             "stdout is not one JSON object: \(output.stdout)")
    }

    /// Each committed trace (scripts/fixtures/generate_traces.py) with its model: exit 0, every check
    /// passed, every hook compared.
    func testPassesOnTheFixtureModelsWithTheirTraces() throws {
        for name in ["gpt2-tiny", "llama-gqa", "bert-cls", "vit-tiny"] {
            let object = try json(try runGlassbox(["verify", "--model", "Tests/Fixtures/models/\(name)",
                                                   "--reference", "Tests/Fixtures/traces/\(name).json", "--json"]))
            XCTAssertEqual(object["command"] as? String, "verify")
            XCTAssertEqual(object["passed"] as? Bool, true, name)
            XCTAssertEqual(object["failed"] as? [String], [], name)
            let checks = try XCTUnwrap(object["checks"] as? [String: Any])
            XCTAssertEqual(Set(checks.keys), ["conservation", "gradient", "determinism", "finite", "reference"])
            let reference = try XCTUnwrap(checks["reference"] as? [String: Any])
            let hooks = try XCTUnwrap(reference["hooks"] as? [[String: Any]])
            XCTAssertGreaterThan(hooks.count, 40, name)
            XCTAssertTrue(reference["firstFailure"] is NSNull)
            let conservation = try XCTUnwrap(checks["conservation"] as? [String: Any])
            for key in ["explained", "inputs", "biases", "softmax", "unaccounted"] { XCTAssertNotNil(conservation[key] as? Double, key) }
            XCTAssertNotNil((conservation["shares"] as? [String: Any])?["biases"] as? Double)
        }
    }

    /// The human table names every check and the bias share; without --reference four checks run
    /// on the default input.
    func testTextTable() throws {
        let output = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-odd"])
        XCTAssertEqual(output.status, 0, output.stderr)
        for line in ["conservation pass", "gradient     pass", "determinism  pass", "finite       pass", "all 4 checks passed"] {
            XCTAssertTrue(output.stdout.contains(line), "missing \(line.debugDescription) in\n\(output.stdout)")
        }
        XCTAssertTrue(output.stdout.contains("biases"))
        XCTAssertFalse(output.stdout.contains("reference"))
        XCTAssertEqual(output.stderr, "")
    }

    /// One tensor of a copy of the checkpoint perturbed (every weight of block 1's MLP input layer
    /// + 0.05): the reference check fails, exit 1, one stderr line naming the check and the first
    /// diverging hook — the perturbed layer's output, every earlier hook still agreeing.
    func testFailsOnAPerturbedCheckpointNamingTheFirstDivergingHook() throws {
        let cases: [(model: String, tensor: String, firstHook: String)] = [
            ("gpt2-tiny", "transformer.h.1.mlp.c_fc.weight", "blocks.1.mlp.hook_pre"),
            ("llama-gqa", "model.layers.0.self_attn.k_proj.weight", "blocks.0.attn.hook_k"),
        ]
        for c in cases {
            let folder = try perturbedCopy(c.model, tensor: c.tensor)
            defer { try? FileManager.default.removeItem(at: folder) }
            let arguments = ["verify", "--model", folder.path, "--reference", "Tests/Fixtures/traces/\(c.model).json"]
            let text = try runGlassbox(arguments)
            XCTAssertEqual(text.status, 1, text.stderr)
            XCTAssertEqual(text.stderrLines.count, 1, text.stderr)
            let line = try XCTUnwrap(text.stderrLines.first)
            XCTAssertTrue(line.hasPrefix("glassbox: error: verify: check 'reference' failed: first diverging hook \(c.firstHook) "), line)
            XCTAssertTrue(text.stdout.contains("reference    FAIL"), text.stdout)

            let object = try json(try runGlassbox(arguments + ["--json"]), status: 1)
            XCTAssertEqual(object["passed"] as? Bool, false)
            XCTAssertEqual(object["failed"] as? [String], ["reference"], "the other checks still pass on the perturbed model")
            let reference = try XCTUnwrap((object["checks"] as? [String: Any])?["reference"] as? [String: Any])
            XCTAssertEqual(reference["firstFailure"] as? String, c.firstHook)
            let hooks = try XCTUnwrap(reference["hooks"] as? [[String: Any]])
            let first = try XCTUnwrap(hooks.firstIndex { $0["hook"] as? String == c.firstHook })
            XCTAssertTrue(hooks[..<first].allSatisfy { $0["passed"] as? Bool == true }, "a hook before \(c.firstHook) failed")
            let row = hooks[first]
            XCTAssertGreaterThan(try XCTUnwrap(row["maxDifference"] as? Double), 1e-2)
            XCTAssertNotNil(row["index"] as? [Int])
            XCTAssertNotNil(row["shape"] as? [Int])
        }
    }

    /// The bundled models pass on their default inputs (no --model: the Shakespeare GPT-2).
    func testBundledModelsPass() throws {
        for arguments in [["verify"], ["verify", "--model", "digits-vit", "--image", "samples/digits/digit-3.png"]] {
            let output = try runGlassbox(arguments)
            XCTAssertEqual(output.status, 0, "\(arguments): \(output.stderr)")
            XCTAssertTrue(output.stdout.contains("all 4 checks passed"), output.stdout)
        }
    }

    /// Without a reference the perturbed checkpoint still runs correctly (it is a different model,
    /// not a broken one): the self-consistency checks pass.
    func testPerturbedCheckpointPassesTheSelfConsistencyChecks() throws {
        let folder = try perturbedCopy("gpt2-tiny", tensor: "transformer.h.1.mlp.c_fc.weight")
        defer { try? FileManager.default.removeItem(at: folder) }
        XCTAssertEqual(try runGlassbox(["verify", "--model", folder.path]).status, 0)
    }

    /// Bad usage and bad files: exit 2 or 1, one line.
    func testBadInput() throws {
        let both = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny",
                                    "--reference", "Tests/Fixtures/traces/gpt2-tiny.json", "--ids", "1,2"])
        XCTAssertEqual(both.status, 2, both.stderr)
        XCTAssertEqual(both.stderrLines.count, 1)
        XCTAssertTrue(both.stderr.contains("trace's own input"), both.stderr)

        let missing = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny", "--reference", "no/such/trace.json"])
        XCTAssertEqual(missing.status, 1)
        XCTAssertEqual(missing.stderrLines.count, 1, missing.stderr)

        let notATrace = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny",
                                         "--reference", "Tests/Fixtures/models/gpt2-tiny/config.json"])
        XCTAssertEqual(notATrace.status, 1)
        XCTAssertEqual(notATrace.stderrLines.count, 1, notATrace.stderr)
        XCTAssertTrue(notATrace.stderr.contains("not usable"), notATrace.stderr)

        let wrongKind = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny",
                                         "--reference", "Tests/Fixtures/traces/vit-tiny.json"])
        XCTAssertEqual(wrongKind.status, 2, wrongKind.stderr)

        let step = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny", "--gradient-step", "0"])
        XCTAssertEqual(step.status, 2)

        let empty = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny", "--prompt", ""])
        XCTAssertEqual(empty.status, 1)
        XCTAssertEqual(empty.stderrLines.count, 1, empty.stderr)
        let imageForText = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny", "--image", "samples/digits/digit-0.png"])
        XCTAssertEqual(imageForText.status, 1)
        XCTAssertTrue(imageForText.stderr.contains("reads text"), imageForText.stderr)
        let outOfVocabulary = try runGlassbox(["verify", "--model", "Tests/Fixtures/models/gpt2-tiny", "--ids", "1,2,999"])
        XCTAssertEqual(outOfVocabulary.status, 1)
        XCTAssertEqual(outOfVocabulary.stderrLines.count, 1, outOfVocabulary.stderr)
    }

    /// A copy of a fixture model's folder with every value of `tensor` raised by 0.05.
    private func perturbedCopy(_ model: String, tensor: String) throws -> URL {
        let source = Fixtures.model(model)
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("glassbox-verify-\(model)-\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where file != "model.safetensors" {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
        }
        let checkpoint = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
        XCTAssertTrue(checkpoint.tensorNames.contains(tensor), "\(model) has no \(tensor)")
        let tensors = try checkpoint.tensorNames.map { name -> (String, Tensor) in
            var t = try checkpoint.tensor(name)
            if name == tensor { t = Tensor(shape: t.shape, storage: t.storage.map { $0 + 0.05 }) }
            return (name, t)
        }
        try SafetensorsFile.write(tensors, metadata: checkpoint.metadata,
                                  to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }
}
