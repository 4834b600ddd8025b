import Foundation
import GlassboxAnalysis
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// The CHECKS of docs/methods.md §4.5 (identity, f = 1, locality, monotonicity on a model with a
/// clear dependency) and the options: groups, squared scores, targets, the patch grid, errors.
final class AtManTests: XCTestCase {
    private func model(_ name: String) throws -> TransformerModel {
        try TransformerModel.load(directory: Fixtures.model(name))
    }

    /// gpt2-copy's task: [BOS, X, Y, r1..r5, SEP] → X, then Y (scripts/fixtures/generate_atman.py).
    private let copyPrompt = [31, 12, 20, 15, 27, 25, 9, 17, 6]

    func testTheUnperturbedPassIsThePlainForwardAndFactorOneChangesNothing() throws {
        for name in ["gpt2-odd", "llama-gqa", "mistral-swa", "bert-tiny-mlm", "vit-tiny"] {
            let m = try model(name)
            let (input, target) = AtManParityTests.problem(m)
            var options = AtMan.Options()
            options.factor = 1
            options.kappa = nil
            for shift in AttentionScoreEdit.Shift.allCases {
                options.shift = shift
                for engine in AtMan.Engine.allCases {
                    options.engine = engine
                    let r = try AtMan.explain(m, input, target: target, options: options)
                    // The baseline is the plain forward's CE, recomputed here independently.
                    let plain = try AtManParityTests.logitScale(m, input, target)
                    XCTAssertGreaterThan(plain, 0)
                    let worst = r.perTarget.flatMap { $0 }.map(abs).max() ?? 0
                    XCTAssertLessThanOrEqual(worst, 1e-5 * plain, "\(name) \(shift) \(engine): f = 1 moved ΔCE by \(worst)")
                }
            }
        }
        // Base CE against a direct computation from the plain forward.
        let m = try model("gpt2-copy")
        let r = try AtMan.explain(m, .tokens(copyPrompt, types: nil), target: .continuation([12]))
        let logits = try m.forward(copyPrompt, logitRows: .positions([8])).logits!.storage
        let top = logits.max()!
        let ce = log(logits.map { exp(Double($0 - top)) }.reduce(0, +)) + Double(top) - Double(logits[12])
        XCTAssertEqual(Double(r.baseline[0]), ce, accuracy: 1e-6)
    }

    func testPositionsBeforeTheSuppressedTokenAreBitwiseUnchangedInCausalModels() throws {
        for name in ["gpt2-odd", "gpt2-copy", "llama-gqa", "mistral-swa", "qwen2-swa"] {
            let m = try model(name)
            guard case .tokens(let ids, _) = AtManParityTests.problem(m).0 else { return XCTFail(name) }
            let plain = try m.forward(ids).logits!
            for j in [1, ids.count / 2, ids.count - 1] {
                // (`.rowMinimum` selects rows the same way: only rows that see key j are edited.)
                for shift in [AttentionScoreEdit.Shift.visibleKeyMinimum, .none] {
                    let edit = AttentionScoreEdit(keys: [j], factor: 0.1, shift: shift)
                    var iv = Interventions()
                    iv.add(.matching { if case .block(_, .attnScores) = $0 { true } else { false } }) { point, scores in
                        var s = scores
                        edit.apply(to: &s, layer: point.layer!)
                        return s
                    }
                    let perturbed = try m.forward(ids, interventions: iv).logits!
                    for i in 0..<j { XCTAssertEqual(perturbed.row(i), plain.row(i), "\(name) \(shift): row \(i) before \(j)") }
                    // (A row whose minimum is key j itself does not change: the shift already made it 0.)
                    XCTAssertGreaterThan(maxAbsDifference(perturbed.rows(j..<ids.count), plain.rows(j..<ids.count)).value, 0,
                                         "\(name): rows from \(j) on change")
                }
            }
        }
    }

    func testSuppressingTheCopiedTokenRaisesCEAndLessAsTheFactorRises() throws {
        let m = try model("gpt2-copy")
        var options = AtMan.Options()
        options.kappa = nil
        var atX: [Float] = []
        for f: Float in [0, 0.1, 0.5, 1] {
            options.factor = f
            let r = try AtMan.explain(m, .tokens(copyPrompt, types: nil), target: .continuation([12]), options: options)
            atX.append(r.groupScores[1])
            if f == 0.1 {
                let ranked = r.groupScores.indices.sorted { r.groupScores[$0] > r.groupScores[$1] }
                XCTAssertEqual(ranked.first, 1, "X (position 1) matters most: \(r.groupScores)")
                XCTAssertGreaterThan(r.groupScores[1], 10 * (r.groupScores.enumerated().filter { $0.offset != 1 }.map { abs($0.element) }.max() ?? 0))
            }
        }
        XCTAssertGreaterThan(atX[0], 0.5, "\(atX)")
        for k in 1..<atX.count { XCTAssertLessThanOrEqual(atX[k], atX[k - 1], "ΔCE not non-increasing in f: \(atX)") }
        XCTAssertEqual(atX[3], 0, accuracy: 1e-5)
        // With two targets the second (Y) depends on position 2.
        options.factor = 0.1
        let two = try AtMan.explain(m, .tokens(copyPrompt, types: nil), target: .continuation([12, 20]), options: options)
        XCTAssertEqual(two.targetPositions, [8, 9])
        XCTAssertEqual((0..<10).max { two.perTarget[$0][0] < two.perTarget[$1][0] }, 1)
        XCTAssertEqual((0..<10).max { two.perTarget[$0][1] < two.perTarget[$1][1] }, 2)
        XCTAssertEqual(two.groupScores[2], two.perTarget[2].reduce(0, +), accuracy: 1e-6)
    }

    func testGroupsSquaredScoresAndConceptualNeighbours() throws {
        let m = try model("gpt2-copy")
        let prompt = [31, 12, 20, 15, 12, 25, 9, 17, 6]                      // X repeated at 4
        let r = try AtMan.explain(m, .tokens(prompt, types: nil), target: .continuation([12]))
        XCTAssertEqual(r.suppressions[1].keys, [1, 4])
        XCTAssertEqual(r.suppressions[1].factors[1], 0.1, accuracy: 1e-6, "cos 1 gives the factor itself")
        XCTAssertEqual(r.groupScores[1], r.groupScores[4], accuracy: 1e-6, "repeated tokens share credit")
        var options = AtMan.Options()
        options.squared = true
        let squared = try AtMan.explain(m, .tokens(prompt, types: nil), target: .continuation([12]), options: options)
        for (a, b) in zip(squared.groupScores, r.groupScores) { XCTAssertEqual(a, b * b, accuracy: 1e-5) }
        options = AtMan.Options()
        options.kappa = nil
        let grouped = try AtMan.explain(m, .tokens(prompt, types: nil), target: .continuation([12]),
                                        groups: [[0, 1, 2], [5, 6]], options: options)
        XCTAssertEqual(grouped.scores.scores.count, 9)
        XCTAssertEqual(Array(grouped.scores.scores[0..<3]), Array(repeating: grouped.groupScores[0], count: 3))
        XCTAssertEqual(grouped.scores.scores[3], 0)
        XCTAssertGreaterThan(grouped.groupScores[0], 1)
        XCTAssertEqual(grouped.scores.method, "atman")
        XCTAssertEqual(grouped.scores.parameters["kappa"], "off")
    }

    func testClassifiersMaskedLMsAndThePatchGrid() throws {
        let vit = try model("vit-tiny")
        let (pixels, label) = AtManParityTests.problem(vit)
        let r = try AtMan.explain(vit, pixels, target: label)
        let grid = try XCTUnwrap(r.scores.patchGrid)
        XCTAssertEqual([grid.count, grid[0].count], [4, 4])
        XCTAssertEqual(grid[1][2], r.scores.scores[1 + 1 * 4 + 2])
        XCTAssertEqual(r.groups.count, 17)
        let patchesOnly = try AtMan.explain(vit, pixels, target: label, groups: (1...16).map { [$0] })
        XCTAssertEqual(patchesOnly.scores.scores[0], 0)
        let mlm = try model("bert-tiny-mlm")
        let out = try AtMan.explain(mlm, .tokens([2, 9, 14, 4, 30, 3], types: nil), target: .token(id: 14, position: 3))
        XCTAssertEqual(out.targetPositions, [3])
        XCTAssertEqual(out.groups.count, 6, "bidirectional: every position is explained")
    }

    func testMistakesAreClearErrors() throws {
        let gpt = try model("gpt2-copy"), vit = try model("vit-tiny"), bert = try model("bert-cls")
        let ids = ModelInput.tokens(copyPrompt, types: nil)
        var bad = AtMan.Options()
        bad.factor = -1
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .continuation([12]), options: bad))
        bad = AtMan.Options(); bad.kappa = 1.5
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .continuation([12]), options: bad))
        bad = AtMan.Options(); bad.layers = [7]
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .continuation([12]), options: bad)) { error in
            XCTAssertEqual(error as? AnalysisError, .layerOutOfRange(7, layers: 2))
        }
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .continuation([])))
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .continuation([99])))
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .label(0)))
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .token(id: 3, position: 9)))
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .continuation([12]), groups: [[0, 1], [1]]))
        XCTAssertThrowsError(try AtMan.explain(gpt, ids, target: .continuation([12]), groups: [[12]]))
        XCTAssertThrowsError(try AtMan.explain(bert, .tokens([2, 5, 3], types: nil), target: .continuation([4])))
        XCTAssertThrowsError(try AtMan.explain(bert, .tokens([2, 5, 3], types: nil), target: .label(3)))
        XCTAssertThrowsError(try AtMan.explain(vit, ids, target: .label(0)))
    }

    func testProgressIsReportedUpToTheTotal() throws {
        let m = try model("gpt2-copy")
        for engine in AtMan.Engine.allCases {
            let calls = Collector([(Int, Int)]())
            var options = AtMan.Options()
            options.engine = engine
            options.rowBudget = 12
            options.progress = { done, total in calls.update { $0.append((done, total)) } }
            _ = try AtMan.explain(m, .tokens(copyPrompt, types: nil), target: .continuation([12]), options: options)
            let seen = calls.value
            XCTAssertGreaterThan(seen.count, 1, "\(engine)")
            XCTAssertEqual(seen.last.map { $0.0 == $0.1 }, true, "\(engine)")
        }
    }
}
