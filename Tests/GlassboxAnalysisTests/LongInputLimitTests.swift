import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The other methods at length: rollout's top-down row against the full matrix, the size limits of
/// rollout and flow (typed `AnalysisError.tooLarge`), and AtMan's time estimate.
final class LongInputLimitTests: XCTestCase {
    /// `explain`'s row (vector–matrix products, top-down) equals the row of the full rollout
    /// `Ã_L ⋯ Ã_s` to 1e-6 on two fixture models and several options.
    func testExplainedRowEqualsTheFullRolloutRow() throws {
        let ids = [3, 14, 15, 92, 65, 35, 89, 79, 32, 38]
        var compared = 0
        for name in ["gpt2-odd", "gpt2-tiny"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            for options in [RolloutOptions(), RolloutOptions(headFusion: .max), RolloutOptions(startLayer: 1, discardRatio: 0.3)] {
                let layers = try AttentionRollout.layerMatrices(model, .tokens(ids, types: nil), options: options)
                let full = try AttentionRollout.fullMatrix(layers)
                for p in [0, 4, ids.count - 1] {
                    let row = try AttentionRollout.explain(model, .tokens(ids, types: nil), position: p, options: options).scores
                    assertClose(Tensor(shape: [ids.count], storage: row), full.row(p), tolerance: 1e-6, "\(name) \(options) row \(p)")
                    compared += 1
                }
            }
        }
        XCTAssertEqual(compared, 18)
    }

    func testRolloutRefusesAboveItsMemoryBudgetUnlessForced() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let ids = Array(0..<20), layers = model.architecture.layers
        XCTAssertEqual(AttentionRollout.keptBytes(tokens: 20, layers: layers), layers * 400 * 4)
        XCTAssertThrowsError(try AttentionRollout.explain(model, .tokens(ids, types: nil), position: 19, budget: 1000)) {
            guard case AnalysisError.tooLarge(let detail) = $0 else { return XCTFail("not tooLarge: \($0)") }
            XCTAssertTrue(detail.hasPrefix("attention rollout over 20 tokens keeps \(layers) layer matrices of 20 × 20"), detail)
            XCTAssertTrue(detail.contains("--force") && !detail.contains("\n"), detail)
        }
        let forced = try AttentionRollout.explain(model, .tokens(ids, types: nil), position: 19, force: true, budget: 1000)
        XCTAssertEqual(forced.scores.reduce(0, +), 1, accuracy: 1e-5)
        // The default budget: 2 GiB, so 12 layers fit 6,688 tokens and not 6,689.
        XCTAssertLessThanOrEqual(AttentionRollout.keptBytes(tokens: 6688, layers: 12), AttentionRollout.defaultBudget)
        XCTAssertGreaterThan(AttentionRollout.keptBytes(tokens: 6689, layers: 12), AttentionRollout.defaultBudget)
    }

    func testTheFullMatrixIsRefusedAboveItsLimit() {
        let n = AttentionRollout.fullMatrixTokenLimit + 1
        XCTAssertThrowsError(try AttentionRollout.fullMatrix([Tensor.zeros([n, n])])) {
            guard case AnalysisError.tooLarge(let detail) = $0 else { return XCTFail("not tooLarge: \($0)") }
            XCTAssertTrue(detail.contains("\(n) × \(n)"), detail)
        }
    }

    func testAtManAnnouncesLongRunsWithAnEstimate() throws {
        XCTAssertNil(AtMan.estimateLine(passes: 100, secondsPerPass: 0.3))           // 30 s: not announced
        XCTAssertEqual(AtMan.estimateLine(passes: 1024, secondsPerPass: 0.5, hint: "--granularity sentence"),
                       "atman: 1024 passes × 0.50 s per pass ≈ 9 min (estimate); --granularity sentence")
        XCTAssertEqual(AtMan.estimateLine(passes: 16384, secondsPerPass: 2), "atman: 16384 passes × 2.00 s per pass ≈ 9.1 h (estimate)")
        XCTAssertEqual(AtMan.estimateLine(passes: 40, secondsPerPass: 1), "atman: 40 passes × 1.00 s per pass ≈ 40 s (estimate)")

        // The callback gets the number of perturbed passes and the unperturbed pass's time scaled by
        // the share of positions each pass recomputes (tokens 0…4 suppressed one at a time: 5/5 … 1/5
        // of the positions, 3/5 on average; the hooks engine reruns whole passes).
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let seen = Collected()
        var options = AtMan.Options()
        options.estimate = { passes, seconds in seen.set(passes, seconds) }
        let result = try AtMan.explain(model, .tokens([3, 14, 15, 92, 65], types: nil), target: .token(id: 7, position: 4), options: options)
        let (passes, seconds) = try XCTUnwrap(seen.value)
        XCTAssertEqual(passes, result.groups.count)
        XCTAssertEqual(passes, 5)
        XCTAssertTrue(seconds > 0 && seconds < 60, "\(seconds)")
        XCTAssertEqual(AtMan.recomputedShare(firstKeys: [0, 1, 2, 3, 4], length: 5), 0.6, accuracy: 1e-12)
        XCTAssertEqual(AtMan.recomputedShare(firstKeys: [0], length: 64), 1)
        XCTAssertEqual(AtMan.recomputedShare(firstKeys: Array(0..<64), length: 64), 65.0 / 128, accuracy: 1e-12)
        XCTAssertEqual(AtMan.recomputedShare(firstKeys: [], length: 64), 1)
    }
}

/// A value set from a `@Sendable` callback.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (Int, Double)?
    func set(_ passes: Int, _ seconds: Double) { lock.lock(); stored = (passes, seconds); lock.unlock() }
    var value: (Int, Double)? { lock.lock(); defer { lock.unlock() }; return stored }
}
