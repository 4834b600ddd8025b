import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// Sequence attribution against LXT 2.1 run once per step on the forced continuation
/// (scripts/fixtures/generate_sequence_lrp.py → Tests/Fixtures/sequence): per target row,
/// max|ΔR| / max|R| ≤ 1e-4 (the single-step LXT parity tests, RelevanceParityTests,
/// docs/methods.md §2.9, allow 1e-3) — and the step probability to 1e-5.
/// A missing model file, method or row fails.
final class SequenceParityTests: XCTestCase {
    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/sequence")
    static let models = ["gpt2-tiny", "llama-gqa", "mistral-swa"]
    static let maxRelative = 1e-4
    static let methods: [(key: String, method: RelevanceMethod)] = [("attnlrp", .attnLRP), ("cplrp", .cpLRP), ("gxi", .gradientTimesInput)]

    func testRowsMatchLXTOncePerStep() throws {
        for name in Self.models {
            let data = try Data(contentsOf: Self.folder.appendingPathComponent("\(name).json"))
            let reference = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any], name)
            let ids = try XCTUnwrap(reference["ids"] as? [Int], "\(name): ids")
            let prompt = try XCTUnwrap(reference["prompt_length"] as? Int, "\(name): prompt_length")
            let probs = try XCTUnwrap(reference["prob"] as? [Double], "\(name): prob")
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for (key, method) in Self.methods {
                let rows = try XCTUnwrap(reference[key] as? [[Double]], "\(name): no \(key) matrix in the reference")
                let s = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt,
                                                        options: SequenceOptions(method: .relevance(method)))
                XCTAssertEqual(rows.count, s.steps.count, "\(name) \(key): target count")
                var worstRelative = 0.0
                for (i, (expected, step)) in zip(rows, s.steps).enumerated() {
                    XCTAssertEqual(expected.count, step.position, "\(name) \(key) row \(i): the reference covers 0..<p")
                    let got = s.matrix[i][0..<step.position].map { Double($0 ?? .nan) }
                    XCTAssertFalse(got.contains { $0.isNaN }, "\(name) \(key) row \(i): a source before the target has no score")
                    let scale = expected.map(abs).max() ?? 0
                    XCTAssertGreaterThan(scale, 0, "\(name) \(key) row \(i): an all-zero reference proves nothing")
                    let diffs = zip(got, expected).map { abs($0 - $1) }
                    let worst = diffs.indices.max { diffs[$0] < diffs[$1] } ?? 0
                    worstRelative = max(worstRelative, diffs[worst] / scale)
                    XCTAssertLessThanOrEqual(diffs[worst] / scale, Self.maxRelative,
                                             "\(name) \(key) row \(i): max|ΔR| \(diffs[worst]) at \(worst) (Glassbox \(got[worst]), LXT \(expected[worst]), max|R| \(scale))")
                    XCTAssertEqual(Double(step.prob), probs[i], accuracy: 1e-5, "\(name) step \(i) probability")
                }
                print(String(format: "%@ %@: %d rows, worst max|ΔR|/max|R| %.1e", name, key, rows.count, worstRelative))
            }
        }
    }
}
