import Foundation
import GlassboxAnalysis
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The similarity objective with each of sentence-transformers' pooling modes, against
/// scripts/fixtures/generate_pooling.py (torch, the modes' formulas from sentence-transformers'
/// `Pooling`, on `bert-odd`: golden `full` explained, `short` compared). Tolerances: pooled
/// embedding and cosine 1e-5 absolute; gradient × input token relevance max|ΔR|/max|R| ≤ 1e-4.
final class EmbeddingPoolingParityTests: XCTestCase {
    static let reference = Fixtures.root.appendingPathComponent("Tests/Fixtures/pooling/bert-odd.safetensors")

    func testEveryPoolingModeMatchesTheReference() throws {
        let file = try SafetensorsFile(url: Self.reference)
        let model = try TransformerModel.load(directory: Fixtures.model("bert-odd"))
        func ids(_ key: String) throws -> [Int] { try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(file.metadata[key]).utf8)) as? [Int]) }
        let input = ModelInput.tokens(try ids("input_ids"), types: nil)
        let other = ModelInput.tokens(try ids("compare_ids"), types: nil)
        let cases = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(XCTUnwrap(file.metadata["cases"]).utf8)) as? [[Any]])
        XCTAssertEqual(cases.count, 8)
        var covered = Set<EmbeddingPooling.Mode>()
        var worst: Float = 0
        let hidden = try model.forward(input).hidden
        for entry in cases {
            let name = try XCTUnwrap(entry[0] as? String), names = try XCTUnwrap(entry[1] as? [String])
            let modes = try names.map { try XCTUnwrap(EmbeddingPooling.Mode(rawValue: $0), "unknown mode \($0)") }
            covered.formUnion(modes)
            let pooling = try XCTUnwrap(EmbeddingPooling(modes: modes))
            XCTAssertEqual(pooling.description, name)
            let pooled = pooling.pool(hidden), expected = try file.tensor("\(name).pooled").storage
            XCTAssertEqual(pooled.count, expected.count, name)
            for (ours, theirs) in zip(pooled, expected) { XCTAssertEqual(ours, theirs, accuracy: 1e-5, "\(name) pooled") }
            let result = try Relevance.explain(model, input, target: .similarity(to: other, measure: .cosine, pooling: pooling),
                                               options: .init(method: .gradientTimesInput))
            XCTAssertEqual(result.target.value, try file.tensor("\(name).value").storage[0], accuracy: 1e-5, "\(name) cosine")
            let theirs = try file.tensor("\(name).tokens").storage
            let (relative, _) = RelevanceMetrics.compare(result.tokens, theirs)
            worst = max(worst, relative)
            XCTAssertLessThanOrEqual(relative, 1e-4, "\(name) tokens: max|ΔR|/max|R| \(relative)\n" + RelevanceMetrics.sideBySide(result.tokens, theirs))
        }
        XCTAssertEqual(covered, Set(EmbeddingPooling.Mode.allCases), "every mode has a reference case")
        print("bert-odd pooling: \(cases.count) cases, gradient × input tokens max|ΔR|/max|R| \(worst)")
    }

    /// The pooling reaches AttnLRP too: with CLS pooling its explained cosine is the reference's
    /// cls value, not mean pooling's, and its token relevance differs from mean pooling's.
    func testPoolingReachesEveryMethod() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("bert-odd"))
        let input = ModelInput.tokens([2, 56, 71, 88, 12, 41, 5, 33, 16, 20, 67, 3], types: nil)
        let other = ModelInput.tokens([2, 81, 23, 37, 3], types: nil)
        let cls = try XCTUnwrap(EmbeddingPooling(modes: [.cls]))
        let mean = try Relevance.explain(model, input, target: .similarity(to: other), options: .init(method: .attnLRP))
        let first = try Relevance.explain(model, input, target: .similarity(to: other, pooling: cls), options: .init(method: .attnLRP))
        XCTAssertEqual(first.target.value, 0.939632, accuracy: 1e-5)       // generate_pooling.py's cls cosine
        XCTAssertEqual(mean.target.value, 0.961036, accuracy: 1e-5)
        XCTAssertNotEqual(first.tokens, mean.tokens)
    }
}
