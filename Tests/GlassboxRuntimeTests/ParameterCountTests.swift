import Foundation
import GlassboxDefaults
import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// `TransformerWeights.parameterCount` (`glassbox info`'s "parameters", and with `residentBytes`
/// the weights' share of every memory estimate) equals transformers' `num_parameters()` for every
/// fixture and bundled model (Tests/Fixtures/parameter-counts.json, from
/// scripts/fixtures/generate_parameter_counts.py). Exact: counts are integers. It used to leave out
/// a vision model's patch projection and `[CLS]` row, sandwich norms and QK-norms.
final class ParameterCountTests: XCTestCase {
    func testEveryModelCountsWhatTransformersCounts() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/parameter-counts.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let counts = try XCTUnwrap(object["models"] as? [String: Int])
        XCTAssertGreaterThanOrEqual(counts.count, 40)
        let bundled = Dictionary(uniqueKeysWithValues: BundledModel.allCases.compactMap { model in
            model.directory.map { (model.rawValue, $0) }
        })
        var checked = 0
        for (name, expected) in counts.sorted(by: { $0.key < $1.key }) {
            let directory = bundled[name] ?? Fixtures.model(name)
            let model = try TransformerModel.load(directory: directory)
            XCTAssertEqual(model.weights.parameterCount, expected, name)
            checked += 1
        }
        XCTAssertEqual(checked, counts.count)
    }

    /// The resident bytes of an f32 checkpoint are 4 bytes per distinct parameter.
    func testFloat32ResidentBytesAreFourPerParameter() throws {
        for name in ["vit-tiny", "gemma3-text", "gemma3-mm", "qwen3-qknorm", "olmo2-postnorm", "mixtral-moe", "gpt2-tiny"] {
            let weights = try TransformerModel.load(directory: Fixtures.model(name)).weights
            XCTAssertEqual(weights.residentBytes, 4 * weights.parameterCount, name)
        }
    }
}
