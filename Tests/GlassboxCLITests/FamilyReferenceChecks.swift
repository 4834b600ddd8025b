import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The two reference checks every causal-LM family's command tests run on a fixture
/// `Tests/Fixtures/models/<name>`, through the built executable, on the golden "full" input:
/// `predict --json` against the logits transformers gave (Tests/Fixtures/goldens/<name>/full,
/// ≤ 1e-4) and `explain --json` against LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/<name>/full, generate_lrp.py; ≤ 1e-3 of the largest |score|, the
/// tolerance of RelevanceParityTests). Failures are reported at the caller's line, labelled with the
/// fixture (and method).
extension XCTestCase {
    /// `predict --top-k 5 --logits --json`: the architecture is `architecture`, the position the last
    /// token, the top 5 ids the reference's, and every logit of that row within 1e-4 of it. The
    /// logits are `vocabulary` many, or as many as the reference row holds when `vocabulary` is nil.
    func assertPredictMatchesTransformersLogits(_ name: String, vocabulary: Int?, architecture: String,
                                                file: StaticString = #filePath, line: UInt = #line) throws {
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        let object = try jsonObject(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids,
                                                     "--top-k", "5", "--logits", "--json"]), file: file, line: line)
        let reference = try golden.tensor("unembed.hook_out")                 // [n, V]
        let lastRow = reference.row(reference.shape[0] - 1).storage
        let referenceTop = lastRow.indices.sorted { lastRow[$0] > lastRow[$1] }
        XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, architecture, name, file: file, line: line)
        XCTAssertEqual(object["position"] as? Int, golden.inputIDs.count - 1, name, file: file, line: line)
        let top = try XCTUnwrap(object["top"] as? [[String: Any]], name, file: file, line: line)
        XCTAssertEqual(top.compactMap { $0["id"] as? Int }, Array(referenceTop.prefix(5)), name, file: file, line: line)
        let logits = try XCTUnwrap(object["logits"] as? [Double], name, file: file, line: line)
        XCTAssertEqual(logits.count, vocabulary ?? lastRow.count, name, file: file, line: line)
        XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(lastRow[$0.offset])) }.max()!, 0, accuracy: 1e-4, name,
                       file: file, line: line)
    }

    /// `explain --json` with `--method` attnlrp, cp-lrp and grad-input (or `methods`): the target id is the
    /// reference's, and the token scores are LXT's (`attnlrp`, `cplrp`, `gxi.tokens`) within 1e-3 of
    /// their largest |score|, which must exceed 0.01. `arguments` are added to each run (`--position`).
    func assertExplainMatchesLXT(_ name: String, methods: [(flag: String, key: String)] = [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp"), ("grad-input", "gxi")],
                                 arguments: [String] = [], file: StaticString = #filePath, line: UInt = #line) throws {
        let reference = try SafetensorsFile(url: Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance/\(name)/full.safetensors"))
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        let target = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(XCTUnwrap(reference.metadata["target"]).utf8))
                                   as? [String: Any], name, file: file, line: line)
        let targetID = try XCTUnwrap((target["ids"] as? [Int])?.first, name, file: file, line: line)
        let out = try makeTemporaryFolder(name).appendingPathComponent("explain.png")
        for (flag, key) in methods {
            let label = "\(name) \(flag)"
            let object = try jsonObject(try runGlassbox(["explain", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids,
                                                         "--method", flag, "--json", "--out", out.path] + arguments), file: file, line: line)
            XCTAssertEqual((object["target"] as? [String: Any])?["id"] as? Int, targetID, label, file: file, line: line)
            let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]], label, file: file, line: line)
                .compactMap { ($0["score"] as? NSNumber)?.floatValue }
            let expected = try reference.tensor("\(key).tokens").storage
            XCTAssertEqual(scores.count, expected.count, label, file: file, line: line)
            let scale = expected.map(abs).max()!
            XCTAssertGreaterThan(scale, 0.01, label, file: file, line: line)
            for (a, b) in zip(scores, expected) { XCTAssertEqual(a, b, accuracy: 1e-3 * scale, label, file: file, line: line) }
        }
    }
}
