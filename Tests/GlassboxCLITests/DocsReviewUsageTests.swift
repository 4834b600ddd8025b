import Foundation
import GlassboxTestSupport
import XCTest

/// Usage and messages of a docs review: each case checks the exit code and the exact error line
/// (or the printed line), so each fails on a build without its fix.
final class DocsReviewUsageTests: XCTestCase {
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"
    private let digit = "samples/digits/digit-3.png"
    private let romeo = "O Romeo, Romeo! wherefore art"

    /// The run's exit code is `status` and its only stderr line is `line`.
    private func assertError(_ arguments: [String], status: Int32, line: String,
                             file: StaticString = #filePath, lineNumber: UInt = #line) throws {
        let run = try runGlassbox(arguments)
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: lineNumber)
        XCTAssertEqual(run.stderrLines, [line], file: file, line: lineNumber)
    }

    /// A usage error (exit 2): `message` and the hint, on one line.
    private func assertUsage(_ arguments: [String], _ message: String, file: StaticString = #filePath, lineNumber: UInt = #line) throws {
        try assertError(arguments, status: 2, line: "glassbox: error: \(message) (see `glassbox help`)", file: file, lineNumber: lineNumber)
    }

    /// `trace` and `generate` read text: `--image` is bad usage before anything loads (it used to
    /// load the GPT-2), and `trace` on a vision model says so in one line (it used to talk of an
    /// empty position range, or ask for the `--image` it then could not use).
    func testTraceAndGenerateNeedText() throws {
        try assertUsage(["trace", "--image", digit, "--noise-span", "1:5"],
                        "--image: causal tracing noises token embeddings, so it needs a text model; give a prompt or --ids")
        try assertUsage(["trace", "--model", "digits-vit", "--image", digit, "--noise-span", "1:5"],
                        "--image: causal tracing noises token embeddings, so it needs a text model; give a prompt or --ids")
        try assertUsage(["generate", "--image", digit],
                        "--image: generate continues a text, so it needs a text model; give a prompt or --ids")
        try assertError(["trace", "--model", "digits-vit", "--ids", "1,2", "--noise-span", "0:1"], status: 1,
                        line: "glassbox: error: causal tracing needs a text model; this vit model reads images")
    }

    /// `explain --attention` and `--checkpoint` steer only the LRP sweep: with another method they
    /// are refused like the other methods' options (they were accepted and did nothing).
    func testAttentionAndCheckpointNeedAnLRPMethod() throws {
        for method in ["rollout", "atman", "gae", "chefer", "flow", "attention"] {
            for option in [["--checkpoint", "on"], ["--attention", "unblocked"], ["--attention", "blocked"], ["--checkpoint", "auto"]] {
                try assertUsage(["explain", romeo, "--method", method] + option,
                                "\(option[0]) applies to attnlrp, cp-lrp, grad-input, not \(method); leave it out or choose --method attnlrp")
            }
        }
        try assertUsage(["explain", romeo, "--generate", "2", "--method", "atman", "--checkpoint", "on"],
                        "--checkpoint applies to attnlrp, cp-lrp, grad-input, not atman; leave it out or choose --method attnlrp")
        let lrp = try runGlassbox(["explain", "--model", tiny, "--ids", "1,2,3", "--method", "grad-input", "--attention", "blocked",
                                   "--checkpoint", "on", "--json", "--out", temporary("lrp.png")])
        XCTAssertEqual(lrp.status, 0, lrp.stderr)
    }

    /// `evaluate --images`: patches always take the image's mean pixel value and a classifier has
    /// no explained position, so `--baseline` and `--include-target-position` are refused (they
    /// were accepted and the table said "baseline mean-pixel").
    func testEvaluateImagesRefuseTokenOptions() throws {
        for baseline in ["token:5", "mean", "zero"] {
            try assertUsage(["evaluate", "--images", "samples/digits", "--baseline", baseline, "--limit", "2"],
                            "--baseline applies to token inputs; image patches always take the image's mean pixel value, so leave it out")
        }
        try assertUsage(["evaluate", "--images", "samples/digits", "--include-target-position", "--limit", "2"],
                        "--include-target-position applies to token predictions; an image classifier's prediction has no position to keep, so leave it out")
    }

    /// Index options out of range name the option and the model's count (the library's line named
    /// neither: "layer 9 is outside 0..<2").
    func testOutOfRangeIndexesNameTheOption() throws {
        let cases: [([String], String)] = [
            (["attention", "--model", tiny, "--ids", "1,2,3", "--layer", "9"], "--layer 9 is outside 0..<2 (the model has 2 layers)"),
            (["attention", "--model", tiny, "--ids", "1,2,3", "--layer", "1", "--head", "9"], "--head 9 is outside 0..<4 (the model has 4 heads per layer)"),
            (["project", "--model", tiny, "--layer", "9", "--head", "0"], "--layer 9 is outside 0..<2 (the model has 2 layers)"),
            (["project", "--model", tiny, "--layer", "0", "--head", "9"], "--head 9 is outside 0..<4 (the model has 4 heads per layer)"),
            (["explain", "--model", tiny, "--ids", "1,2,3", "--method", "rollout", "--start-layer", "9"],
             "--start-layer 9 is outside 0..<2 (the model has 2 layers)"),
            (["explain", "--model", tiny, "--ids", "1,2,3", "--method", "chefer", "--start-layer", "2"],
             "--start-layer 2 is outside 0..<2 (the model has 2 layers)"),
            (["explain", "--model", tiny, "--ids", "1,2,3", "--generate", "2", "--method", "rollout", "--start-layer", "9"],
             "--start-layer 9 is outside 0..<2 (the model has 2 layers)"),
            (["path", "--model", tiny, "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--receivers", "4.0"],
             "--receivers 4.0: layer 4 is outside 0..<2 (the model has 2 layers)"),
            (["path", "--model", tiny, "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--receivers", "resid", "--senders", "0.7"],
             "--senders 0.7: head 7 is outside 0..<4 (the model has 4 heads per layer)"),
            (["lens", "--model", tiny, "--ids", "1,2,3", "--target-id", "99999"], "--target-id 99999 is outside 0..<128 (the model has 128 outputs)"),
            (["neurons", "--model", tiny, "--ids", "1,2,3", "--layer", "0", "--position", "5"], "--position 5 is outside the input (0..<3)"),
            (["neurons", "--model", tiny, "--ids", "1,2,3", "--layer", "9"], "--layer 9 is outside 0..<2 (the model has 2 layers)"),
        ]
        for (arguments, message) in cases {
            try assertError(arguments + ["--out", temporary("index.png")], status: 1, line: "glassbox: error: \(message)")
        }
    }

    /// Usage mistakes found before loading: `explain --image --top` (it ran the whole explanation,
    /// then failed to draw, exit 1) and `--generate` rollout with a non-zero `--discard-ratio`
    /// (the library's message, exit 1).
    func testLateUsageMistakesAreFoundFirst() throws {
        try assertUsage(["explain", "--image", digit, "--top", "3"],
                        "--top lists the strongest tokens of a text explanation; an image explanation is drawn as a patch grid, so leave out --top")
        try assertUsage(["explain", romeo, "--generate", "3", "--method", "rollout", "--discard-ratio", "0.5"],
                        "--discard-ratio 0.5 does not apply when explaining a sequence (the discarded share would depend on each row's length, so rows would differ from single-step rollout); leave it out")
        let zero = try runGlassbox(["explain", "--model", tiny, "--ids", "1,2,3", "--generate", "2", "--method", "rollout",
                                    "--discard-ratio", "0", "--json", "--out", temporary("zero.png")])
        XCTAssertEqual(zero.status, 0, zero.stderr)
    }

    /// The lens header says "(approximate)" once (the readout's description already holds it).
    func testLensHeaderSaysApproximateOnce() throws {
        let run = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/bert-cls", "hello world", "--out", temporary("lens.png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        XCTAssertEqual(run.stdout.split(separator: "\n").first, "logit lens, tied word embeddings h·Eᵀ (approximate)")
    }

    /// `help NAME` for a name that is no command is an unknown command (exit 2), not the top-level help.
    func testHelpForAnUnknownCommand() throws {
        let run = try runGlassbox(["help", "nosuch"])
        XCTAssertEqual(run.status, 2, run.stderr)
        XCTAssertEqual(run.stdout, "")
        XCTAssertEqual(run.stderrLines, ["glassbox: error: unknown command 'nosuch'; the commands are info, tokenize, predict, explain, "
                                         + "attention, lens, project, neurons, patch, trace, path, evaluate, generate, batch, merge, render, verify (see `glassbox help`)"])
        try assertUsage(["help", "explain", "nosuch"], "unknown command 'explain nosuch': explain has no subcommands")
        let known = try runGlassbox(["help", "trace"])
        XCTAssertEqual(known.status, 0, known.stderr)
        XCTAssertTrue(known.stdout.contains("USAGE: glassbox trace"), known.stdout)
    }

    /// batch names a picture from the id as the record writes it: `3.0` is `"id":3` and `2-3.png`.
    func testBatchPictureNameFollowsTheRecordsID() throws {
        let folder = temporary("batch")
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        let input = folder + "/in.jsonl"
        try "{\"id\": \"a\", \"ids\": [1, 2]}\n{\"id\": 1, \"ids\": [1, 2]}\n{\"id\": 3.0, \"ids\": [1, 2, 3]}\n{\"id\": 1e20, \"ids\": [1, 2]}\n"
            .write(toFile: input, atomically: true, encoding: .utf8)
        let run = try runGlassbox(["batch", "--model", tiny, "--in", input, "--out", folder + "/out.jsonl", "--pictures", folder + "/pics"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let records = try String(contentsOfFile: folder + "/out.jsonl", encoding: .utf8).split(separator: "\n")
        let heads = records.map { String($0.prefix { $0 != "," }) }
        XCTAssertEqual(heads, ["{\"id\":\"a\"", "{\"id\":1", "{\"id\":3", "{\"id\":1e+20"])
        let pictures = try records.map { line -> String in
            let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return URL(fileURLWithPath: try XCTUnwrap(object["picture"] as? String)).lastPathComponent
        }
        XCTAssertEqual(pictures, ["0-a.png", "1-1.png", "2-3.png", "3-1e+20.png"])
    }

    /// A fresh path under a folder removed after the test.
    private func temporary(_ name: String) -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-docsreview-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        return folder.appendingPathComponent(name).path
    }
}
