import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the GPT-Neo fixtures (`model_type` "gpt_neo") through the
/// built executable, against the committed references: the logits `GPTNeoForCausalLM` gave
/// (Tests/Fixtures/goldens/gptneo-*/full, ≤ 1e-4) and LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/gptneo-*/full, generate_lrp.py; ≤ 1e-3 of the largest |score|, the
/// tolerance of RelevanceParityTests). The 12- and 11-token inputs cross the local windows (3, 4).
final class GPTNeoCommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("gptneo-tiny", 101), ("gptneo-local", 97)]

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try runGlassbox(arguments)
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                             "stdout is not one JSON object: \(output.stdout)")
    }

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models {
            let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(name)/full.safetensors"))
            let ids = golden.inputIDs.map(String.init).joined(separator: ",")
            let object = try json(["predict", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids,
                                   "--top-k", "5", "--logits", "--json"])
            let reference = try golden.tensor("unembed.hook_out")                 // [n, V]
            let lastRow = reference.row(reference.shape[0] - 1).storage
            let referenceTop = lastRow.indices.sorted { lastRow[$0] > lastRow[$1] }
            XCTAssertEqual((object["model"] as? [String: Any])?["architecture"] as? String, "gpt_neo", name)
            XCTAssertEqual(object["position"] as? Int, golden.inputIDs.count - 1, name)
            let top = try XCTUnwrap(object["top"] as? [[String: Any]])
            XCTAssertEqual(top.compactMap { $0["id"] as? Int }, Array(referenceTop.prefix(5)), name)
            let logits = try XCTUnwrap(object["logits"] as? [Double])
            XCTAssertEqual(logits.count, vocab, name)
            XCTAssertEqual(logits.enumerated().map { abs($0.element - Double(lastRow[$0.offset])) }.max()!, 0, accuracy: 1e-4, name)
        }
    }

    /// `info` names the unscaled scores, the local layers' windows and the parameter count
    /// (GPTNeoForCausalLM.num_parameters(): 26736).
    func testInfoNamesUnscaledScoresAndLocalWindows() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/gptneo-local"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("block        sequential attention then MLP; scores not scaled by 1/√dh"), info.stdout)
        XCTAssertTrue(info.stdout.contains("positions    learned; sliding windows layer 0: 4, layer 1: 4\n"), info.stdout)
        XCTAssertTrue(info.stdout.contains("width        d 24, mlp 96 (gelu)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   26.7k"), info.stdout)
        let gpt2 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/gpt2-tiny"])
        XCTAssertFalse(gpt2.stdout.contains("not scaled"), gpt2.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        let out = try makeTemporaryFolder("gptneo").appendingPathComponent("explain.png")
        for (name, _) in models {
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
