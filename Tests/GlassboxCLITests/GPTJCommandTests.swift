import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the GPT-J fixtures (`model_type` "gptj") through the built
/// executable, against the committed references: the logits `GPTJForCausalLM` gave
/// (Tests/Fixtures/goldens/<model>, ≤ 1e-4) and LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/<model>/full, generate_lrp.py; ≤ 1e-3 of the largest |score|, the
/// tolerance of RelevanceParityTests).
final class GPTJCommandTests: XCTestCase {
    /// Both fixtures: partial interleaved rotary with an untied head, and the whole head rotated
    /// with a tied head (name, vocabulary size).
    let models = [("gptj-tiny", 101), ("gptj-whole", 89)]

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try runGlassbox(arguments)
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                             "stdout is not one JSON object: \(output.stdout)")
    }

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models {
            let model = "Tests/Fixtures/models/\(name)"
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
            let ids = golden.inputIDs.map(String.init).joined(separator: ",")
            let object = try json(["predict", "--model", model, "--ids", ids, "--top-k", "5", "--logits", "--json"])
            let reference = try golden.tensor("unembed.hook_out")                 // [n, V]
            let lastRow = reference.row(reference.shape[0] - 1).storage
            let referenceTop = lastRow.indices.sorted { lastRow[$0] > lastRow[$1] }
            XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, "gptj")
            XCTAssertEqual(object["position"] as? Int, golden.inputIDs.count - 1)
            let top = try XCTUnwrap(object["top"] as? [[String: Any]])
            XCTAssertEqual(top.compactMap { $0["id"] as? Int }, Array(referenceTop.prefix(5)))
            let logits = try XCTUnwrap(object["logits"] as? [Double])
            XCTAssertEqual(logits.count, vocab)
            XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(lastRow[$0.offset])) }.max()!, 0, accuracy: 1e-4, name)
        }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models {
            let model = "Tests/Fixtures/models/\(name)"
            let reference = try SafetensorsFile(url: Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance/\(name)/full.safetensors"))
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
            let ids = golden.inputIDs.map(String.init).joined(separator: ",")
            let target = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(XCTUnwrap(reference.metadata["target"]).utf8))
                                       as? [String: Any])
            let targetID = try XCTUnwrap((target["ids"] as? [Int])?.first)
            let out = try makeTemporaryFolder("gptj").appendingPathComponent("explain.png")
            for (flag, key) in [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp"), ("grad-input", "gxi")] {
                let object = try json(["explain", "--model", model, "--ids", ids, "--method", flag, "--json", "--out", out.path])
                XCTAssertEqual((object["target"] as? [String: Any])?["id"] as? Int, targetID, flag)
                let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]]).compactMap { ($0["score"] as? NSNumber)?.floatValue }
                let expected = try reference.tensor("\(key).tokens").storage
                XCTAssertEqual(scores.count, expected.count, flag)
                let scale = expected.map(abs).max()!
                XCTAssertGreaterThan(scale, 0.01, flag)
                for (a, b) in zip(scores, expected) { XCTAssertEqual(a, b, accuracy: 1e-3 * scale, "\(name) \(flag)") }
            }
        }
    }
}
