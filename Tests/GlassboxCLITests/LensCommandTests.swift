import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox lens` end to end: the last row is the model's own prediction at every position.
final class LensCommandTests: XCTestCase {
    func testLensJSONEndsWithTheModelsPrediction() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-lens-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: out) }
        let ids = [3, 14, 15, 92, 65]
        let output = try runGlassbox(["lens", "--model", "Tests/Fixtures/models/gpt2-odd", "--ids",
                                      ids.map(String.init).joined(separator: ","), "--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
        let rows = try XCTUnwrap(object["rows"] as? [[String: Any]])
        XCTAssertEqual(rows.map { $0["label"] as? String }, ["embed", "layer 0", "layer 1", "layer 2"])
        let logits = try XCTUnwrap(try TransformerModel.load(directory: Fixtures.model("gpt2-odd")).forward(ids).logits)
        let last = try XCTUnwrap(rows.last?["positions"] as? [[String: Any]])
        for (p, cell) in last.enumerated() {
            let row = logits.row(p).storage
            let top = try XCTUnwrap((cell["top"] as? [[String: Any]])?.first)
            XCTAssertEqual(top["id"] as? Int, row.indices.max { row[$0] < row[$1] })
            XCTAssertEqual(cell["kl"] as? Double ?? 1, 0, accuracy: 1e-4)
            XCTAssertEqual(cell["targetRank"] as? Int, 1)
        }
        XCTAssertEqual(try Data(contentsOf: out).prefix(4), Data([0x89, 0x50, 0x4E, 0x47]))
    }
}
