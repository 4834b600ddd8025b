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

        // The callback gets the number of perturbed passes and their average estimated time (the
        // first chunk of passes timed, scaled by AtManCost).
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let seen = Collected()
        var options = AtMan.Options()
        options.estimate = { passes, seconds in seen.set(passes, seconds) }
        let result = try AtMan.explain(model, .tokens([3, 14, 15, 92, 65], types: nil), target: .token(id: 7, position: 4), options: options)
        let (passes, seconds) = try XCTUnwrap(seen.value)
        XCTAssertEqual(passes, result.groups.count)
        XCTAssertEqual(passes, 5)
        XCTAssertTrue(seconds > 0 && seconds < 60, "\(seconds)")
    }

    func testAtManCostSumsTheRowsAndKeysEachSuffixPassRecomputes() {
        let cost = AtManCost(rowWeight: 10, keyWeight: 1)
        // n = 4, causal: from 0, 4 rows reading 1+2+3+4 keys; from 2, rows 2 and 3 reading 3+4.
        XCTAssertEqual(cost.pass(start: 0, length: 4, causal: true), 10 * 4 + 10)
        XCTAssertEqual(cost.pass(start: 2, length: 4, causal: true), 10 * 2 + 7)
        XCTAssertEqual(cost.pass(start: 3, length: 4, causal: true), 10 * 1 + 4)
        XCTAssertEqual(cost.pass(start: 4, length: 4, causal: true), 0)
        // Bidirectional: every pass reruns all 4 rows over all 4 keys.
        XCTAssertEqual(cost.pass(start: 2, length: 4, causal: false), 10 * 4 + 16)
        // Passes from 0, 1, 2, 3 cost 50 + 39 + 27 + 14 = 130; the one from 0 took 2 s.
        XCTAssertEqual(cost.seconds(starts: [0, 1, 2, 3], length: 4, causal: true, timedStarts: [0], timedSeconds: 2), 2 * 130 / 50, accuracy: 1e-12)
        // Timed on the first two (50 + 39 = 89 units in 1.78 s): 0.02 s a unit.
        XCTAssertEqual(cost.seconds(starts: [0, 1, 2, 3], length: 4, causal: true, timedStarts: [0, 1], timedSeconds: 1.78), 2.6, accuracy: 1e-12)
        // Later passes are cheaper: 1,000 passes over 1,000 causal positions cost well under 1,000 × the first.
        let long = AtManCost(rowWeight: 4096, keyWeight: 32)
        let ratio = long.seconds(starts: Array(0..<1000), length: 1000, causal: true, timedStarts: [0], timedSeconds: 1)
        XCTAssertTrue(ratio > 500 && ratio < 667, "\(ratio)")
    }
}

/// A value set from a `@Sendable` callback.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (Int, Double)?
    func set(_ passes: Int, _ seconds: Double) { lock.lock(); stored = (passes, seconds); lock.unlock() }
    var value: (Int, Double)? { lock.lock(); defer { lock.unlock() }; return stored }
}
