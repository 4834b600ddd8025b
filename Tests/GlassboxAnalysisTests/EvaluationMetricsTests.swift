import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The metric formulas on hand-made curves (values worked out by hand in the comments), the step
/// schedule, the rankings, the bootstrap interval, Spearman's ρ, and the randomisation check
/// flagging a method that ignores the randomised weights (docs/methods.md §9).
final class EvaluationMetricsTests: XCTestCase {
    func curves(_ counts: [Int], morf: [Float], lerf: [Float]) -> PerturbationCurves {
        PerturbationCurves(counts: counts, morf: PerturbationCurve(values: morf, probabilities: morf),
                           lerf: PerturbationCurve(values: lerf, probabilities: lerf))
    }

    func testMetricsOnAHandMadeCurve() {
        // K = 4, one unit per step. AUC(MoRF) = ¼·(0.75 + 0.375 + 0.175 + 0.05) = 0.3375,
        // AUC(LeRF) = ¼·(0.95 + 0.85 + 0.7 + 0.3) = 0.7 → ABPC 0.3625.
        // comp = mean(0.5, 0.75, 0.9, 1) = 0.7875; suff = mean(0, 0.1, 0.2, 0.4) = 0.175.
        let m = FaithfulnessMetrics(curves([0, 1, 2, 3, 4], morf: [1, 0.5, 0.25, 0.1, 0], lerf: [1, 0.9, 0.8, 0.6, 0]))
        XCTAssertEqual(m.abpc, 0.3625, accuracy: 1e-7)
        XCTAssertEqual(m.comprehensiveness, 0.7875, accuracy: 1e-7)
        XCTAssertEqual(m.sufficiency, 0.175, accuracy: 1e-7)
    }

    func testRepeatedCountsEnterTheAOPCMeansOnce() {
        // Two units over K = 4 steps: counts 0, 0, 1, 1, 2 (wait: round(j·2/4) = 0, 1, 1, 2, 2 by halves up).
        XCTAssertEqual(try PerturbationSchedule.counts(units: 2, steps: 4), [0, 1, 1, 2, 2])
        // comp over the distinct removal sets {1 unit: j = 1, 2 units: j = 3}: mean(0.6, 0.9) = 0.75;
        // suff over the distinct kept sets {2 kept: j = 0, 1 kept: j = 1}: mean(0, 0.3) = 0.15.
        // ABPC: ¼·((1+.7)/2 + (.7+.7)/2 + (.7+.1)/2 + (.1+.1)/2) − ¼·((1+.4)/2 + (.4+.4)/2 + (.4+.1)/2 + (.1+.1)/2)
        //     = ¼·(0.85 + 0.7 + 0.4 + 0.1) − ¼·(0.7 + 0.4 + 0.25 + 0.1) = 0.5125 − 0.3625 = 0.15.
        let m = FaithfulnessMetrics(curves([0, 1, 1, 2, 2], morf: [1, 0.4, 0.4, 0.1, 0.1], lerf: [1, 0.7, 0.7, 0.1, 0.1]))
        XCTAssertEqual(m.comprehensiveness, 0.75, accuracy: 1e-7)
        XCTAssertEqual(m.sufficiency, 0.15, accuracy: 1e-7)
        XCTAssertEqual(m.abpc, 0.15, accuracy: 1e-7)
    }

    func testAFaithfulRankingBeatsItsReverse() {
        let good = FaithfulnessMetrics(curves([0, 1, 2], morf: [0.9, 0.2, 0.1], lerf: [0.9, 0.8, 0.1]))
        let reversed = FaithfulnessMetrics(curves([0, 1, 2], morf: [0.9, 0.8, 0.1], lerf: [0.9, 0.2, 0.1]))
        XCTAssertEqual(good.abpc, -reversed.abpc, accuracy: 1e-7)
        XCTAssertGreaterThan(good.abpc, 0)
        XCTAssertGreaterThan(good.comprehensiveness, reversed.comprehensiveness)
        XCTAssertLessThan(good.sufficiency, reversed.sufficiency)
    }

    func testScheduleAndOrders() {
        XCTAssertEqual(try PerturbationSchedule.counts(units: 4, steps: 10), [0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4])
        XCTAssertEqual(try PerturbationSchedule.counts(units: 20, steps: 10), Array(stride(from: 0, through: 20, by: 2)))
        XCTAssertEqual(try PerturbationSchedule.counts(units: 5, steps: 2), [0, 3, 5])              // 2.5 rounds up
        let scores: [Float] = [9, 0.5, 3, 0.5, -1, 7]
        XCTAssertEqual(PerturbationSchedule.order(scores, units: [1, 2, 3, 4, 5], mostRelevantFirst: true), [5, 2, 1, 3, 4])
        XCTAssertEqual(PerturbationSchedule.order(scores, units: [1, 2, 3, 4, 5], mostRelevantFirst: false), [4, 1, 3, 2, 5])
        XCTAssertEqual(PerturbationSchedule.randomScores(length: 5, seed: 3), PerturbationSchedule.randomScores(length: 5, seed: 3))
        XCTAssertNotEqual(PerturbationSchedule.randomScores(length: 5, seed: 3), PerturbationSchedule.randomScores(length: 5, seed: 4))
    }

    func testBootstrapInterval() {
        let constant = MeanInterval.bootstrap([2, 2, 2, 2])
        XCTAssertEqual(constant, MeanInterval(mean: 2, lower: 2, upper: 2))
        let values = (0..<50).map { Double($0 % 10) }                     // mean 4.5, sd ≈ 2.87
        let a = MeanInterval.bootstrap(values, seed: 1), b = MeanInterval.bootstrap(values, seed: 1)
        XCTAssertEqual(a, b, "seeded")
        XCTAssertEqual(a.mean, 4.5, accuracy: 1e-12)
        // The standard error is 2.87/√50 ≈ 0.41, so the 95% interval is about 4.5 ± 0.8.
        XCTAssertEqual(a.upper - a.lower, 2 * 1.96 * 0.406, accuracy: 0.25)
        XCTAssertLessThan(a.lower, 4.5)
        XCTAssertGreaterThan(a.upper, 4.5)
        XCTAssertTrue(MeanInterval.bootstrap([]).mean.isNaN)
    }

    func testSpearman() {
        XCTAssertEqual(try RankCorrelation.spearman([1, 2, 3, 4], [1, 3, 2, 4]), 0.8, accuracy: 1e-12)   // 1 − 6·2/(4·15)
        XCTAssertEqual(try RankCorrelation.spearman([1, 2, 3], [30, 20, 10]), -1, accuracy: 1e-12)
        XCTAssertEqual(RankCorrelation.ranks([5, 1, 1, 7]), [2, 0.5, 0.5, 3])
        // Ties: scipy.stats.spearmanr([1, 1, 2, 3], [1, 2, 3, 4]) = 0.9486832980505138.
        XCTAssertEqual(try RankCorrelation.spearman([1, 1, 2, 3], [1, 2, 3, 4]), 0.9486832980505138, accuracy: 1e-12)
        XCTAssertTrue(try RankCorrelation.spearman([1, 1, 1], [1, 2, 3]).isNaN)
    }

    func testBaselineParsing() {
        XCTAssertEqual(PerturbationBaseline(parsing: "zero"), .zero)
        XCTAssertEqual(PerturbationBaseline(parsing: "mean"), .mean)
        XCTAssertEqual(PerturbationBaseline(parsing: "token:17"), .token(17))
        XCTAssertNil(PerturbationBaseline(parsing: "token:-1"))
        XCTAssertNil(PerturbationBaseline(parsing: "blank"))
        XCTAssertEqual(PerturbationBaseline.token(17).description, "token:17")
    }

    /// Adebayo et al.'s cascading randomisation, stopped above layer 0: raw attention of layer 0 does
    /// not depend on the randomised top layers, so its scores keep ρ = 1 and it is flagged; gradient
    /// × input and AttnLRP read the whole model and move.
    func testRandomizationFlagsAMethodThatIgnoresTheRandomizedWeights() throws {
        for name in ["gpt2-odd", "llama-gqa"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            XCTAssertGreaterThan(arch.layers, 1, name)
            var rng = SplitMix64(seed: 9)
            let inputs = (0..<4).map { _ in (0..<10).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) } }
            let result = try RandomizationCheck.run(model, methods: ["layer-0-attention", "grad-input", "attnlrp"],
                                                    inputs: inputs.count, stages: Array(1..<arch.layers)) { m, method, i in
                let input = ModelInput.tokens(inputs[i], types: nil), n = inputs[i].count
                switch method {
                case "layer-0-attention":
                    let layer = try AttentionMaps.collect(m, input, layers: [0])[0]
                    let p = layer.patterns                                       // [H, n, n], row n−1
                    return (0..<n).map { k in (0..<arch.heads).reduce(0) { $0 + p[$1, n - 1, k] } }
                case "grad-input":
                    return try Relevance.explain(m, input, target: .top(), options: RelevanceOptions(method: .gradientTimesInput)).tokens
                default:
                    return try Relevance.explain(m, input, target: .top(), options: RelevanceOptions(method: .attnLRP)).tokens
                }
            }
            XCTAssertEqual(result.stages, Array(1..<arch.layers))
            let attention = result.methods[0]
            for rho in attention.correlations { XCTAssertEqual(rho, 1, accuracy: 1e-9, "\(name): layer-0 attention unchanged") }
            XCTAssertTrue(attention.flagged, "\(name): layer-0 attention is flagged")
            for method in result.methods.dropFirst() {
                XCTAssertFalse(method.flagged, "\(name) \(method.method): ρ \(method.correlations)")
                XCTAssertLessThan(method.correlations.last!, 0.9, "\(name) \(method.method)")
            }
            // Randomising every block reaches layer 0 too: its attention changes.
            let full = try RandomizationCheck.run(model, methods: ["layer-0-attention"], inputs: 1, stages: [arch.layers]) { m, _, i in
                let layer = try AttentionMaps.collect(m, .tokens(inputs[i], types: nil), layers: [0])[0]
                return (0..<10).map { k in layer.patterns[0, 9, k] }
            }
            XCTAssertLessThan(full.methods[0].correlations[0], 0.99, "\(name): layer 0 randomised")
        }
    }

    func testRandomizedBlocksAreSeededAndLeaveOtherLayersAlone() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-odd"))
        let a = model.randomizingBlocks([1], seed: 4), b = model.randomizingBlocks([1], seed: 4)
        XCTAssertEqual(a.weights.blocks[1].attention.query.weight.float32(), b.weights.blocks[1].attention.query.weight.float32())
        XCTAssertNotEqual(a.weights.blocks[1].attention.query.weight.float32(), model.weights.blocks[1].attention.query.weight.float32())
        XCTAssertEqual(a.weights.blocks[0].mlp.input.weight.float32(), model.weights.blocks[0].mlp.input.weight.float32())
        let original = model.weights.blocks[1].mlp.output.weight.float32().storage, redrawn = a.weights.blocks[1].mlp.output.weight.float32().storage
        func sd(_ x: [Float]) -> Double {
            let m = x.reduce(0.0) { $0 + Double($1) } / Double(x.count)
            return (x.reduce(0.0) { $0 + (Double($1) - m) * (Double($1) - m) } / Double(x.count)).squareRoot()
        }
        XCTAssertEqual(sd(redrawn), sd(original), accuracy: 0.1 * sd(original), "the redrawn weights keep the scale")
    }

    /// Norms are kept (the method's definition): a randomised block still has its QK-norm (Qwen3,
    /// Gemma 3, OLMo 2, Phi) and sandwich norms (Gemma 2, 3), with their own weights.
    func testRandomizedBlocksKeepQKAndSandwichNorms() throws {
        for name in ["qwen3-qknorm", "gemma2-softcap", "gemma3-text", "olmo2-postnorm", "phi-qknorm"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let layer = model.architecture.layers - 1
            let original = model.weights.blocks[layer], redrawn = model.randomizingBlocks([layer], seed: 9).weights.blocks[layer]
            let pairs: [(String, Norm?, Norm?)] = [("q_norm", original.attention.queryNorm, redrawn.attention.queryNorm),
                                                   ("k_norm", original.attention.keyNorm, redrawn.attention.keyNorm),
                                                   ("ln1_post", original.ln1Post, redrawn.ln1Post),
                                                   ("ln2_post", original.ln2Post, redrawn.ln2Post)]
            XCTAssertTrue(pairs.contains { $0.1 != nil }, "\(name) has a QK-norm or sandwich norm to keep")
            for (label, before, after) in pairs {
                XCTAssertEqual(before == nil, after == nil, "\(name) \(label) kept")
                if let before, let after {
                    XCTAssertEqual(before.weight.storage, after.weight.storage, "\(name) \(label) weights")
                }
            }
            XCTAssertNotEqual(original.attention.query.weight.float32().storage, redrawn.attention.query.weight.float32().storage)
        }
    }
}
