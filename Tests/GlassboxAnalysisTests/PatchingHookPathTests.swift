import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Exact activation patching through the batched suffix engine against the hook path (one plain
/// forward per site with an intervention that splices the source activation in at the hook), on
/// GPT-2, Llama (grouped-query attention, RoPE), Mistral (sliding window) and BERT (masked LM and
/// classifier) fixtures, every site kind, both directions, all four metrics: raw metrics agree
/// within 1e-5 × (1 + the metric's scale). Also: batched equals one-by-one (rowBudget 1), and sites
/// before the first differing token are the base run's.
final class PatchingHookPathTests: XCTestCase {
    static let families = ["gpt2-tiny", "gpt2-odd", "llama-gqa", "mistral-swa", "bert-tiny-mlm", "bert-cls"]
    static let tolerance: Float = 1e-5

    /// A seeded clean input of 8 tokens and a corrupted one differing at positions 3 and 5; the
    /// answer is the clean run's top output, the wrong token the corrupted run's (or the runner-up).
    static func problem(_ model: TransformerModel) throws -> (clean: [Int], corrupted: [Int], answer: Int, wrong: Int) {
        let arch = model.architecture
        var rng = SplitMix64(seed: 19)
        let n = 8
        let clean = (0..<n).map { _ in 3 + Int(rng.next() % UInt64(arch.vocabSize - 3)) }
        var corrupted = clean
        corrupted[3] = (clean[3] + 7) % arch.vocabSize
        corrupted[5] = (clean[5] + 11) % arch.vocabSize
        let row: Int = if case .sequenceClassification = arch.head { 0 } else { n - 1 }
        let lc = try model.forward(clean, logitRows: .positions([row])).logits!.storage
        let lr = try model.forward(corrupted, logitRows: .positions([row])).logits!.storage
        let answer = lc.indices.max { lc[$0] < lc[$1] }!
        var wrong = lr.indices.max { lr[$0] < lr[$1] }!
        if wrong == answer { wrong = lc.indices.filter { $0 != answer }.max { lc[$0] < lc[$1] }! }
        return (clean, corrupted, answer, wrong)
    }

    func testBatchedEngineEqualsTheHookPathOnEveryFamily() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (clean, corrupted, answer, wrong) = try Self.problem(model)
            let metrics: [PatchingMetric] = [.logitDiff(answer: answer, wrong: wrong), .logProb(answer: answer),
                                             .prob(answer: answer), .kl]
            for (m, metric) in metrics.enumerated() {
                for direction in PatchingDirection.allCases {
                    var options = PatchingOptions(metric: metric)
                    options.direction = direction
                    // Every kind once per family (all with the first metric, the cheap ones after).
                    options.sites = m == 0 ? PatchingSiteKind.allCases : [.residPre, .z, .k]
                    options.hooks = m == 0 ? [.block(1, .mlpPost), .block(0, .attnScores)] : []
                    let label = "\(name) \(metric.name) \(direction)"
                    let batched = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: options)
                    var single = options
                    single.rowBudget = 1
                    let oneByOne = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: single)
                    var simple = options
                    simple.engine = .hooks
                    let hooks = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: simple)
                    let scale = 1 + max(abs(batched.cleanMetric), abs(batched.corruptedMetric))
                    XCTAssertEqual(batched.maps.map(\.site), hooks.maps.map(\.site), label)
                    for (b, (o, h)) in zip(batched.maps, zip(oneByOne.maps, hooks.maps)) {
                        XCTAssertEqual(b.shape, h.shape, "\(label) \(b.site)")
                        XCTAssertEqual(b.raw.count, b.shape.reduce(1, *), "\(label) \(b.site)")
                        assertClose(b.raw, h.raw, Self.tolerance * scale, "\(label) \(b.site): batched vs hooks")
                        assertClose(b.raw, o.raw, Self.tolerance * scale, "\(label) \(b.site): batched vs one by one")
                    }
                    let spread = batched.maps.flatMap(\.effect).map(abs).max() ?? 0
                    XCTAssertGreaterThan(spread, 1e-3, "\(label): some site matters")
                }
            }
        }
    }

    /// Denoising `resid_pre` at layer 0 over every position is the clean run itself, whatever the
    /// family: an end-to-end identity (normalised effect 1 at the differing positions together).
    func testPatchingEveryDifferingPositionRestoresTheCleanRun() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (clean, corrupted, answer, wrong) = try Self.problem(model)
            var options = PatchingOptions(metric: .logitDiff(answer: answer, wrong: wrong))
            options.sites = [.residPre]
            options.hooks = [.block(0, .residPre)]
            let result = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: options)
            let map = try XCTUnwrap(result.map(.residPre))
            // Causal models: patching position p < 3 (before the first difference) does nothing.
            if model.architecture.mask == .causal {
                for p in 0..<3 { XCTAssertEqual(try map.raw(at: [0, p]), result.corruptedMetric, "\(name) position \(p)") }
                // In the last layer a position after the read one never matters; the read one always does.
                XCTAssertNotEqual(try map.raw(at: [0, 3]), result.corruptedMetric, "\(name): position 3 matters")
            }
            XCTAssertEqual(result.firstDifference, 3, name)
        }
    }

    /// The head's hooks after the last block hold one row for the whole run (`[1, …]`), so they
    /// have no positions to patch: a typed error before any run, naming the hook.
    func testHooksWithOneRowForTheWholeRunAreATypedError() throws {
        let expected: [(String, HookPoint, String)] = [
            ("gpt2-tiny", .unembedIn, "the output layer's input at the predicted position only"),
            ("gpt2-tiny", .unembedOut, "the logits at the predicted position only"),
            ("bert-cls", .poolerOut, "one pooled vector for the whole input"),
            ("bert-tiny-mlm", .mlmTransform, "the masked-LM head at the predicted position only"),
            ("bert-tiny-mlm", .mlmLN(.scale), "the masked-LM head at the predicted position only"),
        ]
        for (name, point, holds) in expected {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            var options = PatchingOptions(metric: .logProb(answer: 1))
            options.hooks = [.block(0, .residPre), point]
            XCTAssertThrowsError(try ActivationPatching.run(model, clean: [5, 6, 7], corrupted: [5, 6, 8], options: options)) { error in
                XCTAssertEqual(error as? PatchingError, .hookWithoutPositions(hook: point.name, holds: holds), name)
                XCTAssertTrue(error.localizedDescription.hasPrefix("\(point.name) holds \(holds), not one row per token"),
                              error.localizedDescription)
            }
        }
        XCTAssertNil(PatchableHook.singleRow(.lnFinal(.normalized)))
        XCTAssertNil(PatchableHook.singleRow(.block(0, .pattern)))
    }

    func testInputsOfDifferentLengthsAreATypedErrorShowingBoth() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let options = PatchingOptions(metric: .logProb(answer: 1))
        XCTAssertThrowsError(try ActivationPatching.run(model, clean: [5, 6, 7], corrupted: [5, 6], options: options)) { error in
            XCTAssertEqual(error as? PatchingError, .lengthMismatch(clean: ["5", "6", "7"], corrupted: ["5", "6"]))
            XCTAssertTrue(error.localizedDescription.contains("clean has 3 ['5' '6' '7'], corrupted has 2 ['5' '6']"),
                          error.localizedDescription)
        }
        XCTAssertThrowsError(try ActivationPatching.run(model, clean: [5, 6], corrupted: [5, 6], options: options)) { error in
            XCTAssertEqual(error as? PatchingError, .identicalInputs)
        }
        XCTAssertThrowsError(try ActivationPatching.run(model, clean: [5, 6], corrupted: [5, 7],
                                                        options: PatchingOptions(metric: .prob(answer: 1_000_000)))) { error in
            XCTAssertEqual(error as? PatchingError, .answerOutOfRange(id: 1_000_000, size: model.architecture.vocabSize))
        }
    }
}

/// `actual` and `expected` elementwise within `tolerance`; reports the worst index.
private func assertClose(_ actual: [Float], _ expected: [Float], _ tolerance: Float, _ label: String,
                         file: StaticString = #filePath, line: UInt = #line) {
    guard actual.count == expected.count else {
        XCTFail("\(label): \(actual.count) values vs \(expected.count)", file: file, line: line)
        return
    }
    var worst = (index: -1, diff: Float(0))
    for i in actual.indices {
        let d = abs(actual[i] - expected[i])
        if !(d <= worst.diff) { worst = (i, d.isNaN ? .infinity : d) }
    }
    if worst.diff > tolerance {
        XCTFail("\(label): max |diff| \(worst.diff) at \(worst.index) (\(actual[worst.index]) vs \(expected[worst.index])) > \(tolerance)",
                file: file, line: line)
    }
}
