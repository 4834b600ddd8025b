import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox patch --method atp*`: `values` and `raw` hold the AtP* estimate (the library's, which
/// PatchingAtPStarReferenceTests checks against PyTorch), `ranking` GradDrop's score; the text
/// summary orders AtP* maps by the ranking and says so; `render` draws results with and without
/// `ranking`.
final class PatchAtPStarCommandTests: XCTestCase {
    static let model = PatchCommandTests.model
    static let clean = PatchCommandTests.clean, corrupted = PatchCommandTests.corrupted
    static let heading = "strongest by GradDrop ranking (a score, not an effect):"

    private func temporary(_ ext: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-atpstar-\(UUID().uuidString).\(ext)")
    }

    private func arguments(_ method: String, _ out: URL) -> [String] {
        ["patch", "--model", Self.model, "--clean-ids", Self.clean.map(String.init).joined(separator: ","),
         "--corrupted-ids", Self.corrupted.map(String.init).joined(separator: ","), "--answer-id", "7", "--wrong-id", "9",
         "--sites", "resid,heads,qkv", "--method", method, "--out", out.path]
    }

    func testJSONHasEstimatesAsValuesAndTheRankingApart() throws {
        let out = temporary("png")
        defer { try? FileManager.default.removeItem(at: out) }
        let output = try runGlassbox(arguments("atp*", out) + ["--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let results = try XCTUnwrap(object["results"] as? [[String: Any]])

        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        var options = PatchingOptions(metric: .logitDiff(answer: 7, wrong: 9))
        options.sites = [.residPre, .z, .q, .k, .v, .pattern]
        var star = AttributionPatching.Options()
        star.star = true
        let library = try AttributionPatching.run(model, clean: Self.clean, corrupted: Self.corrupted, options: options, attribution: star)
        XCTAssertEqual(results.count, library.maps.count)
        var differing = 0
        for (entry, map) in zip(results, library.maps) {
            let values = flatten(entry["values"]), ranking = flatten(entry["ranking"]), raw = flatten(entry["raw"])
            let expected = try XCTUnwrap(map.ranking, map.site)
            XCTAssertEqual(values.count, map.effect.count, map.site)
            XCTAssertEqual(ranking.count, values.count, "\(map.site): ranking has the values' shape")
            XCTAssertEqual((entry["ranking"] as? [[Double]])?.map(\.count), (entry["values"] as? [[Double]])?.map(\.count),
                           "\(map.site): nested as the axes say, like values")
            for (a, b) in zip(values, map.effect) { XCTAssertEqual(a, Double(b), accuracy: 1e-6, "\(map.site) values") }
            for (a, b) in zip(raw, map.raw) { XCTAssertEqual(a, Double(b), accuracy: 1e-6, "\(map.site) raw") }
            for (a, b) in zip(ranking, expected) { XCTAssertEqual(a, Double(b), accuracy: 1e-6, "\(map.site) ranking") }
            differing += zip(values, ranking).filter { abs($0 - $1) > 1e-2 }.count
        }
        XCTAssertGreaterThan(differing, 0, "GradDrop changes some cells, so values and ranking differ there")

        let plain = try runGlassbox(arguments("atp", out) + ["--json"])
        XCTAssertEqual(plain.status, 0, plain.stderr)
        let plainObject = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(plain.stdout.utf8)) as? [String: Any])
        for entry in try XCTUnwrap(plainObject["results"] as? [[String: Any]]) {
            XCTAssertNil(entry["ranking"], "plain AtP has no ranking")
        }

        // render draws the result as written and as an older Glassbox wrote it (no `ranking`).
        var old = object
        old["results"] = results.map { entry in entry.filter { $0.key != "ranking" } }
        for (label, json) in [("with ranking", object), ("without ranking", old)] {
            let saved = temporary("json"), redrawn = temporary("svg")
            defer { try? FileManager.default.removeItem(at: saved); try? FileManager.default.removeItem(at: redrawn) }
            try JSONSerialization.data(withJSONObject: json).write(to: saved)
            let render = try runGlassbox(["render", saved.path, "--out", redrawn.path])
            XCTAssertEqual(render.status, 0, "\(label): \(render.stderr)")
            XCTAssertTrue(try String(contentsOf: redrawn, encoding: .utf8).contains("<svg"), label)
        }
    }

    func testTextOrdersAtPStarByTheRankingAndSaysSo() throws {
        let out = temporary("png")
        defer { try? FileManager.default.removeItem(at: out) }
        let json = try runGlassbox(arguments("atp*", out) + ["--json"])
        XCTAssertEqual(json.status, 0, json.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let text = try runGlassbox(arguments("atp*", out))
        XCTAssertEqual(text.status, 0, text.stderr)
        for entry in try XCTUnwrap(object["results"] as? [[String: Any]]) {
            let site = try XCTUnwrap(entry["site"] as? String)
            let line = try XCTUnwrap(text.stdout.split(separator: "\n").first { $0.hasPrefix("  \(site) [") }, "\(site) in \(text.stdout)")
            XCTAssertTrue(line.contains(Self.heading), String(line))
            // The first cell listed is the largest |ranking|, printed with its ranking and its estimate.
            let values = flatten(entry["values"]), ranking = flatten(entry["ranking"])
            let top = try XCTUnwrap(ranking.indices.max { abs(ranking[$0]) < abs(ranking[$1]) }, "\(site): a ranking")
            let columns = values.count / 2            // gpt2-tiny: 2 layers
            let axis = site == "resid_pre" ? "p" : "h"
            let first = String(format: "%@ l%d %@%d %.3f (estimate %.3f)", Self.heading, top / columns, axis, top % columns,
                               ranking[top], values[top])
            XCTAssertTrue(line.contains(first), "\(line) should start with \(first)")
        }
        let plain = try runGlassbox(arguments("atp", out))
        XCTAssertEqual(plain.status, 0, plain.stderr)
        XCTAssertFalse(plain.stdout.contains("GradDrop"), plain.stdout)
        XCTAssertTrue(plain.stdout.contains("resid_pre [layer × position]: strongest l"), plain.stdout)
    }

    /// Nested JSON numbers, row-major.
    private func flatten(_ value: Any?) -> [Double] {
        if let numbers = value as? [Double] { return numbers }
        return (value as? [Any])?.flatMap { flatten($0) } ?? []
    }
}
