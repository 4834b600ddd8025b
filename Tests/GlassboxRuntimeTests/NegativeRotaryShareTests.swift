import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Negative rotary shares, as transformers 4.53.3 reads them: `int(head_dim · share)` truncates
/// toward 0, so a share above −1 / head_dim is an empty table (`torch.arange(0, 0, 2)`, and
/// `q[..., :0]` rotates nothing: Glassbox builds no position embedding) and a lower one a negative
/// `dim`, on which `torch.arange(0, dim, 2)` fails at load (refused naming the key). StableLM and
/// Phi at share 0.0 rotate nothing too (`rotary_ndims` 0). Reference: the `negative_share` section of
/// config-head-dim/fields.json (generate_head_dim_fields.py: the fixtures' weights, one forward on
/// ids 1, 2, 3), logits within 1e-4. Before, every negative share was refused, and StableLM's and
/// Phi's 0.0 too: the eight running cases failed on that code (tried).
final class NegativeRotaryShareTests: XCTestCase {
    private struct Case: Decodable {
        let model: String
        let key: String
        let share: Double
        let outcome: String
        let error: String
        let output: [Float]?
    }
    private struct Sections: Decodable { let negative_share: [String: Case] }

    func testNegativeShares() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/config-head-dim/fields.json")
        let cases = try JSONDecoder().decode(Sections.self, from: Data(contentsOf: url)).negative_share
        XCTAssertEqual(cases.count, 16)
        XCTAssertEqual(cases.values.filter { $0.outcome == "loads" }.count, 10)
        for (label, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let folder = try EditedConfigCases.folder(expected.model, edits: [expected.key: expected.share], test: self)
            guard expected.outcome == "loads" else {
                EditedConfigCases.assertRefused(folder, naming: expected.key, label: label, transformersError: expected.error)
                continue
            }
            let model = try EditedConfigCases.assertRuns(folder, label: label, reference: try XCTUnwrap(expected.output, label))
            if let model { XCTAssertEqual(model.architecture.position, .none, label) }
        }
    }
}
