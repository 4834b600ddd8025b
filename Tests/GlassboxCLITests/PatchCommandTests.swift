import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox patch` end to end: the JSON shape of the issue, values equal to the library's (which
/// PatchingReferenceTests checks against PyTorch), `render` redrawing the result, attribution
/// patching's agreement block, and one-line errors with the right exit codes.
final class PatchCommandTests: XCTestCase {
    static let model = "Tests/Fixtures/models/gpt2-tiny"
    static let clean = [5, 17, 33, 41, 9, 21, 60, 12]
    static let corrupted = [5, 17, 33, 44, 9, 21, 60, 12]

    private func temporary(_ ext: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-patch-\(UUID().uuidString).\(ext)")
    }

    private func ids(_ list: [Int]) -> String { list.map(String.init).joined(separator: ",") }

    func testJSONHasTheIssuesShapeAndTheLibrarysValues() throws {
        let out = temporary("png")
        defer { try? FileManager.default.removeItem(at: out) }
        let output = try runGlassbox(["patch", "--model", Self.model, "--clean-ids", ids(Self.clean),
                                      "--corrupted-ids", ids(Self.corrupted), "--answer-id", "7", "--wrong-id", "9",
                                      "--sites", "resid,attn,mlp,heads,heads-pos,qkv", "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["command"] as? String, "patch")
        XCTAssertEqual(object["method"] as? String, "exact")
        XCTAssertEqual(object["direction"] as? String, "denoise")
        XCTAssertEqual((object["tokens"] as? [[String: Any]])?.map { $0["id"] as? Int }, Self.clean)
        XCTAssertEqual((object["corruptedTokens"] as? [[String: Any]])?.map { $0["id"] as? Int }, Self.corrupted)
        let metric = try XCTUnwrap(object["metric"] as? [String: Any])
        XCTAssertEqual(metric["name"] as? String, "logit_diff")

        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        var options = PatchingOptions(metric: .logitDiff(answer: 7, wrong: 9))
        options.sites = [.residPre, .attnOut, .mlpOut, .z, .zByPosition, .q, .k, .v, .pattern]
        let library = try ActivationPatching.run(model, clean: Self.clean, corrupted: Self.corrupted, options: options)
        XCTAssertEqual(metric["clean"] as? Double ?? .nan, Double(library.cleanMetric), accuracy: 1e-6)
        XCTAssertEqual(metric["corrupted"] as? Double ?? .nan, Double(library.corruptedMetric), accuracy: 1e-6)
        let results = try XCTUnwrap(object["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["site"] as? String }, ["resid_pre", "attn_out", "mlp_out", "z", "z", "q", "k", "v", "pattern"])
        XCTAssertEqual(results[0]["axes"] as? [String], ["layer", "position"])
        XCTAssertEqual(results[3]["axes"] as? [String], ["layer", "head"])
        XCTAssertEqual(results[4]["axes"] as? [String], ["layer", "head", "position"])
        for (entry, map) in zip(results, library.maps) {
            let values = flatten(entry["values"]), raw = flatten(entry["raw"])
            XCTAssertEqual(values.count, map.effect.count, map.site)
            for (a, b) in zip(values, map.effect) { XCTAssertEqual(a, Double(b), accuracy: 1e-6, map.site) }
            for (a, b) in zip(raw, map.raw) { XCTAssertEqual(a, Double(b), accuracy: 1e-6, map.site) }
        }
        // resid_pre [layer][position]: nested as the axes say.
        let resid = try XCTUnwrap(results[0]["values"] as? [[Double]])
        XCTAssertEqual(resid.count, model.architecture.layers)
        XCTAssertEqual(resid[0].count, Self.clean.count)
        XCTAssertEqual(try Data(contentsOf: out).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))

        // render redraws the saved result without the model.
        let saved = temporary("json"), redrawn = temporary("svg")
        defer { try? FileManager.default.removeItem(at: saved); try? FileManager.default.removeItem(at: redrawn) }
        try Data(output.stdout.utf8).write(to: saved)
        let render = try runGlassbox(["render", saved.path, "--out", redrawn.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        let svg = try String(contentsOf: redrawn, encoding: .utf8)
        XCTAssertTrue(svg.contains("<svg"), "render wrote an SVG")
    }

    func testNoisingAndAttributionPatchingReportAgreement() throws {
        let out = temporary("png")
        defer { try? FileManager.default.removeItem(at: out) }
        let output = try runGlassbox(["patch", "--model", Self.model, "--clean-ids", ids(Self.clean),
                                      "--corrupted-ids", ids(Self.corrupted), "--metric", "kl", "--noising",
                                      "--method", "atp*", "--sites", "resid,heads,qkv", "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["method"] as? String, "atp*")
        XCTAssertEqual(object["direction"] as? String, "noise")
        XCTAssertEqual((object["metric"] as? [String: Any])?["name"] as? String, "kl")
        XCTAssertEqual((object["metric"] as? [String: Any])?["clean"] as? Double, 0)
        let agreement = try XCTUnwrap(object["agreement"] as? [[String: Any]])
        XCTAssertEqual(agreement.map { $0["site"] as? String }, ["resid_pre", "z", "q", "k", "v", "pattern"])
        for entry in agreement {
            let pearson = try XCTUnwrap(entry["pearson"] as? Double)
            XCTAssertTrue(pearson >= -1 && pearson <= 1, "\(entry)")
        }
        // The text summary prints the same agreement.
        let text = try runGlassbox(["patch", "--model", Self.model, "--clean-ids", ids(Self.clean),
                                    "--corrupted-ids", ids(Self.corrupted), "--method", "atp", "--out", out.path])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("agreement with exact, resid_pre: Pearson"), text.stdout)
        XCTAssertTrue(text.stderr.contains("patch  ["), "a progress bar on stderr: \(text.stderr)")
    }

    func testMistakesAreOneLineWithExitCodes() throws {
        let out = temporary("png")
        defer { try? FileManager.default.removeItem(at: out) }
        let cases: [([String], Int32, String)] = [
            (["--clean-ids", "5,6,7", "--corrupted-ids", "5,6"], 1,
             "clean and corrupted inputs must have the same number of tokens: clean has 3"),
            (["--clean-ids", "5,6,7", "--corrupted-ids", "5,6,7"], 1, "clean and corrupted inputs are the same tokens"),
            (["--clean-ids", "5,6,7", "--corrupted-ids", "5,6,8", "--sites", "resid,bogus"], 2, "unknown site 'bogus'"),
            (["--clean-ids", "5,6,7"], 2, "no corrupted input"),
            (["--clean-ids", "5,6,7", "--corrupted-ids", "5,6,8", "--answer-id", "100000"], 1, "--answer-id 100000 is outside"),
            (["--clean-ids", "5,6,7", "--corrupted-ids", "5,6,8", "--metric", "kl", "--answer-id", "3"], 2, "--metric kl compares"),
            (["--clean-ids", "5,6,7", "--corrupted-ids", "5,6,8", "--hook", "blocks.0.nope"], 2, "unknown hook point 'blocks.0.nope'"),
            (["--clean-ids", "5,6,7", "--corrupted-ids", "5,6,8", "--answer-id", "4", "--wrong-id", "4"], 2, "same token"),
        ]
        for (arguments, status, message) in cases {
            let output = try runGlassbox(["patch", "--model", Self.model, "--out", out.path] + arguments)
            XCTAssertEqual(output.status, status, "\(arguments): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains(message), "\(arguments): \(output.stderr)")
            XCTAssertEqual(output.stderr.split(separator: "\n").filter { $0.hasPrefix("glassbox: error") }.count, 1, output.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(arguments): no picture on failure")
        }
    }

    /// The head's hooks after the last block hold one row for the whole run (`[1, …]`: the
    /// predicted position, or the pooled `[CLS]` vector), not one per token: `--hook` refuses them
    /// while parsing (exit 2, one line naming the hook, nothing run, no picture); it was a
    /// `Problem(detail: "'unembed.hook_in' has 1 positions but 5 tokens")` after the whole run.
    func testHooksWithOneRowForTheWholeRunAreRefusedBeforeTheRun() throws {
        let out = temporary("png")
        defer { try? FileManager.default.removeItem(at: out) }
        let cases: [(model: String, hook: String, holds: String)] = [
            ("gpt2-tiny", "unembed.hook_in", "the output layer's input at the predicted position only"),
            ("gpt2-tiny", "unembed.hook_out", "the logits at the predicted position only"),
            ("bert-cls", "pooler.hook_out", "one pooled vector for the whole input"),
            ("bert-cls", "unembed.hook_in", "the output layer's input at the predicted position only"),
            ("bert-tiny-mlm", "mlm_head.hook_transform", "the masked-LM head at the predicted position only"),
            ("bert-tiny-mlm", "mlm_head.ln.hook_normalized", "the masked-LM head at the predicted position only"),
        ]
        for (model, hook, holds) in cases {
            let output = try runGlassbox(["patch", "--model", "Tests/Fixtures/models/" + model, "--clean-ids", "1,2,3,4,5",
                                          "--corrupted-ids", "1,7,3,4,5", "--sites", "resid", "--hook", "blocks.0.hook_resid_pre",
                                          "--hook", hook, "--json", "--out", out.path])
            XCTAssertEqual(output.status, 2, "\(model) \(hook): \(output.stderr)")
            XCTAssertEqual(output.stderr, "glassbox: error: --hook \(hook) holds \(holds), not one row per token, so it has no "
                           + "positions to patch; patch a hook with a row per token (hook_embed, blocks.L.hook_resid_pre, "
                           + "blocks.L.mlp.hook_post, ln_final.hook_normalized…) or per head (blocks.L.attn.hook_pattern, "
                           + "blocks.L.attn.hook_attn_scores), as `glassbox info` lists them (see `glassbox help`)\n")
            XCTAssertEqual(output.stdout, "", hook)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path), "\(hook): no picture")
        }
        // The hooks with a row per token or per head still patch, one map each, labelled by its axis.
        let output = try runGlassbox(["patch", "--model", Self.model, "--clean-ids", ids(Self.clean), "--corrupted-ids",
                                      ids(Self.corrupted), "--sites", "resid", "--hook", "ln_final.hook_normalized",
                                      "--hook", "blocks.0.attn.hook_pattern", "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let results = try XCTUnwrap(object["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["site"] as? String }, ["resid_pre", "ln_final.hook_normalized", "blocks.0.attn.hook_pattern"])
        XCTAssertEqual(results.map { $0["axes"] as? [String] }, [["layer", "position"], ["position"], ["head"]])
        XCTAssertEqual((results[1]["values"] as? [Double])?.count, Self.clean.count)
    }

    private func flatten(_ value: Any?) -> [Double] {
        if let numbers = value as? [Double] { return numbers }
        return (value as? [Any])?.flatMap { flatten($0) } ?? []
    }
}
