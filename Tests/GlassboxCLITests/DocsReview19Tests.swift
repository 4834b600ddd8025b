import Foundation
import GlassboxTestSupport
import XCTest

/// Findings of the nineteenth docs-versus-behaviour review: each case checks the exit code and the
/// message (or the written value), so each fails on a build without its fix.
final class DocsReview19Tests: XCTestCase {
    private let tiny = "Tests/Fixtures/models/gpt2-tiny"
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("review19") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Writes `text` to `name` in the test's folder and returns its path.
    private func write(_ text: String, _ name: String) throws -> String {
        try text.write(toFile: path(name), atomically: true, encoding: .utf8)
        return path(name)
    }

    /// The run's exit code is `status` and its only stderr line is `line`.
    private func assertError(_ arguments: [String], status: Int32, line: String,
                             file: StaticString = #filePath, lineNumber: UInt = #line) throws {
        let run = try runGlassbox(arguments)
        XCTAssertEqual(run.status, status, run.stderr, file: file, line: lineNumber)
        XCTAssertEqual(run.stderrLines, [line], file: file, line: lineNumber)
        XCTAssertEqual(run.stdout, "", file: file, line: lineNumber)
    }

    /// A usage error (exit 2): `message` and the hint, on one line.
    private func assertUsage(_ arguments: [String], _ message: String, file: StaticString = #filePath, lineNumber: UInt = #line) throws {
        try assertError(arguments, status: 2, line: "glassbox: error: \(message) (see `glassbox help`)", file: file, lineNumber: lineNumber)
    }

    /// `evaluate --compare` refuses a causal LM and a vision model as `explain --compare` does
    /// (the bundled GPT-2 evaluated a "similarity" of its hidden states, exit 0); a JSONL
    /// `"compare"` too.
    func testEvaluateCompareNeedsATextEncoder() throws {
        let causal = "--compare evaluates the similarity of pooled embeddings of text encoders (BERT, MiniLM); this gpt2 model is a causal LM: evaluate its prediction (leave out --compare)"
        try assertError(["evaluate", "Good night, sweet prince", "--compare", "To be or not", "--methods", "attnlrp", "--out", path("e.png")],
                        status: 2, line: "glassbox: error: \(causal)")
        let prompts = try write("{\"ids\": [1, 2, 3], \"compare\": \"x\"}\n", "p.jsonl")
        try assertError(["evaluate", "--model", tiny, "--prompts", prompts, "--out", path("e.png")], status: 2, line: "glassbox: error: \(causal)")
        try assertError(["evaluate", "--model", "digits-vit", "--images", "samples/digits", "--limit", "1", "--compare", "a 3", "--out", path("e.png")],
                        status: 2, line: "glassbox: error: --compare evaluates the similarity of two texts' pooled embeddings; this vit model reads images")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("e.png")))
        // explain keeps its own advice.
        try assertError(["explain", "Good night", "--compare", "To be"], status: 2,
                        line: "glassbox: error: --compare explains the similarity of pooled embeddings of text encoders (BERT, MiniLM); this gpt2 model is a causal LM: explain its prediction, e.g. with --contrast")
    }

    /// `batch --command predict --pictures DIR` is refused before anything runs (it made an empty
    /// folder and drew nothing).
    func testBatchPredictRefusesPictures() throws {
        let inputs = try write("{\"id\": 1, \"ids\": [1, 2]}\n", "in.jsonl")
        try assertUsage(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--command", "predict", "--pictures", path("pictures")],
                        "--pictures: predict draws no picture (its record is the whole result), so leave out --pictures")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("pictures")))
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("o.jsonl")))
    }

    /// A bad `--shard` names what is wrong (it said only "The value '-1/2' is invalid").
    func testShardMessagesNameTheRule() throws {
        let inputs = try write("{\"id\": 1, \"ids\": [1, 2]}\n", "in.jsonl")
        let base = ["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--shard"]
        for (value, count) in [("-1/2", 2), ("4/4", 4), ("2/2", 2)] {
            try assertUsage(base + [value], "--shard I/N needs 0 ≤ I < N (shards count from 0: 0/\(count) … \(count - 1)/\(count)), got '\(value)'")
        }
        for value in ["1/0", "0/0", "0/-3"] { try assertUsage(base + [value], "--shard I/N needs N ≥ 1 shards, got '\(value)'") }
        for value in ["2", "a/b", "1/2/3", "/2"] {
            try assertUsage(base + [value], "--shard must be I/N, two whole numbers (this run's shard and the number of shards, e.g. 0/4), got '\(value)'")
        }
        let run = try runGlassbox(base + ["0/1", "--command", "predict"])
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    /// `--json` given to a batch (or a line's `"json"`) says the records are JSON already (it said
    /// "--json belongs before the command's options", but batch has no `--json`).
    func testBatchJSONSaysRecordsAreJSONAlready() throws {
        let message = "--json is not needed in a batch: each input's record in --out is already the JSON --json prints, so leave it out"
        let inputs = try write("{\"id\": 1, \"ids\": [1, 2]}\n", "in.jsonl")
        try assertUsage(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--json"], message)
        try assertUsage(["batch", "--model", tiny, "--in", inputs, "--out", path("o.jsonl"), "--command", "predict", "--json"], message)
        let line = try write("{\"id\": 1, \"ids\": [1, 2], \"json\": true}\n", "line.jsonl")
        let run = try runGlassbox(["batch", "--model", tiny, "--in", line, "--out", path("l.jsonl"), "--command", "predict"])
        XCTAssertEqual(run.status, 1, run.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: path("l.jsonl")))) as? [String: Any])
        XCTAssertEqual(record["error"] as? String, "line 1: \(message)")
    }

    /// `--noise-scale` states its real rule: > 0 (0 ran the whole trace and failed at its end,
    /// exit 1) and finite as a Float32 (1e40 was "must be a number ≥ 0").
    func testNoiseScaleRule() throws {
        let base = ["trace", "--model", tiny, "--ids", "1,2,3,4", "--noise-span", "0:2", "--samples", "2", "--out", path("t.png"), "--noise-scale"]
        for value in ["1e40", "inf", "-inf"] {
            try assertUsage(base + [value], "--noise-scale must be finite: at most 3.4028235e+38 (Float32's largest), got \(value)")
        }
        for value in ["0", "-3", "nan", "-0"] {
            try assertUsage(base + [value], "--noise-scale must be > 0 (0 adds no noise, so there is nothing to restore), got \(value)")
        }
        try assertUsage(base + ["1e-50"], "--noise-scale must be > 0 (0 adds no noise, so there is nothing to restore), got 1e-50, which is 0 as a Float32")
        XCTAssertFalse(FileManager.default.fileExists(atPath: path("t.png")))
        let run = try runGlassbox(base + ["1e-3"])
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    /// The JSON of `trace` and `path` has the keys docs/cli.md lists for each (trace has no
    /// `corruptedTokens` or `firstDifference`; path has `corruptedTokens`, `direction` and
    /// `"method": "path-patching"`, and no `firstDifference`).
    func testTraceAndPathKeysAsDocumented() throws {
        let trace = try jsonObject(try runGlassbox(["trace", "--model", tiny, "--ids", "1,2,3,4", "--noise-span", "0:2", "--samples", "2",
                                                    "--json", "--out", path("t.png")]))
        XCTAssertEqual(Set(trace.keys), ["command", "glassbox", "model", "method", "direction", "metric", "tokens", "noise", "results"])
        XCTAssertEqual(trace["method"] as? String, "causal-tracing")
        XCTAssertEqual(trace["direction"] as? String, "denoise")
        XCTAssertEqual(Set((trace["noise"] as? [String: Any] ?? [:]).keys), ["span", "scale", "std", "samples", "seed", "window"])
        XCTAssertEqual((trace["results"] as? [[String: Any]])?.map { $0["site"] as? String }, ["resid", "mlp", "attn"])
        let common: Set<String> = ["command", "glassbox", "model", "method", "direction", "metric", "tokens", "corruptedTokens", "senders", "receivers", "results"]
        let map = try jsonObject(try runGlassbox(["path", "--model", tiny, "--clean-ids", "1,2,3,4", "--corrupted-ids", "1,5,3,4",
                                                  "--receivers", "resid", "--json", "--out", path("p.png")]))
        XCTAssertEqual(Set(map.keys), common)
        XCTAssertEqual(map["method"] as? String, "path-patching")
        XCTAssertEqual(map["direction"] as? String, "noise")
        XCTAssertEqual((map["results"] as? [[String: Any]])?.map { $0["axes"] as? [String] }, [["layer", "head"]])
        let one = try jsonObject(try runGlassbox(["path", "--model", tiny, "--clean-ids", "1,2,3,4", "--corrupted-ids", "1,5,3,4",
                                                  "--receivers", "1.0", "--senders", "0.0", "--json"]))
        XCTAssertEqual(Set(one.keys), common.union(["patched", "effect"]))
        XCTAssertEqual((one["results"] as? [Any])?.count, 0)
        XCTAssertEqual(one["receivers"] as? [String], ["1.0.q", "1.0.k", "1.0.v"])
    }

    /// `info --json` has the documented `model.block` and `model.supportedModelTypes`; `evaluate`
    /// documents `inputs[].ids` and the protocol's keys, and leaves out `explainedPositionKept`
    /// where no token prediction is explained (it wrote `null`).
    func testInfoAndEvaluateKeys() throws {
        let info = try jsonObject(try runGlassbox(["info", "--json"]))
        let model = try XCTUnwrap(info["model"] as? [String: Any])
        XCTAssertEqual(model["block"] as? String, "sequential attention then MLP")
        let types = try XCTUnwrap(model["supportedModelTypes"] as? [String])
        XCTAssertEqual(types, types.sorted())
        XCTAssertTrue(types.contains("gpt2") && types.contains("vit"), "\(types)")

        let protocolKeys: Set<String> = ["removal", "specialTokensKept", "counts", "randomSeeds", "bootstrap"]
        let tokens = try jsonObject(try runGlassbox(["evaluate", "--model", tiny, "--prompts", try write("{\"ids\": [1, 2, 3]}\n", "ids.jsonl"),
                                                     "--methods", "attention", "--json", "--out", path("e.png")]))
        let tokenProtocol = try XCTUnwrap(tokens["protocol"] as? [String: Any])
        XCTAssertEqual(Set(tokenProtocol.keys), protocolKeys.union(["explainedPositionKept"]))
        XCTAssertEqual(tokenProtocol["explainedPositionKept"] as? Bool, true)
        XCTAssertEqual((tokens["inputs"] as? [[String: Any]])?.first?["ids"] as? [Int], [1, 2, 3])
        let image = try jsonObject(try runGlassbox(["evaluate", "--model", "digits-vit", "--images", "samples/digits", "--limit", "1",
                                                    "--methods", "attention", "--random-seeds", "1", "--json", "--out", path("i.png")]))
        XCTAssertEqual(Set((image["protocol"] as? [String: Any] ?? [:]).keys), protocolKeys)
    }

    /// verify prints its settings as the decimals they are (`1e-06`, not the widened Float
    /// `9.999999974752427e-07`).
    func testVerifySettingsAreTheirDecimals() throws {
        let object = try jsonObject(try runGlassbox(["verify", "--model", tiny, "--reference", "Tests/Fixtures/traces/gpt2-tiny.json",
                                                     "--gradient-step", "0.02", "--reference-atol", "3e-4", "--json"]))
        let checks = try XCTUnwrap(object["checks"] as? [String: Any])
        let text = try runGlassbox(["verify", "--model", tiny, "--reference", "Tests/Fixtures/traces/gpt2-tiny.json",
                                    "--gradient-step", "0.02", "--reference-atol", "3e-4", "--json"]).stdout
        XCTAssertTrue(text.contains("\"tolerance\":1e-06") || text.contains("\"tolerance\": 1e-06"), text)
        XCTAssertEqual((checks["determinism"] as? [String: Any])?["tolerance"] as? Double, 1e-6)
        let gradient = try XCTUnwrap(checks["gradient"] as? [String: Any])
        XCTAssertEqual(gradient["step"] as? Double, 0.02)
        XCTAssertEqual(gradient["tolerance"] as? Double, 0.01)
        for coordinate in gradient["coordinates"] as? [[String: Any]] ?? [] {
            XCTAssertTrue([0.02, 0.005].contains(coordinate["step"] as? Double ?? 0), "\(coordinate)")
        }
        let tolerance = try XCTUnwrap((checks["reference"] as? [String: Any])?["tolerance"] as? [String: Any])
        XCTAssertEqual(tolerance["absolute"] as? Double, 3e-4)
        XCTAssertEqual(tolerance["relative"] as? Double, 1e-4)
    }

    /// `trace` and `generate` do not advertise `--image`, which they always refuse; the refusal
    /// keeps its own message, and an input mistake names only what they take.
    func testTextCommandsDoNotListImage() throws {
        for command in ["trace", "generate"] {
            let help = try runGlassbox([command, "--help"])
            XCTAssertEqual(help.status, 0, help.stderr)
            XCTAssertFalse(help.stdout.contains("--image"), "\(command): \(help.stdout)")
            XCTAssertTrue(help.stdout.contains("--prompt-file"), help.stdout)
        }
        let predict = try runGlassbox(["predict", "--help"])
        XCTAssertTrue(predict.stdout.contains("--image <file.png>"), predict.stdout)
        try assertUsage(["trace", "--image", "samples/digits/digit-3.png", "--noise-span", "1:5"],
                        "--image: causal tracing noises token embeddings, so it needs a text model; give a prompt or --ids")
        try assertUsage(["generate", "--model", tiny], "no input: give a prompt or --ids")
        try assertUsage(["trace", "--model", tiny, "--noise-span", "0:1", "--ids", "1", "--prompt", "x"], "give one input: a prompt or --ids")
        try assertUsage(["predict", "--model", tiny], "no input: give a prompt, --ids or --image")
    }

    /// The zsh completion script completes files for the options that take one (it completed
    /// nothing after `--out`, `--in`, `--image`, `--reference`), and the fixed values docs/cli.md lists.
    func testCompletionCompletesFiles() throws {
        let run = try runGlassbox(["--generate-completion-script", "zsh"])
        XCTAssertEqual(run.status, 0, run.stderr)
        let lines = run.stdout.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let files: [(String, String)] = [
            ("--out", ":_files'"), ("--in", ":inputs.jsonl:_files'"), ("--prompt-file", ":file:_files'"),
            ("--image", #":file.png:_files -g '\''*.png'\'''"#), ("--reference", #":trace.json:_files -g '\''*.json'\'''"#),
            ("--images", ":folder:_files -/'"), ("--pictures", ":folder:_files -/'"),
        ]
        for (option, completion) in files {
            let declared = lines.filter { $0.hasPrefix("'\(option)[") }
            XCTAssertFalse(declared.isEmpty, option)
            for line in declared { XCTAssertTrue(line.hasSuffix(completion), "\(option): \(line)") }
        }
        for option in ["--metric", "--command", "--attention", "--checkpoint", "--precision", "--method"] {
            XCTAssertTrue(lines.contains { $0.hasPrefix("'\(option)[") && $0.contains("__glassbox_complete") }, option)
        }
    }

    /// The trace page's title says "noised", as the text and docs do (it said "corrupted"); the
    /// colour bar of an `atp` map says its values are estimates.
    func testTraceTitleAndEstimateLabel() throws {
        let trace = try runGlassbox(["trace", "--model", tiny, "--ids", "1,2,3,4", "--noise-span", "0:2", "--samples", "2", "--out", path("t.html")])
        XCTAssertEqual(trace.status, 0, trace.stderr)
        let page = try String(contentsOfFile: path("t.html"), encoding: .utf8)
        XCTAssertTrue(page.contains(": clean 0.627, noised 2.94e-05 · "), "no noised value in the title")
        XCTAssertFalse(page.contains("corrupted"))
        XCTAssertTrue(page.contains("\"valueLabel\":\"normalised effect\""))
        for (method, label) in [("atp", "estimated normalised effect"), ("exact", "normalised effect")] {
            let run = try runGlassbox(["patch", "--model", tiny, "--clean-ids", "1,2,3,4", "--corrupted-ids", "1,5,3,4", "--method", method,
                                       "--out", path("\(method).html")])
            XCTAssertEqual(run.status, 0, run.stderr)
            let labels = try String(contentsOfFile: path("\(method).html"), encoding: .utf8)
                .components(separatedBy: "\"valueLabel\":\"").dropFirst().map { $0.prefix { $0 != "\"" } }
            XCTAssertFalse(labels.isEmpty, method)
            XCTAssertEqual(Set(labels.map(String.init)), [label], method)
        }
    }
}
