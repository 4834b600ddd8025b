import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The batched suffix engine (`forwardSuffixes`) against the plain forward on every fixture family:
/// unedited items reproduce it (rows before `start` bitwise), edited items equal a plain forward
/// with the same edit as an `attn_scores` intervention, and chunking does not matter — each to
/// 1e-5 relative to the logits' scale (`tolerance`). Plus the manipulation math on toy tensors (docs/methods.md §4.1 worked example,
/// and the official pipeline dumped by scripts/fixtures/generate_atman.py, ≤ 1e-6).
final class BatchedSuffixTests: XCTestCase {
    /// 1e-5 relative to the logits' scale: stacking rows changes OpenBLAS's tiling and the prefix /
    /// suffix split changes summation order, so results agree to float rounding, not bitwise.
    static func tolerance(_ expected: Tensor) -> Float {
        1e-5 * max(1, expected.storage.map(abs).max() ?? 0)
    }

    /// Every fixture with a prediction head (bert-odd and vit-odd are bare encoders).
    static let families = ["gpt2-tiny", "gpt2-odd", "gpt2-sharded", "gpt2-long", "gpt2-copy", "bert-cls", "bert-tiny-mlm",
                           "llama-gqa", "llama-rope-linear", "llama-rope-dynamic", "llama3-rope", "llama-rope-yarn", "llama-longrope",
                           "mistral-swa", "qwen2-swa", "qwen2-yarn", "qwen2-longrope", "vit-tiny", "roberta-mlm", "roberta-cls", "distilbert-mlm", "distilbert-cls",
                           "xlmr-mlm", "xlmr-cls", "camembert-mlm", "electra-disc", "electra-gen", "electra-cls"]

    /// A seeded input and the logit rows read (deliberately unsorted for token heads).
    static func input(_ model: TransformerModel, seed: UInt64 = 7) -> (input: ModelInput, rows: [Int], length: Int) {
        let arch = model.architecture
        var rng = SplitMix64(seed: seed)
        if let image = arch.image {
            return (.pixels(rng.tensor([image.channels, image.height, image.width])), [0], image.patchCount + 1)
        }
        let n = min(arch.contextLength, 11)
        let ids = (0..<n).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }
        return (.tokens(ids, types: nil), [n - 1, 2, n - 4], n)
    }

    func testUneditedItemsReproduceThePlainForward() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (input, rows, n) = Self.input(model)
            let base = try model.suffixBase(input, logitRows: rows)
            let plain = try model.forward(input, logitRows: .positions(base.logitRows)).logits!
            XCTAssertEqual(base.logits, plain, "\(name): the base pass is the plain forward")
            let starts = [0, 1, n / 2, n - 1]
            let out = try model.forwardSuffixes(base: base, items: starts.map { SuffixItem(start: $0, edit: nil) })
            for (start, logits) in zip(starts, out) {
                assertClose(logits, plain, tolerance: Self.tolerance(plain), "\(name) start \(start)")
                guard base.isCausal else { continue }
                for (i, p) in base.logitRows.enumerated() where p < start {
                    XCTAssertEqual(logits.row(i), plain.row(i), "\(name) start \(start): row \(p) is the base row")
                }
            }
        }
    }

    func testEditedItemsEqualThePlainForwardWithTheEditAsAnIntervention() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (input, rows, n) = Self.input(model, seed: 11)
            let base = try model.suffixBase(input, logitRows: rows)
            var edits: [AttentionScoreEdit] = []
            for shift in [AttentionScoreEdit.Shift.visibleKeyMinimum, .none] {
                edits.append(AttentionScoreEdit(keys: [1], factor: 0.1, shift: shift))
                edits.append(AttentionScoreEdit(keys: [n / 2, 0], factors: [0, 0.5], shift: shift, layers: [0]))
                edits.append(AttentionScoreEdit(keys: [n - 2], factor: 3, shift: shift, layers: [model.architecture.layers - 1]))
            }
            let out = try model.forwardSuffixes(base: base, items: edits.map { SuffixItem(edit: $0) })
            for (edit, logits) in zip(edits, out) {
                var intervention = Interventions()
                intervention.add(.matching { if case .block(_, .attnScores) = $0 { true } else { false } }) { point, scores in
                    var s = scores
                    edit.apply(to: &s, layer: point.layer!)
                    return s
                }
                let expected = try model.forward(input, interventions: intervention, logitRows: .positions(base.logitRows)).logits!
                assertClose(logits, expected, tolerance: Self.tolerance(expected), "\(name) keys \(edit.keys) \(edit.shift) layers \(edit.layers ?? [])")
                XCTAssertGreaterThan(maxAbsDifference(expected, base.logits).value, 1e-4, "\(name): the edit changes something")
            }
        }
    }

    func testChunkingDoesNotChangeResults() throws {
        for name in ["gpt2-odd", "llama-gqa", "mistral-swa", "bert-tiny-mlm", "vit-tiny"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let (input, rows, n) = Self.input(model, seed: 3)
            let base = try model.suffixBase(input, logitRows: rows)
            let items = (0..<n).map { SuffixItem(edit: AttentionScoreEdit(keys: [$0], factor: 0.1, shift: .rowMinimum)) }
            let together = try model.forwardSuffixes(base: base, items: items, options: SuffixOptions(rowBudget: 100_000))
            for budget in [1, 7] {
                let chunked = try model.forwardSuffixes(base: base, items: items, options: SuffixOptions(rowBudget: budget))
                for i in items.indices { assertClose(chunked[i], together[i], tolerance: Self.tolerance(together[i]), "\(name) budget \(budget) item \(i)") }
            }
        }
    }

    func testProgressCountsEveryRowOfEveryLayer() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let base = try model.suffixBase(.tokens([5, 9, 2, 44, 7, 1], types: nil), logitRows: [5])
        let seen = Collector([(Int, Int)]())
        _ = try model.forwardSuffixes(base: base, items: (0..<6).map { SuffixItem(edit: AttentionScoreEdit(keys: [$0], factor: 0.1)) },
                                      options: SuffixOptions(rowBudget: 8) { done, total in seen.update { $0.append((done, total)) } })
        let calls = seen.value
        XCTAssertEqual(calls.last?.0, 2 * (6 + 5 + 4 + 3 + 2 + 1))
        XCTAssertTrue(calls.allSatisfy { $0.1 == calls.last?.0 })
        XCTAssertEqual(calls.map(\.0), calls.map(\.0).sorted())
    }

    func testChunkFinishedFollowsEachChunksItems() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let base = try model.suffixBase(.tokens([5, 9, 2, 44, 7, 1], types: nil), logitRows: [5])
        // Rows 6, 5, 4, 3, 2, 1 under a budget of 8: chunks {0}, {1}, {2, 3}, {4, 5}.
        var consumed: [Int] = [], finished: [(Range<Int>, [Int])] = []
        try model.forwardSuffixes(base: base, items: (0..<6).map { SuffixItem(edit: AttentionScoreEdit(keys: [$0], factor: 0.1)) },
                                  options: SuffixOptions(rowBudget: 8),
                                  chunkFinished: { finished.append(($0, consumed)) }) { i, _ in consumed.append(i) }
        XCTAssertEqual(finished.map(\.0), [0..<1, 1..<2, 2..<4, 4..<6])
        XCTAssertEqual(finished.map(\.1), [[0], [0, 1], [0, 1, 2, 3], [0, 1, 2, 3, 4, 5]], "each range after its items are consumed")
    }

    func testInvalidItemsAreRejected() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let base = try model.suffixBase(.tokens([5, 9, 2, 44], types: nil), logitRows: [3])
        let cases: [(SuffixItem, SuffixError)] = [
            (SuffixItem(start: 2, edit: AttentionScoreEdit(keys: [1], factor: 0.1)), .startAfterEditedKey(item: 0, start: 2, key: 1)),
            (SuffixItem(start: 4, edit: nil), .startOutOfRange(item: 0, start: 4, length: 4)),
            (SuffixItem(edit: AttentionScoreEdit(keys: [4], factor: 0.1)), .keyOutOfRange(item: 0, key: 4, length: 4)),
            (SuffixItem(edit: AttentionScoreEdit(keys: [1], factor: 0.1, layers: [2])), .layerOutOfRange(item: 0, layer: 2, layers: 2)),
            (SuffixItem(edit: AttentionScoreEdit(keys: [1], factor: .nan)), .invalidFactor(item: 0, factor: .nan)),
        ]
        for (item, expected) in cases {
            XCTAssertThrowsError(try model.forwardSuffixes(base: base, items: [item])) { error in
                if case .invalidFactor = expected {
                    guard case .invalidFactor = error as? SuffixError else { return XCTFail("\(error)") }
                } else {
                    XCTAssertEqual(error as? SuffixError, expected)
                }
                XCTAssertFalse((error as? LocalizedError)?.errorDescription?.isEmpty ?? true)
            }
        }
        XCTAssertThrowsError(try model.forwardSuffixes(base: base, items: [], options: SuffixOptions(rowBudget: 0)))
        let headless = try TransformerModel.load(directory: Fixtures.model("bert-odd"))
        XCTAssertThrowsError(try headless.suffixBase(.tokens([1, 2], types: nil), logitRows: [0])) { error in
            XCTAssertEqual(error as? SuffixError, .noHead("bert"))
        }
    }

    /// docs/methods.md §4.1: one row of scaled scores [2, −1, 0.5], key 0 suppressed.
    func testWorkedExampleOfTheManipulation() {
        func pattern(_ edit: AttentionScoreEdit?) -> [Float] {
            var s = Tensor(shape: [1, 1, 3], storage: [2, -1, 0.5])
            edit?.apply(to: &s, layer: 0, rawScores: s)
            softmaxLastDim(&s)
            return s.storage
        }
        func close(_ a: [Float], _ b: [Float], _ label: String) {
            XCTAssertTrue(zip(a, b).allSatisfy { abs($0 - $1) < 6e-5 }, "\(label): \(a) vs \(b)")
        }
        close(pattern(nil), [0.7856, 0.0391, 0.1753], "baseline")
        for shift in [AttentionScoreEdit.Shift.visibleKeyMinimum, .rowMinimum] {
            close(pattern(AttentionScoreEdit(keys: [0], factor: 0.1, shift: shift)), [0.1976, 0.1464, 0.6560], "f 0.1 \(shift)")
            close(pattern(AttentionScoreEdit(keys: [0], factor: 0, shift: shift)), [0.1543, 0.1543, 0.6914], "f 0 \(shift)")
            close(pattern(AttentionScoreEdit(keys: [0], factor: 1, shift: shift)), pattern(nil), "f 1 \(shift)")
        }
        // Without a shift a factor simply scales: 2·0.1 = 0.2.
        close(pattern(AttentionScoreEdit(keys: [0], factor: 0.1, shift: .none)),
              { var t = Tensor(shape: [3], storage: [0.2, -1, 0.5]); softmaxLastDim(&t); return t.storage }(), "no shift")
    }

    /// The reference pipeline (manipulate_attention_scores before scaling, −10000 fill, scale,
    /// causal mask, clamp, softmax) on random raw scores, reproduced by `.rowMinimum`.
    func testOfficialManipulationOnToyTensors() throws {
        let file = try SafetensorsFile(url: Fixtures.root.appendingPathComponent("Tests/Fixtures/atman/toy.safetensors"))
        let raw = try file.tensor("scores"), factors = try file.tensor("factors"), expected = try file.tensor("pattern")
        let scale = try file.tensor("scale").storage[0]
        let (b, h, n) = (raw.shape[0], raw.shape[1], raw.shape[2])
        for item in 0..<b {
            var scaled = raw.row(item)
            scaleInPlace(&scaled, scale)                                               // [H, n, n]
            var scores = scaled
            applyMask(&scores, .causal)
            let f = factors.row(item).storage
            let keys = f.indices.filter { f[$0] != 1 }
            AttentionScoreEdit(keys: keys, factors: keys.map { f[$0] }, shift: .rowMinimum)
                .apply(to: &scores, layer: 0, rawScores: scaled)
            softmaxLastDim(&scores)
            assertClose(scores, expected.row(item), tolerance: 1e-6, "toy item \(item) (\(h) heads, \(n) keys)")
        }
    }
}
