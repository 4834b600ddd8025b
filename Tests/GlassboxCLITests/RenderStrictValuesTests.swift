import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `render` after the red-team review of result values: a number beyond float32's range is refused
/// by every kind of result (as a single explain record was), naming its place; an attention weight
/// outside [0, 1] is refused; a value of the wrong kind (`"x"`, `{}`, `[]`, `true`, null where the
/// writer never writes null) is refused naming its key, never read as missing or as the number 1.
final class RenderStrictValuesTests: XCTestCase {
    private var folder: URL!
    private let model = "Tests/Fixtures/models/gpt2-tiny"

    override func setUpWithError() throws { folder = try makeTemporaryFolder("renderstrict") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// Runs `arguments` on gpt2-tiny with `--json` and returns the object it printed.
    private func result(_ arguments: [String]) throws -> [String: Any] {
        let run = try runGlassbox(arguments + ["--model", model, "--json", "--out", path("made.png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
    }

    /// `value` with the entry at `place` (keys and indices, outermost first) set to `new`.
    private func replacing(_ value: Any, at place: ArraySlice<Any>, with new: Any) throws -> Any {
        guard let first = place.first else { return new }
        if let index = first as? Int {
            var list = try XCTUnwrap(value as? [Any], "\(place)")
            list[index] = try replacing(list[index], at: place.dropFirst(), with: new)
            return list
        }
        var object = try XCTUnwrap(value as? [String: Any], "\(place)")
        let key = try XCTUnwrap(first as? String)
        object[key] = try replacing(object[key] as Any, at: place.dropFirst(), with: new)
        return object
    }

    /// Saves `object` with `place` set to `new` and returns the file's path.
    private func save(_ object: [String: Any], _ place: [Any], _ new: Any, as name: String) throws -> String {
        let changed = try replacing(object, at: place[...], with: new)
        let file = path(name)
        try JSONSerialization.data(withJSONObject: changed).write(to: URL(fileURLWithPath: file))
        return file
    }

    /// Asserts that `render FILE` refuses with exit 1 and the one line `FILE: expected`, for a
    /// picture and a page, writing neither.
    private func assertRefused(_ file: String, _ expected: String, extra: [String] = [], file source: StaticString = #filePath, line: UInt = #line) throws {
        for out in ["out.png", "out.html"] {
            let run = try runGlassbox(["render", file, "--out", path(out)] + extra)
            XCTAssertEqual(run.status, 1, run.stderr, file: source, line: line)
            XCTAssertEqual(run.stderrLines, ["glassbox: error: \(file): \(expected)"], out, file: source, line: line)
            XCTAssertFalse(FileManager.default.fileExists(atPath: path(out)), out, file: source, line: line)
        }
    }

    /// A sequence explanation's score beyond float32 (1e39) is refused with explain's message
    /// shape, naming the cell, by the fast reader's fallback and the ordinary reader alike (it was
    /// drawn saturated under `--color-scale max`, ignored by the scale, and carried into the page);
    /// 3.4028235e38 (float32's largest) is still drawn.
    func testASequenceScoreBeyondFloat32IsRefused() throws {
        let sequence = try result(["explain", "--ids", "1,2,3,4", "--generate", "4"])
        let file = try save(sequence, ["matrix", 1, 2], 1e39, as: "sequence.json")
        try assertRefused(file, "not a readable sequence explanation (sequence explanation: matrix[1][2]'s score 1e+39 is not a finite 32-bit float)",
                          extra: ["--color-scale", "max"])
        let largest = try save(sequence, ["matrix", 1, 2], Double(Float.greatestFiniteMagnitude), as: "largest.json")
        let run = try runGlassbox(["render", largest, "--out", path("largest.png"), "--color-scale", "max"])
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    /// An attention weight beyond float32, outside [0, 1] (by more than 1e-4) or `true` is refused
    /// naming its place (1e308 was shown as "weight 0.0000" on the page; 5 and -1 were drawn);
    /// 1 + 5e-5 (rounding) is still drawn.
    func testAttentionWeightsOutOfRangeOrMistypedAreRefused() throws {
        let attention = try result(["attention", "--ids", "1,2,3,4,5,6,7,8"])
        let place: [Any] = ["attention", 0, 0, 7, 7]
        let cases: [(String, Any, String)] = [
            ("huge", 1e308, "attention[0][0][7][7]'s weight 1e+308 is not a finite 32-bit float"),
            ("five", 5, "attention[0][0][7][7]'s weight 5.0 is outside [0, 1]"),
            ("negative", -1, "attention[0][0][7][7]'s weight -1.0 is outside [0, 1]"),
            ("small", -0.001, "attention[0][0][7][7]'s weight -0.001 is outside [0, 1]"),
            ("true", true, "attention[0][0][7][7]: expected a number, got a boolean"),
            ("string", "0.5", "attention[0][0][7][7]: expected a number, got a string"),
        ]
        for (name, value, message) in cases {
            try assertRefused(try save(attention, place, value, as: "attention-\(name).json"), "not a readable attention result (\(message))")
        }
        let rounded = try save(attention, place, 1 + 5e-5, as: "attention-rounded.json")
        let run = try runGlassbox(["render", rounded, "--out", path("rounded.html")])
        XCTAssertEqual(run.status, 0, run.stderr)
    }

    /// `"view"` and `"causal"` of another kind or an unknown view are refused (they were read as
    /// the grid view and as not causal).
    func testAttentionSettingsOfTheWrongKindAreRefused() throws {
        let attention = try result(["attention", "--ids", "1,2,3,4"])
        let cases: [(String, Any, String)] = [
            ("view", "x", "view: expected matrix, grid or lines, got \"x\""),
            ("view", 3, "view: expected a string, got a number"),
            ("causal", "x", "causal: expected true or false, got a string"),
            ("causal", 1, "causal: expected true or false, got a number"),
            ("query", true, "query: expected an integer, got a boolean"),
        ]
        for (index, (key, value, message)) in cases.enumerated() {
            try assertRefused(try save(attention, [key], value, as: "settings-\(index).json"), "not a readable attention result (\(message))")
        }
    }

    /// Patch, trace and path maps: a value beyond float32 (drawn saturated under a ±1.4 scale) or
    /// `true` (read as 1) is refused naming its place.
    func testPatchingValuesBeyondFloat32OrMistypedAreRefused() throws {
        let patch = try result(["patch", "--clean-ids", "1,2,3,4,5,6,7,8", "--corrupted-ids", "1,2,3,4,5,6,7,9",
                                "--answer-id", "7", "--wrong-id", "9"])
        try assertRefused(try save(patch, ["results", 0, "values", 1, 7], 1e308, as: "patch-huge.json"),
                          "not a readable patch result (results[0].values[1][7]'s value 1e+308 is not a finite 32-bit float)")
        try assertRefused(try save(patch, ["results", 3, "values", 1, 2], true, as: "patch-true.json"),
                          "not a readable patch result (results[3].values[1][2]: expected a number, got a boolean)")
        let trace = try result(["trace", "--ids", "1,2,3,4,5,6,7,8", "--noise-span", "0:2"])
        try assertRefused(try save(trace, ["results", 0, "values", 0, 0], true, as: "trace-true.json"),
                          "not a readable trace result (results[0].values[0][0]: expected a number, got a boolean)")
        let pathResult = try result(["path", "--clean-ids", "1,2,3,4,5,6,7,8", "--corrupted-ids", "1,2,3,4,5,6,7,9",
                                     "--answer-id", "7", "--wrong-id", "9", "--receivers", "resid"])
        try assertRefused(try save(pathResult, ["results", 0, "values", 0, 0], true, as: "path-true.json"),
                          "not a readable path result (results[0].values[0][0]: expected a number, got a boolean)")
    }

    /// An evaluation's metric of another kind — a string, an object, a list, `true`, or null
    /// (`evaluate` always writes a number) — is refused naming it (it was dropped from the title
    /// and shown as null); so is `true` in a curve or the steps. A result without the metric
    /// still draws.
    func testEvaluationValuesOfTheWrongKindAreRefused() throws {
        try "{\"ids\": [1, 2, 3, 4, 5, 6]}\n".write(toFile: path("prompts.jsonl"), atomically: true, encoding: .utf8)
        let run = try runGlassbox(["evaluate", "--model", model, "--prompts", path("prompts.jsonl"), "--methods", "grad-input",
                                   "--steps", "4", "--json", "--out", path("made.png")])
        XCTAssertEqual(run.status, 0, run.stderr)
        let evaluation = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let kinds: [(Any, String)] = [("x", "a string"), ([String: Any](), "an object"), ([Any](), "a list"), (true, "a boolean"), (NSNull(), "null")]
        for key in ["abpc", "comprehensiveness", "sufficiency"] {
            for (index, (value, kind)) in kinds.enumerated() {
                try assertRefused(try save(evaluation, ["methods", 0, key], value, as: "\(key)-\(index).json"),
                                  "not a readable evaluate result (methods[0].\(key): expected a number, got \(kind))")
            }
        }
        try assertRefused(try save(evaluation, ["methods", 1, "lerf", 2], true, as: "curve.json"),
                          "not a readable evaluate result (methods[1].lerf[2]: expected a number, got a boolean)")
        try assertRefused(try save(evaluation, ["steps", 1], true, as: "steps.json"),
                          "not a readable evaluate result (steps[1]: expected a number, got a boolean)")
        var methods = try XCTUnwrap(evaluation["methods"] as? [[String: Any]])
        methods[0]["abpc"] = nil
        let missing = try save(evaluation, ["methods"], methods, as: "missing.json")
        let drawn = try runGlassbox(["render", missing, "--out", path("missing.png")])
        XCTAssertEqual(drawn.status, 0, drawn.stderr)
    }
}
