import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `predict` and `explain` on the decoder classifiers gpt2-cls and llama-cls through the built
/// executable: the class logits are transformers' (goldens' `unembed.hook_out`, ≤ 1e-4), read at
/// the last non-pad token (position 7 of gpt2-cls's "padded" input, whose last two tokens and one
/// inside are pads), and the token scores of AttnLRP, CP-LRP and gradient × input are LXT's
/// (Tests/Fixtures/relevance, ≤ 1e-3 of the largest |score|, as RelevanceParityTests).
final class DecoderClassifierCommandTests: XCTestCase {
    static let cases = [("gpt2-cls", "padded", 7), ("gpt2-cls", "full", 11), ("llama-cls", "full", 13)]

    func testPredictJSONIsTransformersLogitsAtThePooledToken() throws {
        for (name, caseName, position) in Self.cases {
            let label = "\(name)/\(caseName)"
            let golden = try Fixtures.golden(name, caseName)
            let ids = golden.inputIDs.map(String.init).joined(separator: ",")
            let object = try jsonObject(try runGlassbox(["predict", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids,
                                                         "--logits", "--json"]))
            let reference = try golden.tensor("unembed.hook_out").storage             // [1, labels]
            XCTAssertEqual(object["position"] as? Int, position, label)
            XCTAssertEqual(object["scores"] as? String, "softmax", label)
            let logits = try XCTUnwrap(object["logits"] as? [Double], label)
            XCTAssertEqual(logits.count, reference.count, label)
            for (a, b) in zip(logits, reference) { XCTAssertEqual(a, Double(b), accuracy: 1e-4, label) }
            let top = try XCTUnwrap((object["top"] as? [[String: Any]])?.first, label)
            let best = reference.indices.max { reference[$0] < reference[$1] }!
            XCTAssertEqual(top["id"] as? Int, best, label)
            let labels = name == "gpt2-cls" ? ["negative", "neutral", "positive"] : ["rejected", "chosen"]
            XCTAssertEqual(top["text"] as? String, labels[best], label)
            let e = reference.map { exp(Double($0 - reference.max()!)) }
            XCTAssertEqual(top["prob"] as? Double ?? -1, e[best] / e.reduce(0, +), accuracy: 1e-5, label)
        }
    }

    func testExplainJSONIsLXTAtThePooledToken() throws {
        for (name, caseName, position) in Self.cases {
            let reference = try SafetensorsFile(url: Fixtures.root.appendingPathComponent("Tests/Fixtures/relevance/\(name)/\(caseName).safetensors"))
            let golden = try Fixtures.golden(name, caseName)
            let ids = golden.inputIDs.map(String.init).joined(separator: ",")
            let target = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(XCTUnwrap(reference.metadata["target"]).utf8))
                                       as? [String: Any])
            XCTAssertEqual(target["position"] as? Int, position)
            let targetID = try XCTUnwrap((target["ids"] as? [Int])?.first)
            let out = try makeTemporaryFolder(name).appendingPathComponent("explain.png")
            for (flag, key) in [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp"), ("grad-input", "gxi")] {
                let label = "\(name)/\(caseName) \(flag)"
                let object = try jsonObject(try runGlassbox(["explain", "--model", "Tests/Fixtures/models/\(name)", "--ids", ids,
                                                             "--method", flag, "--json", "--out", out.path]))
                let explained = try XCTUnwrap(object["target"] as? [String: Any], label)
                XCTAssertEqual(explained["id"] as? Int, targetID, label)
                XCTAssertEqual(explained["position"] as? Int, position, label)
                let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]], label).compactMap { ($0["score"] as? NSNumber)?.floatValue }
                let expected = try reference.tensor("\(key).tokens").storage
                XCTAssertEqual(scores.count, expected.count, label)
                let scale = expected.map(abs).max()!
                XCTAssertGreaterThan(scale, 0.01, label)
                for (a, b) in zip(scores, expected) { XCTAssertEqual(a, b, accuracy: 1e-3 * scale, label) }
            }
        }
    }

    /// `--target LABEL` explains that class's logit at the pooled token; the scores sum (with the
    /// position embeddings' and the biases' shares) to about that logit, and differ from the top class's.
    func testExplainAnotherClassByLabel() throws {
        let golden = try Fixtures.golden("gpt2-cls", "padded")
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        let logits = try golden.tensor("unembed.hook_out").storage
        let out = try makeTemporaryFolder("gpt2-cls").appendingPathComponent("explain.png")
        for (index, name) in ["negative", "neutral", "positive"].enumerated() {
            let object = try jsonObject(try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-cls", "--ids", ids,
                                                         "--target", name, "--json", "--out", out.path]))
            let target = try XCTUnwrap(object["target"] as? [String: Any])
            XCTAssertEqual(target["id"] as? Int, index, name)
            XCTAssertEqual(target["text"] as? String, name)
            XCTAssertEqual(target["position"] as? Int, 7, name)
            XCTAssertEqual(target["logit"] as? Double ?? .nan, Double(logits[index]), accuracy: 1e-4, name)
        }
    }

    /// Attention rollout and AtMan run on the classifier at the pooled token: the positions after it
    /// (pads, which the causal pooled row never reads) score 0 (with row 9, the last, they would not).
    func testRolloutAndAtManRun() throws {
        let golden = try Fixtures.golden("gpt2-cls", "padded")
        let ids = golden.inputIDs.map(String.init).joined(separator: ",")
        let out = try makeTemporaryFolder("gpt2-cls").appendingPathComponent("explain.png")
        for method in ["rollout", "atman"] {
            let object = try jsonObject(try runGlassbox(["explain", "--model", "Tests/Fixtures/models/gpt2-cls", "--ids", ids,
                                                         "--method", method, "--json", "--out", out.path]))
            let scores = try XCTUnwrap(object["tokens"] as? [[String: Any]], method).compactMap { ($0["score"] as? NSNumber)?.doubleValue }
            XCTAssertEqual(scores.count, ids.split(separator: ",").count, method)
            XCTAssertEqual(Array(scores[8...]), [0, 0], method)          // after the pooled row 7
            XCTAssertGreaterThan(scores[..<8].map(abs).max()!, 0, method)
        }
    }
}
