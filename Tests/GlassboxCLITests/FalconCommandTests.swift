import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the Falcon fixtures (`model_type` "falcon": one per fused
/// layout and block shape) through the built executable, against the committed references: the
/// logits `FalconForCausalLM` gave (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4) and LXT's
/// relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// generate_lrp.py; ≤ 1e-3 of the largest |score|, the tolerance of RelevanceParityTests).
final class FalconCommandTests: XCTestCase {
    let models = ["falcon-mq", "falcon-newarch", "falcon-seq"]

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try runGlassbox(arguments)
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                             "stdout is not one JSON object: \(output.stdout)")
    }

    func testPredictJSONMatchesTransformersLogits() throws {
        for name in models {
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
            let ids = golden.inputIDs.map(String.init).joined(separator: ",")
            let object = try json(["predict", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids, "--top-k", "5", "--logits", "--json"])
            let reference = try golden.tensor("unembed.hook_out")                 // [n, V]
            let lastRow = reference.row(reference.shape[0] - 1).storage
            let referenceTop = lastRow.indices.sorted { lastRow[$0] > lastRow[$1] }
            XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, "falcon", name)
            XCTAssertEqual(object["position"] as? Int, golden.inputIDs.count - 1, name)
            let top = try XCTUnwrap(object["top"] as? [[String: Any]])
            XCTAssertEqual(top.compactMap { $0["id"] as? Int }, Array(referenceTop.prefix(5)), name)
            let logits = try XCTUnwrap(object["logits"] as? [Double])
            XCTAssertEqual(logits.count, lastRow.count, name)
            XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(lastRow[$0.offset])) }.max()!, 0, accuracy: 1e-4, name)
        }
    }

    func testExplainJSONMatchesLXT() throws {
        let out = try makeTemporaryFolder("falcon").appendingPathComponent("explain.png")
        for name in models {
            let reference = try SafetensorsFile(url: Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance/\(name)/full.safetensors"))
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
            let ids = golden.inputIDs.map(String.init).joined(separator: ",")
            let target = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(XCTUnwrap(reference.metadata["target"]).utf8))
                                       as? [String: Any])
            let targetID = try XCTUnwrap((target["ids"] as? [Int])?.first)
            for (flag, key) in [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp"), ("grad-input", "gxi")] {
                let label = "\(name) \(flag)"
                let object = try json(["explain", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids, "--method", flag,
                                       "--json", "--out", out.path])
                XCTAssertEqual((object["target"] as? [String: Any])?["id"] as? Int, targetID, label)
                let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]]).compactMap { ($0["score"] as? NSNumber)?.floatValue }
                let expected = try reference.tensor("\(key).tokens").storage
                XCTAssertEqual(scores.count, expected.count, label)
                let scale = expected.map(abs).max()!
                XCTAssertGreaterThan(scale, 0.01, label)
                for (a, b) in zip(scores, expected) { XCTAssertEqual(a, b, accuracy: 1e-3 * scale, label) }
            }
        }
    }
}
