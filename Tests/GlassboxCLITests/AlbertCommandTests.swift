import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The analysis commands on the ALBERT fixtures through the built executable. `predict` / `explain`
/// with albert-cls's prompt through its own SentencePiece tokenizer: the ids are AutoTokenizer's and
/// the logits transformers' (the golden "prompt" case, scripts/fixtures/generate.py; 1e-4 on logits,
/// GoldenTests' bound, 1e-5 on probabilities); the masked LM on the golden "full" ids (masks at 3
/// and 8). The relevance scores equal the library's and AttnLRP / CP-LRP conserve; agreement with
/// LXT is RelevanceParityTests'. Embedding-space projection is refused in one line (E ≠ d).
final class AlbertCommandTests: XCTestCase {
    private var out: URL!

    override func setUp() {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-albert-\(UUID().uuidString).png")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: out) }

    private func golden(_ model: String, _ name: String) throws -> (ids: [Int], logits: Tensor) {
        let golden = try Golden(url: Fixtures.goldens.appendingPathComponent("\(model)/\(name).safetensors"))
        return (golden.inputIDs, try golden.tensor("unembed.hook_out"))
    }

    /// `predict --prompt` on albert-cls: AutoTokenizer's ids, the three classes by name with
    /// transformers' logits.
    func testPredictClassifiesAPromptAsTransformers() throws {
        let (ids, logits) = try golden("albert-cls", "prompt")
        let output = try runGlassbox(["predict", "--model", "Tests/Fixtures/models/albert-cls", "--prompt", "The dog ran to the river.", "--json"])
        XCTAssertEqual(output.status, 0, output.stderr)
        let record = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        XCTAssertEqual(try XCTUnwrap(record["tokens"] as? [[String: Any]]).compactMap { $0["id"] as? Int }, ids)
        let top = try XCTUnwrap(record["top"] as? [[String: Any]])
        XCTAssertEqual(top.count, 3)
        let labels = ["negative", "neutral", "positive"]
        for entry in top {
            let id = try XCTUnwrap(entry["id"] as? Int)
            XCTAssertEqual(entry["text"] as? String, labels[id])
            XCTAssertEqual(try XCTUnwrap(entry["logit"] as? Double), Double(logits[0, id]), accuracy: 1e-4, labels[id])
        }
    }

    /// `explain --json`: the target (albert-cls's `[CLS]` class; albert-mlm's first `[MASK]`, position 3)
    /// is transformers' top prediction with its logit and probability; every relevance method's
    /// token scores equal the library's, AttnLRP and CP-LRP conserve.
    func testExplainTargetsAndRelevanceMatch() throws {
        for (model, caseName, position) in [("albert-cls", "prompt", 0), ("albert-mlm", "full", 3)] {
            let (ids, logits) = try golden(model, caseName)
            let row = logits.row(position).storage
            let top = row.indices.max { row[$0] < row[$1] }!
            let peak = row.max()!
            let probability = 1 / row.map { Double(exp($0 - peak)) }.reduce(0, +)
            let library = try TransformerModel.load(directory: Fixtures.model(model))
            let list = ids.map(String.init).joined(separator: ",")
            for (flag, method) in [("attnlrp", RelevanceMethod.attnLRP), ("cp-lrp", .cpLRP), ("grad-input", .gradientTimesInput)] {
                let record = try runGlassboxJSON(["explain", "--ids", list, "--method", flag], model: model, out: out)
                assertFiniteJSON(record, "\(model) \(flag)")
                let target = try XCTUnwrap(record["target"] as? [String: Any])
                XCTAssertEqual(target["position"] as? Int, position, model)
                XCTAssertEqual(target["id"] as? Int, top, model)
                XCTAssertEqual(try XCTUnwrap(target["logit"] as? Double), Double(row[top]), accuracy: 1e-4, model)
                XCTAssertEqual(try XCTUnwrap(target["prob"] as? Double), probability, accuracy: 1e-5, model)
                XCTAssertEqual((record["model"] as? [String: Any])?["architecture"] as? String, "albert")
                let scores = try XCTUnwrap(record["tokens"] as? [[String: Any]]).compactMap { ($0["score"] as? NSNumber)?.floatValue }
                let expected = try Relevance.explain(library, .tokens(ids, types: nil), target: .top(position: position),
                                                     options: RelevanceOptions(method: method))
                XCTAssertEqual(scores.count, ids.count)
                for (a, b) in zip(scores, expected.tokens) { XCTAssertEqual(a, b, accuracy: 1e-5 * max(1, abs(b)), "\(model) \(flag)") }
                guard method != .gradientTimesInput else { continue }
                XCTAssertLessThan(abs(expected.budget.unaccounted), 1e-4 * max(1, abs(expected.budget.explained)), "\(model) \(flag)")
            }
            for flag in ["atman", "rollout", "flow", "attention"] {
                let record = try runGlassboxJSON(["explain", "--ids", list, "--method", flag], model: model, out: out)
                assertFiniteJSON(record, "\(model) \(flag)")
                XCTAssertEqual((record["tokens"] as? [Any])?.count, ids.count, "\(model) \(flag)")
            }
            let lens = try runGlassboxJSON(["lens", "--ids", list], model: model, out: out)
            assertFiniteJSON(lens, "\(model) lens")
            XCTAssertEqual((lens["rows"] as? [Any])?.count, library.architecture.layers + 1, "\(model) lens")
        }
    }

    /// `project` has no embedding matrix in the residual stream to read through: exit 1, one line.
    func testProjectionIsRefusedInOneLine() throws {
        let output = try runGlassbox(["project", "--model", "Tests/Fixtures/models/albert-mlm", "--layer", "0", "--neuron", "2"])
        XCTAssertEqual(output.status, 1, output.stderr)
        XCTAssertEqual(output.stderr.split(separator: "\n").count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("16 wide"), output.stderr)
    }
}
