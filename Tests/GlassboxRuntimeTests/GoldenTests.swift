import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Every hook point of every fixture model (every folder in Tests/Fixtures/models) against Hugging
/// Face transformers, captured with torch hooks by scripts/fixtures/generate.py. Tolerance: max |Δ|
/// ≤ 1e-4 at every point (fp32 both sides).
final class GoldenTests: XCTestCase {
    static let tolerance: Float = 1e-4

    static var fixtureModels: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.models.path)) ?? []).sorted()
    }

    func testEveryFixtureModelHasGoldens() {
        XCTAssertGreaterThanOrEqual(Self.fixtureModels.count, 6)
        for name in Self.fixtureModels {
            XCTAssertFalse((try? Fixtures.goldenCases(name))?.isEmpty ?? true, "no golden cases for \(name)")
        }
    }

    func testEveryHookPointOfEveryFixtureModelMatchesTransformers() throws {
        for name in Self.fixtureModels { try Self.assertHooksMatchGoldens(name) }
    }

    /// Every golden case of fixture `name`: the hook points fired, in order, and each within
    /// ``tolerance`` of transformers'.
    static func assertHooksMatchGoldens(_ name: String) throws {
        let model = try TransformerModel.load(directory: Fixtures.model(name))
        for (caseName, file) in try Fixtures.goldenCases(name) {
            let golden = try Golden(url: file)
            let input: ModelInput = golden.file.entry("pixel_values") != nil
                ? .pixels(try golden.tensor("pixel_values")) : .tokens(golden.inputIDs, types: nil)
            let result = try model.forward(input, capture: .all)
            let captured = result.cache.order.map(\.name)
            // The reference captured exactly the points we fire, in the same order.
            XCTAssertEqual(captured, golden.hookOrder, "\(name)/\(caseName): hook list or order differs")
            XCTAssertEqual(captured, model.hookPoints.map(\.name), "\(name): hookPoints disagrees with forward")
            for hook in golden.hookOrder {
                guard let ours = result.cache[hook] else {
                    XCTFail("\(name)/\(caseName): \(hook) not captured")
                    continue
                }
                assertClose(ours, try golden.tensor(hook), tolerance: Self.tolerance, "\(name)/\(caseName) \(hook)")
            }
        }
    }
}
