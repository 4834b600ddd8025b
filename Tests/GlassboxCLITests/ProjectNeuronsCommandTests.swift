import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox project` and `glassbox neurons` end to end against the library.
final class ProjectNeuronsCommandTests: XCTestCase {
    let model = "Tests/Fixtures/models/gpt2-odd"
    private var out: URL!

    override func setUp() {
        out = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-proj-\(UUID().uuidString).png")
    }

    override func tearDown() { try? FileManager.default.removeItem(at: out) }

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try runGlassbox(arguments + ["--json", "--out", out.path])
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any])
    }

    func testProjectOVPairsAndFFNValues() throws {
        let m = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let pairs = try XCTUnwrap(try json(["project", "--model", model, "--layer", "1", "--head", "2", "--top-k", "4"])["pairs"]
            as? [[String: Any]])
        let expected = try HeadProjection.pairs(m, layer: 1, head: 2, matrix: .ov, k: 4)
        XCTAssertEqual(pairs.compactMap { $0["from"] as? Int }, expected.pairs.map(\.from))
        XCTAssertEqual(pairs.compactMap { $0["to"] as? Int }, expected.pairs.map(\.to))

        let value = try XCTUnwrap((try json(["project", "--model", model, "--layer", "0", "--neuron", "5", "--top-k", "3"])["projections"]
            as? [[String: Any]])?.first)
        let top = try XCTUnwrap(value["top"] as? [[String: Any]])
        XCTAssertEqual(top.compactMap { $0["id"] as? Int }, try ParameterProjection.ffnValue(m, layer: 0, neuron: 5, k: 3).top.map(\.id))
        XCTAssertTrue(FileManager.default.fileExists(atPath: out.path))
    }

    /// A head's pair listing is a top-k heap over `V × V` pairs: more than 10,000 is refused as bad
    /// usage before the model loads (5,000,000 ran past a minute at 2.4 GB on a 2,048-token vocabulary);
    /// the library's `HeadProjection.pairs` lists what it is asked for (a small vocabulary's whole table).
    func testProjectPairsTopKIsBounded() throws {
        for what in ["ov", "qk"] {
            let refused = try runGlassbox(["project", "--model", model, "--layer", "0", "--head", "0", "--what", what,
                                           "--top-k", "10001", "--out", out.path])
            XCTAssertEqual(refused.status, 2, refused.stderr)
            XCTAssertTrue(refused.stderr.contains("--top-k lists at most 10000 token pairs for \(what), got 10001"), refused.stderr)
            XCTAssertFalse(FileManager.default.fileExists(atPath: out.path))
        }
        XCTAssertEqual(try json(["project", "--model", model, "--layer", "0", "--head", "0", "--top-k", "10000"])["head"] as? Int, 0)
    }

    func testNeuronsSubUpdates() throws {
        let m = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let object = try json(["neurons", "--model", model, "--ids", "3,14,15,92", "--layer", "2", "--top-k", "3"])
        let updates = try XCTUnwrap((object["subUpdates"] as? [String: Any])?["updates"] as? [[String: Any]])
        let expected = try FFNMemories.dominantSubUpdates(m, .tokens([3, 14, 15, 92], types: nil), layers: [2], count: 3)
        XCTAssertEqual(updates.compactMap { $0["neuron"] as? Int }, expected.layers[0].updates.map(\.neuron))
        let usage = try runGlassbox(["neurons", "--model", model, "--layer", "0"])
        XCTAssertEqual(usage.status, 2)
    }
}
