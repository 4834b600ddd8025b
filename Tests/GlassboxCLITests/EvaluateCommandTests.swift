import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox evaluate` end to end: the JSON shape the issue fixes, curves that agree with the
/// library run directly, `render` redrawing the result, the table, and bad input.
final class EvaluateCommandTests: XCTestCase {
    func temporary(_ name: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-evaluate-\(UUID().uuidString)-\(name)")
    }

    func testJSONShapeAndCurvesOnAJSONLFile() throws {
        let file = temporary("inputs.jsonl"), out = temporary("curves.png"), saved = temporary("result.json"), redrawn = temporary("redrawn.svg")
        defer { for url in [file, out, saved, redrawn] { try? FileManager.default.removeItem(at: url) } }
        let inputs = [[3, 14, 15, 92, 65, 35, 89], [7, 1, 8, 2, 8, 18, 28, 4, 5]]
        try (inputs.map { "{\"ids\": \($0)}" } + ["{\"ids\": [5, 6, 7, 8], \"target\": 11}"]).joined(separator: "\n")
            .write(to: file, atomically: true, encoding: .utf8)
        let output = try runGlassbox(["evaluate", "--model", "Tests/Fixtures/models/gpt2-odd", "--prompts", file.path,
                                      "--methods", "attnlrp,rollout", "--steps", "4", "--baseline", "mean", "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        try Data(output.stdout.utf8).write(to: saved)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["command"] as? String, "evaluate")
        XCTAssertEqual(object["baseline"] as? String, "mean")
        XCTAssertEqual(object["steps"] as? [Double], [0, 0.25, 0.5, 0.75, 1])
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]])
        XCTAssertEqual(methods.map { $0["method"] as? String }, ["attnlrp", "rollout", "random"])
        let inputEntries = try XCTUnwrap(object["inputs"] as? [[String: Any]])
        XCTAssertEqual(inputEntries.count, 3)
        XCTAssertEqual((inputEntries[2]["target"] as? [String: Any])?["id"] as? Int, 11, "the JSONL target")

        // The library on the first input, with the same protocol, gives the same curves.
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let ids = inputs[0], n = ids.count
        let logits = try XCTUnwrap(model.forward(ids, logitRows: .positions([n - 1])).logits).storage
        let top = logits.indices.max { logits[$0] < logits[$1] }!
        let runner = try PerturbationRunner(model: model, input: .tokens(ids, types: nil), target: .token(id: top, position: n - 1),
                                            baselineRow: try PerturbationBaseline.mean.row(for: model))
        let scores = try Relevance.explain(model, .tokens(ids, types: nil), target: .token(top, position: n - 1)).tokens
        let expected = try runner.curves([scores], units: Array(0..<(n - 1)), steps: 4)[0]
        for method in methods {
            let name = method["method"] as? String ?? "?"
            let perInput = try XCTUnwrap(method["inputs"] as? [[String: Any]])
            XCTAssertEqual(perInput.count, 3, name)
            let morfs = try perInput.map { try XCTUnwrap($0["morf"] as? [Double]) }
            let lerfs = try perInput.map { try XCTUnwrap($0["lerf"] as? [Double]) }
            for curve in morfs + lerfs { XCTAssertEqual(curve.count, 5, name) }
            XCTAssertEqual(morfs[0][0], Double(runner.original.probability), accuracy: 1e-6, "\(name): step 0 is the unperturbed input")
            // The mean curves and the ABPC are the means over inputs.
            let mean = try XCTUnwrap(method["morf"] as? [Double])
            for j in 0..<5 { XCTAssertEqual(mean[j], morfs.map { $0[j] }.reduce(0, +) / 3, accuracy: 1e-6, name) }
            let abpcs = zip(morfs, lerfs).map { FaithfulnessMetrics.area($1) - FaithfulnessMetrics.area($0) }
            XCTAssertEqual(try XCTUnwrap(method["abpc"] as? Double), abpcs.reduce(0, +) / 3, accuracy: 1e-6, name)
            let interval = try XCTUnwrap(method["abpcInterval"] as? [Double])
            XCTAssertEqual(interval.count, 2)
            XCTAssertLessThanOrEqual(interval[0], method["abpc"] as! Double)
            XCTAssertGreaterThanOrEqual(interval[1], method["abpc"] as! Double)
            for key in ["comprehensiveness", "sufficiency", "comprehensivenessInterval", "sufficiencyInterval", "lerf"] {
                XCTAssertNotNil(method[key], "\(name): \(key)")
            }
            if name == "attnlrp" {
                for j in 0..<5 {
                    XCTAssertEqual(morfs[0][j], Double(expected.morf.probabilities[j]), accuracy: 1e-6, "attnlrp MoRF step \(j)")
                    XCTAssertEqual(lerfs[0][j], Double(expected.lerf.probabilities[j]), accuracy: 1e-6, "attnlrp LeRF step \(j)")
                }
            }
        }
        XCTAssertEqual(try Data(contentsOf: out).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))

        let render = try runGlassbox(["render", saved.path, "--out", redrawn.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertTrue(try String(contentsOf: redrawn, encoding: .utf8).contains("<svg"))
    }

    /// `--save-json` writes what `--json` prints, byte for byte, and still prints the table: one
    /// run gives both (scripts/evaluation/run.sh).
    func testSaveJSONWritesWhatJSONPrintsAndTheTable() throws {
        let file = temporary("inputs.jsonl"), out = temporary("curves.png"), saved = temporary("saved.json")
        defer { for url in [file, out, saved] { try? FileManager.default.removeItem(at: url) } }
        try "{\"ids\": [3, 14, 15, 92, 65, 35]}\n{\"ids\": [7, 1, 8, 2, 8]}".write(to: file, atomically: true, encoding: .utf8)
        let args = ["evaluate", "--model", "Tests/Fixtures/models/gpt2-odd", "--prompts", file.path,
                    "--methods", "grad-input,rollout", "--steps", "3", "--out", out.path]
        let printed = try runGlassbox(args + ["--json"])
        XCTAssertEqual(printed.status, 0, printed.stderr)
        let table = try runGlassbox(args + ["--save-json", saved.path])
        XCTAssertEqual(table.status, 0, table.stderr)
        for expected in ["ABPC", "grad-input", "rollout", "random", "picture:"] {
            XCTAssertTrue(table.stdout.contains(expected), "missing \(expected) in\n\(table.stdout)")
        }
        XCTAssertFalse(printed.stdout.isEmpty)
        XCTAssertEqual(String(decoding: try Data(contentsOf: saved), as: UTF8.self), printed.stdout)
    }

    func testTableOnTheBundledModelWithTheRandomisationCheck() throws {
        let out = temporary("table.png")
        defer { try? FileManager.default.removeItem(at: out) }
        let output = try runGlassbox(["evaluate", "The king hath sent for thee, my lord", "--methods", "grad-input,attention",
                                      "--randomization", "1", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        for expected in ["ABPC", "grad-input", "attention", "random", "randomisation check", "top 4", "picture:"] {
            XCTAssertTrue(output.stdout.contains(expected), "missing \(expected) in\n\(output.stdout)")
        }
        XCTAssertTrue(output.stderr.contains("evaluate"), "a progress bar on stderr")
    }

    /// A bare encoder explains a similarity (`--compare`): curves of the cosine, AtMan refused.
    func testSimilarityOnABareEncoder() throws {
        let out = temporary("similarity.png")
        defer { try? FileManager.default.removeItem(at: out) }
        let base = ["evaluate", "--model", "Tests/Fixtures/models/bert-odd", "the of and to in", "--compare", "is was for on"]
        let output = try runGlassbox(base + ["--methods", "attnlrp,rollout", "--steps", "3", "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["quantity"] as? String, "similarity")
        let input = try XCTUnwrap((object["inputs"] as? [[String: Any]])?.first)
        XCTAssertEqual(input["units"] as? Int, (input["length"] as? Int ?? 0) - 2, "[CLS] and [SEP] are kept")
        let target = try XCTUnwrap(input["target"] as? [String: Any])
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]])
        XCTAssertEqual(methods.map { $0["method"] as? String }, ["attnlrp", "rollout", "random"])
        for method in methods {
            let curve = try XCTUnwrap((method["inputs"] as? [[String: Any]])?.first?["morf"] as? [Double])
            XCTAssertEqual(curve[0], try XCTUnwrap(target["value"] as? Double), accuracy: 1e-6, "step 0 is the unperturbed cosine")
        }
        let atman = try runGlassbox(base + ["--methods", "atman", "--out", out.path])
        XCTAssertEqual(atman.status, 2)
        XCTAssertTrue(atman.stderr.contains("atman needs a prediction head"), atman.stderr)
        let noCompare = try runGlassbox(["evaluate", "--model", "Tests/Fixtures/models/bert-odd", "the of and", "--out", out.path])
        XCTAssertEqual(noCompare.status, 2)
        XCTAssertTrue(noCompare.stderr.contains("--compare"), noCompare.stderr)
    }

    /// The default methods leave out Chefer's transformer attribution where its relevance
    /// propagation is not defined (GPT-NeoX's parallel residual), with one note on stderr, once per
    /// batch too; the same default run on a similarity leaves out AtMan the same way. Named in
    /// `--methods`, each is still refused.
    func testDefaultMethodsLeaveOutThoseThatCannotRun() throws {
        let file = temporary("ids.jsonl"), lines = temporary("batch.jsonl"), out = temporary("curves.png"), records = temporary("records.jsonl")
        defer { for url in [file, lines, out, records] { try? FileManager.default.removeItem(at: url) } }
        try "{\"ids\": [5, 17, 3, 44, 9, 12, 30]}\n".write(to: file, atomically: true, encoding: .utf8)
        let note = "evaluate: left out chefer of the default methods: Chefer et al.'s relevance propagation is not defined here for gpt_neox (parallel residual)"
        let model = ["--model", "Tests/Fixtures/models/neox-parallel"]
        let output = try runGlassbox(["evaluate"] + model + ["--prompts", file.path, "--steps", "3", "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        XCTAssertEqual(output.stderr.components(separatedBy: note).count, 2, "one note:\n\(output.stderr)")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let methods = try XCTUnwrap(object["methods"] as? [[String: Any]]).map { $0["method"] as? String }
        XCTAssertEqual(methods, ["attnlrp", "cp-lrp", "grad-input", "gae", "atman", "rollout", "attention", "random"])

        let named = try runGlassbox(["evaluate"] + model + ["--prompts", file.path, "--methods", "attnlrp,chefer", "--out", out.path])
        XCTAssertEqual(named.status, 1)
        XCTAssertEqual(named.stderr.trimmingCharacters(in: .whitespacesAndNewlines),
                       "glassbox: error: Chefer et al.'s relevance propagation is not defined here for gpt_neox (parallel residual); use attnlrp, cp-lrp, grad-input or gae")

        try "{\"id\": 1, \"ids\": [5, 17, 3, 44]}\n{\"id\": 2, \"ids\": [9, 12, 30, 8]}\n".write(to: lines, atomically: true, encoding: .utf8)
        let batch = try runGlassbox(["batch", "--command", "evaluate"] + model + ["--in", lines.path, "--out", records.path, "--steps", "2"])
        XCTAssertEqual(batch.status, 0, batch.stderr)
        XCTAssertEqual(batch.stderr.components(separatedBy: note).count, 2, "one note for the batch:\n\(batch.stderr)")
        let written = try String(contentsOf: records, encoding: .utf8).split(separator: "\n")
        XCTAssertEqual(written.count, 2)
        XCTAssertFalse(written.contains { $0.contains("\"chefer\"") || $0.contains("\"error\"") }, written.joined(separator: "\n"))

        let similarity = try runGlassbox(["evaluate", "--model", "Tests/Fixtures/models/bert-odd", "the of and to", "--compare", "is was",
                                          "--steps", "2", "--json", "--out", out.path])
        XCTAssertEqual(similarity.status, 0, similarity.stderr)
        XCTAssertTrue(similarity.stderr.contains("evaluate: left out atman of the default methods: atman needs a prediction head"), similarity.stderr)
        let compared = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(similarity.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(compared["methods"] as? [[String: Any]]).map { $0["method"] as? String },
                       ["attnlrp", "cp-lrp", "grad-input", "gae", "chefer", "rollout", "attention", "random"])
    }

    func testImagesAndBadInput() throws {
        let out = temporary("digits.png")
        defer { try? FileManager.default.removeItem(at: out) }
        let images = try runGlassbox(["evaluate", "--images", "samples/digits", "--limit", "2", "--methods", "attnlrp",
                                      "--steps", "3", "--json", "--out", out.path])
        XCTAssertEqual(images.status, 0, images.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(images.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["baseline"] as? String, "mean-pixel")
        XCTAssertEqual((object["inputs"] as? [Any])?.count, 2)

        let bad = temporary("bad.jsonl")
        defer { try? FileManager.default.removeItem(at: bad) }
        try "{\"ids\": [1, 2, 3]}\n{\"ids\": \"x\"}\n".write(to: bad, atomically: true, encoding: .utf8)
        let unknownKey = temporary("unknown-key.jsonl")
        defer { try? FileManager.default.removeItem(at: unknownKey) }
        try "{\"id\": 1, \"ids\": [1, 2, 3]}\n{\"ids\": [1, 2], \"bogus\": true}\n".write(to: unknownKey, atomically: true, encoding: .utf8)
        // Every line reference reads FILE:LINE: (a record's own problem said "FILE: line N:").
        let negative = temporary("negative-target.jsonl"), outside = temporary("outside-target.jsonl")
        defer { [negative, outside].forEach { try? FileManager.default.removeItem(at: $0) } }
        try "{\"ids\": [1, 2, 3, 4], \"target\": -1}\n".write(to: negative, atomically: true, encoding: .utf8)
        try "{\"ids\": [1, 2, 3, 4], \"target\": 99999}\n".write(to: outside, atomically: true, encoding: .utf8)
        let cases: [([String], Int32, String)] = [
            (["evaluate", "--model", "Tests/Fixtures/models/gpt2-odd", "--prompts", negative.path], 1,
             "error: \(negative.path):1: \"target\" -1 is not a token id"),
            (["evaluate", "--model", "Tests/Fixtures/models/gpt2-odd", "--prompts", outside.path, "--methods", "rollout"], 1,
             "error: \(outside.path):1: \"target\" 99999 is outside"),
            (["evaluate", "hello there", "--steps", "0"], 2, "--steps must be at least 1"),
            (["evaluate", "hello there", "--steps", "100000000"], 2, "--steps must be at most 1000"),
            (["evaluate", "hello there", "--random-seeds", "100000000"], 2, "--random-seeds must be at most 1000"),
            (["evaluate", "hello there", "--baseline", "noise"], 2, "--baseline must be zero, mean or token:ID"),
            (["evaluate", "hello there", "--methods", "attnlrp,magic"], 2, "unknown method 'magic'"),
            (["evaluate"], 2, "no input"),
            (["evaluate", "--model", "Tests/Fixtures/models/gpt2-odd", "--prompts", bad.path], 1, "\(bad.path):2: \"ids\" must be"),
            (["evaluate", "--model", "Tests/Fixtures/models/gpt2-odd", "--prompts", unknownKey.path], 1, "\(unknownKey.path):2: unknown key \"bogus\""),
            (["evaluate", "hello there", "--baseline", "token:999999"], 1, "outside the vocabulary"),
            (["evaluate", "--prompts", "/nonexistent/file.txt"], 1, "/nonexistent/file.txt"),
        ]
        for (arguments, status, message) in cases {
            let output = try runGlassbox(arguments)
            XCTAssertEqual(output.status, status, "\(arguments): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains(message), "\(arguments): \(output.stderr)")
            XCTAssertEqual(output.stderr.split(separator: "\n").filter { $0.hasPrefix("glassbox: error") }.count, 1, "\(arguments)")
        }
        // A prompts file that is not UTF-8: fix the file (evaluate has no --replace-invalid-utf8 to suggest).
        let latin1 = temporary("latin1.txt")
        defer { try? FileManager.default.removeItem(at: latin1) }
        try Data([0x63, 0x61, 0x66, 0xE9, 0x0A]).write(to: latin1)
        let invalid = try runGlassbox(["evaluate", "--prompts", latin1.path])
        XCTAssertEqual(invalid.status, 1, invalid.stderr)
        XCTAssertEqual(invalid.stderrLines, ["glassbox: error: '\(latin1.path)' is not valid UTF-8: byte 0xE9 at byte offset 3; fix the file"])
    }

    /// JSON `true` / `false` in a prompts record's `"ids"` or as its `"target"` are refused naming
    /// the line, as `batch` and `--ids` refuse them: Foundation boxes them as the numbers 1 and 0,
    /// which evaluate ran as token ids (red team 31: `{"ids": [true, false, 2]}` evaluated ids 1, 0, 2).
    func testBooleanIdsAndTargetsAreRefused() throws {
        let cases = [("{\"ids\": [true, false, 2]}\n", "\"ids\" must be a non-empty list of integers"),
                     ("{\"ids\": [1, 2, 3], \"target\": true}\n", "\"target\" must be a token text, a class label or an id")]
        for (i, (line, message)) in cases.enumerated() {
            let file = temporary("boolean-\(i).jsonl")
            defer { try? FileManager.default.removeItem(at: file) }
            try line.write(to: file, atomically: true, encoding: .utf8)
            let run = try runGlassbox(["evaluate", "--model", "Tests/Fixtures/models/gpt2-odd", "--prompts", file.path,
                                       "--methods", "rollout", "--steps", "2", "--out", temporary("boolean-\(i).png").path])
            XCTAssertEqual(run.status, 1, run.stderr)
            XCTAssertEqual(run.stderrLines, ["glassbox: error: \(file.path):1: \(message)"], line)
        }
    }
}
