import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Logits of fixtures run with an edited config.json against transformers 4.53.3 on the same edit
/// (scripts/fixtures/generate_edited_logits.py → Tests/Fixtures/edited-logits/<name>.safetensors,
/// metadata `fixture` and `config_edits`): every golden input, every position, ≤ 1e-4 (fp32 both
/// sides). A case the generator lists but the folder lacks, or one it holds that is not listed here,
/// fails.
final class EditedConfigLogitsTests: XCTestCase {
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/edited-logits")
    /// Mixtral with yarn rope_scaling and an explicit head_dim, which transformers runs (without the
    /// original length, and with one in rope_scaling); PhiMoE with use_sliding_window false (no
    /// window) and with a top-level original_max_position_embeddings below rope_scaling's (the
    /// factors switch at it, the mscale at rope_scaling's).
    static let cases = ["mixtral-moe~yarn", "mixtral-moe~yarn-original", "phimoe-tiny~original-top", "phimoe-tiny~unslid"]
    static let tolerance: Float = 1e-4

    func testLogitsMatchTransformers() throws {
        let present = try FileManager.default.contentsOfDirectory(atPath: Self.folder.path)
            .filter { $0.hasSuffix(".safetensors") }.map { String($0.dropLast(".safetensors".count)) }.sorted()
        XCTAssertEqual(present, Self.cases, "regenerate with scripts/fixtures/generate_edited_logits.py")
        for name in Self.cases {
            let file = try SafetensorsFile(url: Self.folder.appendingPathComponent("\(name).safetensors"))
            let fixture = try XCTUnwrap(file.metadata["fixture"], "\(name): no metadata 'fixture'")
            let edits = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(file.metadata["config_edits"]).utf8))
                                      as? [String: Any], "\(name): 'config_edits' is not a JSON object")
            let inputs = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(try XCTUnwrap(file.metadata["input_ids"]).utf8))
                                       as? [String: [Int]], "\(name): 'input_ids' is not a JSON object of id lists")
            XCTAssertFalse(inputs.isEmpty, "\(name): no inputs")
            let folder = try Fixtures.folder(config: try Fixtures.editedConfigText(fixture, edits), weights: Fixtures.weights(fixture),
                                             test: self, label: name)
            let model = try TransformerModel.load(directory: folder)
            if fixture.hasPrefix("mixtral") {
                guard case .rotary(let rope) = model.architecture.position, case .yarn = rope.scaling else {
                    return XCTFail("\(name): not loaded with yarn scaling")
                }
            }
            var worst: Float = 0
            for (input, ids) in inputs.sorted(by: { $0.key < $1.key }) {
                let expected = try file.tensor("\(input).logits")                        // [n, V]
                let logits = try XCTUnwrap(try model.forward(ids).logits)                 // [n, V]
                XCTAssertEqual(logits.shape, expected.shape, "\(name)/\(input)")
                for (a, b) in zip(logits.storage, expected.storage) { worst = max(worst, abs(a - b)) }
            }
            XCTAssertLessThanOrEqual(worst, Self.tolerance, "\(name): max |Δlogit|")
            print("\(name): max |Δlogit| \(worst)")
        }
    }
}
