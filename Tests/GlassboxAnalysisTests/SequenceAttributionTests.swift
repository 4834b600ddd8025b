import Foundation
@testable import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Sequence attribution (docs/methods.md §12) against single-step explanations: every row of the
/// targets × sources matrix equals the single-step explanation of the same prefix and target to
/// 2e-5 of the row's largest |score| (plus 1e-7 absolute; AtMan: plus 1e-5 of the base cross-entropy), for every method on GPT-2, a
/// grouped-query Llama, a sliding-window Mistral and Gemma 2 (soft-capping). The sequences are the
/// prompt and greedy continuation of Tests/Fixtures/generation (`transformers`' `generate`).
final class SequenceAttributionTests: XCTestCase {
    static let families = ["gpt2-tiny", "llama-gqa", "mistral-swa", "gemma2-softcap"]
    /// Relative tolerance of a row against its single-step explanation (of the row's max |score|).
    /// The shared pass and the single step multiply differently shaped matrices, and OpenBLAS picks
    /// its kernel (so the order it adds in) by shape and by CPU: gradient × input with a contrast
    /// differs by up to 1.3e-5 of the row (gpt2-tiny) where OpenBLAS 0.3.21 runs its Haswell
    /// kernels (CPU family 26), by at most 1.4e-6 on Zen 4's.
    static let relative: Float = 2e-5

    /// The prompt and (at most `maxTargets` tokens of) the greedy continuation of a fixture.
    static func sequence(_ name: String, maxTargets: Int = 4) throws -> (ids: [Int], prompt: Int) {
        let data = try Data(contentsOf: GenerationTests.folder.appendingPathComponent("\(name).json"))
        let reference = try JSONDecoder().decode(GenerationTests.Reference.self, from: data)
        XCTAssertFalse(reference.output_ids.isEmpty, name)
        return (reference.prompt_ids + reference.output_ids.prefix(maxTargets), reference.prompt_ids.count)
    }

    func testRelevanceRowsEqualSingleStep() throws {
        // Plus a mixture of experts (its expert hooks are cut like every other [n, …] point) and
        // QK-norm with Gemma 3's two rotary tables: the shared pass and the single step multiply
        // differently shaped matrices, so they agree only to float summation order (`relative`).
        for name in Self.families + ["mixtral-moe", "qwen3-qknorm", "gemma3-text", "gemma3-mm", "qwen2moe-tiny", "qwen3moe-tiny", "olmoe-tiny", "olmoe-norm", "granitemoe-tiny", "granitemoe-shared"] {
            let relative = Self.relative
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (ids, prompt) = try Self.sequence(name)
            for method in RelevanceMethod.allCases {
                for contrast in [nil, 7] as [Int?] {
                    let s = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt,
                                                            options: SequenceOptions(method: .relevance(method), contrast: contrast))
                    XCTAssertEqual(s.steps.map(\.id), Array(ids[prompt...]), name)
                    XCTAssertEqual(s.matrix.count, ids.count - prompt)
                    for (i, step) in s.steps.enumerated() {
                        let prefix = Array(ids[0..<step.position]), row = step.position - 1
                        let target: RelevanceTarget = contrast.map { .contrast(step.id, minus: $0, position: row) } ?? .token(step.id, position: row)
                        let single = try Relevance.explain(model, .tokens(prefix, types: nil), target: target,
                                                           options: RelevanceOptions(method: method))
                        assertRow(s.matrix[i], equals: single.tokens, position: step.position,
                                  "\(name) \(method) contrast \(contrast.map(String.init) ?? "-") target \(i)", relative: relative)
                        XCTAssertEqual(step.prob, single.target.probability!, accuracy: 1e-5, "\(name) step \(i) prob")
                        if contrast != nil { XCTAssertEqual(step.contrastDifference!, single.target.value, accuracy: 1e-4 * max(1, abs(single.target.value))) }
                    }
                }
            }
        }
    }

    /// Packed sweeps (docs/methods.md §12): several prefixes swept as one. With row blocks of 2
    /// (so each prefix spans several attention blocks, against a sliding window in mistral-swa) and
    /// with checkpointing (layers recomputed from the shared pass, then packed), every row still
    /// equals the single-step explanation with the same options (to 1e-5: the shared blocked pass
    /// and the prefix's multiply differently shaped tiles, as `testRelevanceRowsEqualSingleStep`
    /// explains), and the rows do not depend on how targets are grouped into packed sweeps beyond
    /// float rounding (3e-6 of the row's largest score: a group's products have as many rows as its
    /// prefixes together, and OpenBLAS picks its kernel, and so the order it adds in, by shape;
    /// mistral-swa with blocks of 2 differs by 2.1e-6 between 2 and 3 groups).
    func testPackedSweepsWithBlocksAndCheckpointing() throws {
        for name in ["gpt2-tiny", "llama-gqa", "mistral-swa"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (ids, prompt) = try Self.sequence(name, maxTargets: 6)
            for (attention, checkpointing) in [(AttentionPath.blocked(blockSize: 2), Checkpointing.off), (.automatic, .on), (.blocked(blockSize: 3), .on)] {
                var options = SequenceOptions(method: .relevance(.gradientTimesInput))
                options.relevance.method = .gradientTimesInput
                options.relevance.attention = attention
                options.relevance.checkpointing = checkpointing
                let s = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt, options: options)
                // One worker packs every target into one sweep, three split them into three runs.
                let threads = Threading.threads
                defer { Threading.setThreads(threads) }
                for count in [1, 3] {
                    Threading.setThreads(count)
                    let other = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt, options: options)
                    for (i, row) in other.matrix.enumerated() {
                        assertRow(row, equals: s.matrix[i].compactMap { $0 }, position: s.steps[i].position,
                                  "\(name) \(attention) \(checkpointing) target \(i), \(count) thread(s)", relative: 3e-6)
                    }
                }
                Threading.setThreads(threads)
                for (i, step) in s.steps.enumerated() {
                    let single = try Relevance.explain(model, .tokens(Array(ids[0..<step.position]), types: nil),
                                                       target: .token(step.id, position: step.position - 1),
                                                       options: options.relevance)
                    assertRow(s.matrix[i], equals: single.tokens, position: step.position,
                              "\(name) \(attention) \(checkpointing) target \(i)", relative: 1e-5)
                }
            }
        }
        XCTAssertEqual(SequenceAttribution.runs([3, 4, 5, 6, 7, 8], parts: 1, limit: 100), [0..<6])
        XCTAssertEqual(SequenceAttribution.runs([3, 4, 5, 6, 7, 8], parts: 2, limit: 100), [0..<4, 4..<6])
        XCTAssertEqual(SequenceAttribution.runs([3, 4, 5, 6, 7, 8], parts: 1, limit: 12), [0..<2, 2..<4, 4..<5, 5..<6])
        XCTAssertEqual(SequenceAttribution.runs([30], parts: 2, limit: 12), [0..<1])
        // Long prefixes against a limit of the longest (a big model): every run within the limit or
        // a single prefix, consecutive and covering all, without a search over every run count.
        let long = (0..<8192).map { 1000 + $0 }
        let runs = SequenceAttribution.runs(long, parts: 2, limit: long.last!)
        XCTAssertEqual(runs.first?.lowerBound, 0)
        XCTAssertEqual(runs.last?.upperBound, long.count)
        XCTAssertTrue(zip(runs, runs.dropFirst()).allSatisfy { $0.upperBound == $1.lowerBound })
        XCTAssertTrue(runs.allSatisfy { $0.count == 1 || long[$0].reduce(0, +) <= long.last! })
    }

    func testAtManRowsEqualSingleStep() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (ids, prompt) = try Self.sequence(name, maxTargets: 3)
            let s = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt, options: SequenceOptions(method: .atman))
            for (i, step) in s.steps.enumerated() {
                let single = try AtMan.explain(model, .tokens(Array(ids[0..<step.position]), types: nil),
                                               target: .token(id: step.id, position: step.position - 1),
                                               options: SequenceOptions.atmanDefaults)
                // A score is CE_perturbed − CE_base, two float32 cross-entropies of a few nats: the
                // floor is their rounding, 1e-5 of the base CE (a few ulp of logits summed by
                // differently shaped products: up to 2.6e-6 of it measured), not of the row's maximum.
                assertRow(s.matrix[i], equals: single.scores.scores, position: step.position, "\(name) atman target \(i)",
                          floor: 1e-5 * single.baseline[0])
            }
        }
    }

    func testRolloutRowsEqualSingleStep() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (ids, prompt) = try Self.sequence(name)
            let s = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt, options: SequenceOptions(method: .rollout))
            for (i, step) in s.steps.enumerated() {
                let single = try AttentionRollout.explain(model, .tokens(Array(ids[0..<step.position]), types: nil),
                                                          position: step.position - 1)
                assertRow(s.matrix[i], equals: single.scores, position: step.position, "\(name) rollout target \(i)")
            }
        }
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        XCTAssertThrowsError(try SequenceAttribution.explain(model, ids: [1, 2, 3], promptLength: 1,
                                                             options: SequenceOptions(method: .rollout, rollout: RolloutOptions(discardRatio: 0.5))))
    }

    func testStepScoresAndGrouping() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let (ids, prompt) = try Self.sequence("gpt2-tiny")
        let s = try SequenceAttribution.explain(model, ids: ids, promptLength: prompt, options: SequenceOptions(method: .relevance(.gradientTimesInput)))
        for step in s.steps {
            let logits = try model.forward(Array(ids[0..<step.position])).logits!.row(step.position - 1).storage
            let m = logits.max()!, z = logits.reduce(0.0) { $0 + exp(Double($1 - m)) }
            let p = logits.map { exp(Double($0 - m)) / z }
            XCTAssertEqual(Double(step.prob), p[step.id], accuracy: 1e-5)
            XCTAssertEqual(Double(step.entropy), p.reduce(0.0) { $1 > 0 ? $0 - $1 * log($1) : $0 }, accuracy: 1e-4)
        }
        // Two source groups (prompt, continuation) and all targets as one row.
        let g = s.grouped(sources: [Array(0..<prompt), Array(prompt..<ids.count)], targets: [Array(s.steps.indices)])
        let promptSum = s.matrix.reduce(0.0) { acc, row in acc + row[0..<prompt].reduce(0.0) { $0 + Double($1!) } }
        XCTAssertEqual(g.matrix[0][0]!, promptSum, accuracy: 1e-9)
        XCTAssertEqual(g.prob[0], s.steps.reduce(1.0) { $0 * Double($1.prob) }, accuracy: 1e-12)
        let last = s.grouped(sources: [[ids.count - 1]], targets: [Array(s.steps.indices)])
        XCTAssertNil(last.matrix[0][0], "the last token is no source of any target")
    }

    func testRefusesNonCausalModelsAndBadPrompts() throws {
        let gpt2 = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        XCTAssertThrowsError(try SequenceAttribution.explain(gpt2, ids: [1, 2], promptLength: 2))
        XCTAssertThrowsError(try SequenceAttribution.explain(gpt2, ids: [1, 2], promptLength: 0))
        XCTAssertThrowsError(try SequenceAttribution.explain(gpt2, ids: [1, 2], promptLength: 1,
                                                             options: SequenceOptions(contrast: gpt2.architecture.vocabSize)))
        let bert = try TransformerModel.load(directory: Fixtures.model("bert-tiny-mlm"))
        XCTAssertThrowsError(try SequenceAttribution.explain(bert, ids: [1, 2, 3], promptLength: 1))
    }
}
