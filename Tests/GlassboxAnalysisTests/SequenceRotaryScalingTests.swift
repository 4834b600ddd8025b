import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Sequence attribution (docs/methods.md §12.1) on rotary scalings whose frequencies depend on the
/// length: Phi-3's LongRoPE (short factors up to `original_max_position_embeddings` = 8, long ones
/// beyond) and dynamic NTK (the base grows past `max_position_embeddings` = 16, so every longer
/// length has its own table). The sequences cross the switch point, so some targets' prefixes have
/// other frequencies than the whole sequence: every row must still equal the single-step explanation
/// of its prefix (to 1e-5 of the row's largest |score|; AtMan plus 2e-6 of its base cross-entropy)
/// and every step's logit and probability those of a forward of the prefix (to 1e-5).
final class SequenceRotaryScalingTests: XCTestCase {
    /// The fixture, its ids and prompt length: phi3-longrope's prefixes run from 4 to 18 tokens
    /// (5 short, 10 long), llama-rope-dynamic's from 10 to 21 (7 within 16 tokens, 5 past it).
    static let cases: [(name: String, ids: [Int], prompt: Int)] = [
        ("phi3-longrope", [70, 53, 70, 29, 51, 78, 32, 6, 20, 51, 6, 53, 7, 55, 74, 16, 30, 94, 34], 4),
        ("llama-rope-dynamic", [77, 49, 41, 68, 97, 118, 72, 29, 72, 70, 80, 16, 96, 93, 89, 93, 5, 17, 33, 64, 90, 101], 10),
    ]
    static let relative: Float = 1e-5

    /// The step's logit and probability against a forward of its prefix.
    func assertStep(_ model: TransformerModel, _ ids: [Int], _ step: SequenceStep, _ message: String,
                    file: StaticString = #filePath, line: UInt = #line) throws {
        let logits = try model.forward(Array(ids[0..<step.position])).logits!.row(step.position - 1).storage
        let scale = max(1, logits.map(abs).max()!)
        XCTAssertEqual(step.logit, logits[step.id], accuracy: Self.relative * scale, "\(message) logit", file: file, line: line)
        let m = logits.max()!, z = logits.reduce(0.0) { $0 + exp(Double($1 - m)) }
        XCTAssertEqual(Double(step.prob), exp(Double(logits[step.id] - m)) / z, accuracy: 1e-5, "\(message) prob", file: file, line: line)
    }

    /// The largest |difference| over the row's defined sources, relative to the single step's largest |score|.
    func relativeError(_ row: [Float?], _ single: [Float]) -> Float {
        let scale = max(single.map(abs).max() ?? 0, .leastNormalMagnitude)
        return zip(row.compactMap { $0 }, single).map { abs($0 - $1) }.max().map { $0 / scale } ?? .infinity
    }

    /// Explains each case with `options` and checks every row against `single(model, prefix, step)`
    /// (the single step's scores and the absolute floor of the comparison) and every step's logits.
    func assertRowsEqualSingleStep(_ options: SequenceOptions, _ label: String,
                                   single: (TransformerModel, [Int], SequenceStep) throws -> (scores: [Float], floor: Float)) throws {
        for (name, ids, prompt) in Self.cases {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let s = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt, options: options)
            XCTAssertEqual(s.steps.map(\.id), Array(ids[prompt...]), name)
            var worst: Float = 0
            for (i, step) in s.steps.enumerated() {
                let (scores, floor) = try single(model, Array(ids[0..<step.position]), step)
                worst = max(worst, relativeError(s.matrix[i], scores))
                assertRow(s.matrix[i], equals: scores, position: step.position,
                          "\(name) \(label) target \(i) (prefix \(step.position))", floor: floor, relative: Self.relative)
                try assertStep(model, ids, step, "\(name) \(label) target \(i)")
            }
            print("\(name) \(label): max relative row error \(worst)")
        }
    }

    func testRelevanceRowsEqualSingleStepAcrossTheSwitch() throws {
        // Packed sweeps (default), then with checkpointing and small blocks (layers recomputed from
        // each pass), then unpacked (unblocked attention: one sweep per target on its pass).
        let variants: [(RelevanceMethod, AttentionPath, Checkpointing)] =
            RelevanceMethod.allCases.map { ($0, .automatic, .automatic) }
            + [(.gradientTimesInput, .blocked(blockSize: 3), .on), (.attnLRP, .unblocked, .automatic)]
        for (method, attention, checkpointing) in variants {
            var options = SequenceOptions(method: .relevance(method))
            (options.relevance.method, options.relevance.attention, options.relevance.checkpointing) = (method, attention, checkpointing)
            try assertRowsEqualSingleStep(options, "\(method) \(attention) \(checkpointing)") { model, prefix, step in
                let single = try Relevance.explain(model, .tokens(prefix, types: nil), target: .token(step.id, position: step.position - 1),
                                                   options: options.relevance)
                return (single.tokens, 1e-7)
            }
        }
    }

    func testRolloutRowsEqualSingleStepAcrossTheSwitch() throws {
        try assertRowsEqualSingleStep(SequenceOptions(method: .rollout), "rollout") { model, prefix, step in
            (try AttentionRollout.explain(model, .tokens(prefix, types: nil), position: step.position - 1).scores, 1e-7)
        }
    }

    func testAtManRowsEqualSingleStepAcrossTheSwitch() throws {
        try assertRowsEqualSingleStep(SequenceOptions(method: .atman), "atman") { model, prefix, step in
            let single = try AtMan.explain(model, .tokens(prefix, types: nil), target: .token(id: step.id, position: step.position - 1),
                                           options: SequenceOptions.atmanDefaults)
            // A score is CE_perturbed − CE_base: the floor is the rounding of the two float32 cross-entropies.
            return (single.scores.scores, 2e-6 * single.baseline[0])
        }
    }

    /// The passes the methods run (`SequenceAttribution.passes`, shared by relevance, rollout and
    /// AtMan): one shared pass for every target where the frequencies do not depend on the length
    /// (plain RoPE, linear and Llama 3 scaling, learned positions), else one per table. Counting the
    /// passes through the plan is how this is observed: the methods run exactly one forward (AtMan:
    /// one run) per planned pass.
    func testPassesGroupTargetsByFrequencyTable() throws {
        typealias Pass = SequenceAttribution.Pass
        for name in ["llama-gqa", "llama-rope-linear", "llama3-rope", "gpt2-tiny", "gemma3-text", "gemma3-mm"] {
            let arch = try TransformerModel.load(directory: Fixtures.model(name)).architecture
            XCTAssertEqual(SequenceAttribution.passes(arch, rows: Array(3..<40), sharedLength: 41),
                           [Pass(length: 41, targets: Array(0..<37))], name)
        }
        let phi3 = try TransformerModel.load(directory: Fixtures.model("phi3-longrope")).architecture
        // Prefixes 4...8 take the short factors (a pass of 8), 9...18 the long ones of the sequence's 19.
        XCTAssertEqual(SequenceAttribution.passes(phi3, rows: Array(3..<18), sharedLength: 19),
                       [Pass(length: 8, targets: Array(0..<5)), Pass(length: 19, targets: Array(5..<15))])
        // AtMan's shared pass ends at the last row; within the original length nothing splits.
        XCTAssertEqual(SequenceAttribution.passes(phi3, rows: Array(3..<18), sharedLength: 18),
                       [Pass(length: 8, targets: Array(0..<5)), Pass(length: 18, targets: Array(5..<15))])
        XCTAssertEqual(SequenceAttribution.passes(phi3, rows: Array(1..<7), sharedLength: 8), [Pass(length: 8, targets: Array(0..<6))])
        // Dynamic NTK: prefixes up to 16 share one table (a pass of 16); each longer one has its own.
        let dynamic = try TransformerModel.load(directory: Fixtures.model("llama-rope-dynamic")).architecture
        XCTAssertEqual(SequenceAttribution.passes(dynamic, rows: Array(9..<21), sharedLength: 22),
                       [Pass(length: 16, targets: Array(0..<7))] + (7..<12).map { Pass(length: $0 + 10, targets: [$0]) })
    }
}
