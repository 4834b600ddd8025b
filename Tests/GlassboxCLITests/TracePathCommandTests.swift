import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox trace` and `glassbox path` end to end: JSON values equal the library's, render
/// redraws the trace, and mistakes are one line with exit codes.
final class TracePathCommandTests: XCTestCase {
    static let model = "Tests/Fixtures/models/gpt2-tiny"
    static let clean = [5, 17, 33, 41, 9, 21, 60, 12]
    static let corrupted = [5, 17, 33, 44, 9, 21, 60, 12]

    private func temporary(_ ext: String) -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-trace-\(UUID().uuidString).\(ext)")
    }

    private func ids(_ list: [Int]) -> String { list.map(String.init).joined(separator: ",") }

    private func flatten(_ value: Any?) -> [Double] {
        if let numbers = value as? [Double] { return numbers }
        return (value as? [Any])?.flatMap { flatten($0) } ?? []
    }

    func testTraceJSONMatchesTheLibraryAndRenders() throws {
        let out = temporary("png")
        defer { try? FileManager.default.removeItem(at: out) }
        let output = try runGlassbox(["trace", "--model", Self.model, "--ids", ids(Self.clean), "--noise-span", "2:4",
                                      "--samples", "3", "--window", "2", "--seed", "5", "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["command"] as? String, "trace")
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        var options = CausalTracing.Options(noiseSpan: 2..<4)
        options.samples = 3
        options.window = 2
        options.seed = 5
        let library = try CausalTracing.run(model, ids: Self.clean, options: options)
        let results = try XCTUnwrap(object["results"] as? [[String: Any]])
        XCTAssertEqual(results.map { $0["site"] as? String }, ["resid", "mlp", "attn"])
        for (entry, map) in zip(results, library.maps) {
            XCTAssertEqual(entry["axes"] as? [String], ["layer", "position"])
            let raw = flatten(entry["raw"])
            XCTAssertEqual(raw.count, map.raw.count)
            for (a, b) in zip(raw, map.raw) { XCTAssertEqual(a, Double(b), accuracy: 1e-6, map.site) }
        }
        let metric = try XCTUnwrap(object["metric"] as? [String: Any])
        XCTAssertEqual(metric["corrupted"] as? Double ?? .nan, Double(library.corruptedProb), accuracy: 1e-6)
        let saved = temporary("json"), redrawn = temporary("png")
        defer { try? FileManager.default.removeItem(at: saved); try? FileManager.default.removeItem(at: redrawn) }
        try Data(output.stdout.utf8).write(to: saved)
        let render = try runGlassbox(["render", saved.path, "--out", redrawn.path])
        XCTAssertEqual(render.status, 0, render.stderr)
        XCTAssertEqual(try Data(contentsOf: redrawn).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
    }

    func testPathJSONMatchesTheLibrary() throws {
        let output = try runGlassbox(["path", "--model", Self.model, "--clean-ids", ids(Self.clean),
                                      "--corrupted-ids", ids(Self.corrupted), "--answer-id", "7", "--wrong-id", "9",
                                      "--senders", "0.1,0.2", "--receivers", "1.0.q,1.3", "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(object["command"] as? String, "path")
        XCTAssertEqual(object["receivers"] as? [String], ["1.0.q", "1.3.q", "1.3.k", "1.3.v"])
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let library = try PathPatching.run(model, clean: Self.clean, corrupted: Self.corrupted,
                                           senders: [.init(layer: 0, head: 1), .init(layer: 0, head: 2)],
                                           receivers: [.head(layer: 1, head: 0, input: .q), .head(layer: 1, head: 3, input: .q),
                                                       .head(layer: 1, head: 3, input: .k), .head(layer: 1, head: 3, input: .v)],
                                           options: PatchingOptions(metric: .logitDiff(answer: 7, wrong: 9)))
        XCTAssertEqual(object["patched"] as? Double ?? .nan, Double(library.patched!), accuracy: 1e-6)
        XCTAssertEqual(object["effect"] as? Double ?? .nan, Double(library.effect!), accuracy: 1e-6)
    }

    func testMistakesAreOneLineWithExitCodes() throws {
        let base = ["--model", Self.model]
        let cases: [([String], Int32, String)] = [
            (["trace", "--ids", "1,2,3", "--noise-span", "2"], 2, "--noise-span must be A:B"),
            (["trace", "--ids", "1,2,3", "--noise-span", "2:9"], 1, "reaches past the input's 3 tokens"),
            (["trace", "--ids", "1,2,3", "--noise-span", "0:1", "--window", "0"], 2, "--window must be at least 1"),
            (["path", "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--receivers", "1.x"], 2, "--receivers wants"),
            (["path", "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--receivers", "0.1.q", "--senders", "1.0"], 1,
             "is not after sender"),
            (["path", "--clean-ids", "1,2,3", "--corrupted-ids", "1,2,4", "--receivers", "1.9.q"], 1, "head 9 is outside"),
        ]
        for (arguments, status, message) in cases {
            let output = try runGlassbox(Array(arguments.prefix(1)) + base + Array(arguments.dropFirst()))
            XCTAssertEqual(output.status, status, "\(arguments): \(output.stderr)")
            XCTAssertTrue(output.stderr.contains(message), "\(arguments): \(output.stderr)")
        }
    }

    /// Noise that leaves p(answer) where it was (gemma3-text's prediction is saturated, p = 1 either
    /// way) is refused as `patch` refuses equal metrics: exit 1, one line saying what to try, no
    /// all-zero map on stdout.
    func testTraceRefusesNoiseThatLeavesTheProbabilityUnchanged() throws {
        let output = try runGlassbox(["trace", "--model", "Tests/Fixtures/models/gemma3-text", "--ids", "5,17,3,44,9,12,30",
                                      "--noise-span", "0:2", "--samples", "2", "--json"])
        XCTAssertEqual(output.status, 1, output.stdout)
        XCTAssertTrue(output.stderr.contains("the noise did not change the answer's probability"), output.stderr)
        XCTAssertTrue(output.stderr.contains("try a larger --noise-scale or a longer or earlier --noise-span"), output.stderr)
        let errors = output.stderr.split(separator: "\n").filter { $0.contains("error") }   // besides the progress bar
        XCTAssertEqual(errors.count, 1, output.stderr)
        XCTAssertTrue(errors.first?.hasPrefix("glassbox: error: the noise") ?? false, output.stderr)
        XCTAssertEqual(output.stdout, "", "no result is written")
    }
}
