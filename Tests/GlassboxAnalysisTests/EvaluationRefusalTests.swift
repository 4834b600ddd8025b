import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// The evaluation and tracing APIs refuse requests that used to pass silently, overflow or run
/// for ever: a randomisation check over no inputs (NaN correlations, "not flagged"), a class label
/// read from a language model, `Int.max` curve steps or noise samples, unequal Spearman inputs.
final class EvaluationRefusalTests: XCTestCase {
    let ids = [5, 17, 3, 99, 42, 8, 11, 60]

    func model() throws -> TransformerModel { try TransformerModel.load(directory: Fixtures.model("gpt2-tiny")) }

    func assertRefused<T>(_ body: @autoclosure () throws -> T, _ message: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try body(), file: file, line: line) { error in
            XCTAssertEqual(error as? AnalysisError, .invalidOption(message), file: file, line: line)
        }
    }

    func testRandomizationCheckRefusesNoInputsNoStagesAndUnequalScores() throws {
        let m = try model()
        assertRefused(try RandomizationCheck.run(m, methods: ["a"], inputs: 0) { _, _, _ in [1, 2, 3] },
                      "the randomisation check needs at least one input, got 0")
        assertRefused(try RandomizationCheck.run(m, methods: ["a"], inputs: 1, stages: []) { _, _, _ in [1, 2, 3] },
                      "the randomisation check needs at least one stage")
        var calls = 0                      // the first call scores the original model
        assertRefused(try RandomizationCheck.run(m, methods: ["a"], inputs: 1, stages: [1]) { _, _, _ in
            calls += 1
            return calls == 1 ? [1, 2, 3] : [1, 2] },
                      "a gave 3 scores for input 0 on the original model but 2 with 1 blocks randomised")
        let fine = try RandomizationCheck.run(m, methods: ["a"], inputs: 1, stages: [1]) { _, _, _ in [1, 2, 3] }
        XCTAssertEqual(fine.methods[0].correlations, [1])
    }

    func testSpearmanAndScheduleRefuseBadCounts() {
        assertRefused(try RankCorrelation.spearman([1, 2, 3], [1, 2]),
                      "Spearman's ρ compares two lists of equal length, got 3 and 2 values")
        assertRefused(try PerturbationSchedule.counts(units: -1, steps: 2), "a curve removes 0 or more units, got -1")
        assertRefused(try PerturbationSchedule.counts(units: 3, steps: 0), "--steps must be at least 1, got 0")
    }

    /// A label target on a causal LM is refused as AtMan refuses it (it used to read logit 3 of
    /// the first position as if it were a class).
    func testPerturbationRunnerRefusesALabelOnALanguageModel() throws {
        let m = try model()
        assertRefused(try PerturbationRunner(model: m, input: .tokens(ids, types: nil), target: .label(3),
                                             baselineRow: PerturbationBaseline.zero.row(for: m)),
                      "this gpt2 model has no class labels; explain a token")
    }

    /// Steps above `PerturbationSchedule.maximumSteps` are refused before anything is allocated
    /// (`Int.max` overflowed the schedule; 10⁹ ran for minutes).
    func testCurvesRefuseStepsAboveTheMaximum() throws {
        let m = try model()
        let runner = try PerturbationRunner(model: m, input: .tokens(ids, types: nil), target: .token(id: 1, position: 7),
                                            baselineRow: PerturbationBaseline.zero.row(for: m))
        let scores = [Float](repeating: 1, count: ids.count)
        for steps in [Int.max, 1_000_000_000, 1_001] {
            assertRefused(try runner.curves([scores], units: [0, 1], steps: steps),
                          "--steps must be at most 1000 (each step is a point of every curve; steps beyond an input's "
                          + "removable tokens repeat a point), got \(steps)")
        }
        XCTAssertEqual(try runner.curves([scores], units: [0, 1], steps: 2)[0].counts, [0, 1, 2])
    }

    /// Causal tracing refuses more than `CausalTracing.maximumSamples` noise samples
    /// (`Int.max` ran for ever).
    func testCausalTracingBoundsTheSamples() throws {
        var options = CausalTracing.Options(noiseSpan: 0..<1)
        options.samples = Int.max
        assertRefused(try CausalTracing.run(try model(), ids: ids, options: options),
                      "the number of noise samples must be at most 1000 (each sample is a noised run of every restoration), got \(Int.max)")
    }
}
