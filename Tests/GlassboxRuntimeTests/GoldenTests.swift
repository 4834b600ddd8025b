import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Every hook point of every fixture model against Hugging Face transformers, captured with torch
/// hooks by scripts/fixtures/generate.py. Tolerance: max |Δ| ≤ 1e-4 at every point (fp32 both sides).
final class GoldenTests: XCTestCase {
    static let tolerance: Float = 1e-4
    static let fixtureModels = ["gpt2-tiny", "gpt2-odd", "gpt2-sharded", "bert-tiny-mlm", "bert-odd", "bert-cls"]

    func testEveryHookPointOfEveryFixtureModelMatchesTransformers() throws {
        for name in Self.fixtureModels {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let cases = try Fixtures.goldenCases(name)
            XCTAssertFalse(cases.isEmpty, "no golden cases for \(name)")
            for (caseName, file) in cases {
                let golden = try Golden(url: file)
                let result = try model.forward(golden.inputIDs, capture: .all)
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
}
