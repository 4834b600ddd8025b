import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// The forward's blocked attention (`AttentionPath.blocked`, docs/methods.md §0.4) against its
/// unblocked path on every fixture model (GPT-2, Llama with GQA and three RoPE variants, Mistral
/// and Qwen2 sliding windows, Phi-3 with LongRoPE and a window of 5, Mixtral's experts with a window
/// of 6, BERT, RoBERTa, DistilBERT, ViT, Gemma 1–3 and OLMo 2 — Gemma 2's soft-capped scores go
/// through the blocked kernel's own cap, Gemma 3's sliding layers through their own rotary tables).
/// Tolerance: for every compared tensor,
/// max |Δ| ≤ 1e-5 · max |unblocked| (relative to the tensor's scale; fp32 both sides), except on the
/// ALBERT fixtures (`illConditioned`): their query/key weights were doubled so that the attention is
/// nearly one-hot, and their shared layers run 8 and 3 times, so the online softmax's rescalings
/// (rounded differently from the one-pass softmax) grow through the depth to 3.3e-5 of a tensor's
/// scale (albert-mlm; albert-cls 1.1e-5; measured where OpenBLAS runs its Haswell kernels); there 1e-4.
final class BlockedAttentionTests: XCTestCase {
    static let relativeTolerance: Float = 1e-5
    /// Fixtures whose forward amplifies float32 rounding beyond `relativeTolerance` (see above).
    static let illConditioned: Set<String> = ["albert-mlm", "albert-cls"]

    static var fixtureModels: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: Fixtures.models.path)) ?? []).sorted()
    }

    private func input(for model: TransformerModel, length: Int, seed: UInt64) -> ModelInput {
        var rng = SplitMix64(seed: seed)
        let arch = model.architecture
        if let image = arch.image {
            return .pixels(rng.tensor([image.channels, image.height, image.width]))
        }
        let n = min(length, arch.contextLength)
        return .tokens((0..<n).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }, types: nil)
    }

    /// z of every layer, every residual stream after a block, the final hidden state and logits.
    private func compared(_ model: TransformerModel) -> HookFilter {
        .matching { point in
            if case .block(_, let site) = point { return site == .z || site == .residPost }
            return false
        }
    }

    /// Asserts `actual` within `relative` × max |expected| of `expected`; returns that relative difference.
    @discardableResult
    private func assertRelativelyClose(_ actual: Tensor, _ expected: Tensor, _ label: String,
                                       relative: Float = BlockedAttentionTests.relativeTolerance,
                                       file: StaticString = #filePath, line: UInt = #line) -> Float {
        let scale = expected.storage.reduce(Float(0)) { max($0, abs($1)) }
        assertClose(actual, expected, tolerance: relative * max(scale, .leastNormalMagnitude), label,
                    file: file, line: line)
        guard actual.shape == expected.shape else { return .infinity }
        let diff = zip(actual.storage, expected.storage).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
        return diff / max(scale, .leastNormalMagnitude)
    }

    /// Every captured tensor, the hidden state, logits and pooled output within `relative`; returns the worst.
    @discardableResult
    private func assertSame(_ blocked: ForwardResult, _ full: ForwardResult, _ label: String,
                            relative: Float = BlockedAttentionTests.relativeTolerance) throws -> Float {
        XCTAssertFalse(full.cache.order.isEmpty, "\(label): nothing captured")
        var worst: Float = 0
        for point in full.cache.order {
            let reference = try XCTUnwrap(full.cache[point], "\(label): \(point.name) missing (unblocked)")
            let ours = try XCTUnwrap(blocked.cache[point], "\(label): \(point.name) missing (blocked)")
            worst = max(worst, assertRelativelyClose(ours, reference, "\(label) \(point.name)", relative: relative))
        }
        worst = max(worst, assertRelativelyClose(blocked.hidden, full.hidden, "\(label) hidden", relative: relative))
        if let logits = full.logits {
            worst = max(worst, assertRelativelyClose(try XCTUnwrap(blocked.logits), logits, "\(label) logits", relative: relative))
        }
        if let pooled = full.pooled {
            worst = max(worst, assertRelativelyClose(try XCTUnwrap(blocked.pooled), pooled, "\(label) pooled", relative: relative))
        }
        return worst
    }

    /// Blocks of 1, 4, 5 and 16 on inputs of 45 tokens (or the context, or ViT's 17 positions):
    /// lengths not a multiple of the block, and Mistral's window of 3 and Qwen2's of 4 smaller than
    /// a block of 4 or 5.
    func testEveryFixtureModelBlockedEqualsUnblocked() throws {
        var families = Set<String>()
        for (index, name) in Self.fixtureModels.enumerated() {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            families.insert(model.architecture.modelType)
            let x = input(for: model, length: 45, seed: UInt64(300 + index))
            let full = try model.forward(x, capture: compared(model), attention: .unblocked)
            let relative: Float = Self.illConditioned.contains(name) ? 1e-4 : Self.relativeTolerance
            var worst: Float = 0
            for blockSize in [1, 4, 5, 16] {
                let blocked = try model.forward(x, capture: compared(model), attention: .blocked(blockSize: blockSize))
                worst = max(worst, try assertSame(blocked, full, "\(name) B=\(blockSize)", relative: relative))
            }
            if Self.illConditioned.contains(name) { print("\(name): blocked against unblocked, worst relative difference \(worst)") }
        }
        XCTAssertTrue(families.isSuperset(of: ["gpt2", "llama", "mistral", "qwen2", "bert", "vit", "phi3", "mixtral",
                                               "roberta", "distilbert", "gemma", "gemma2", "gemma3", "gemma3_text", "olmo2"]),
                      "fixture families: \(families.sorted())")
    }

    /// Sliding windows smaller than a block and blocks straddling the window edge, on longer inputs
    /// (Gemma 2: windows of 4 with soft-capped scores; Gemma 3: windows of 3).
    func testSlidingWindowsAcrossManyBlocks() throws {
        for name in ["mistral-swa", "qwen2-swa", "phi3-longrope", "mixtral-moe", "gemma2-softcap", "gemma3-text", "gemma3-mm",
                     "qwen2moe-tiny"] {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let x = input(for: model, length: 32, seed: 17)
            let full = try model.forward(x, capture: compared(model), attention: .unblocked)
            for blockSize in [2, 3, 7, 31, 32, 64] {
                try assertSame(try model.forward(x, capture: compared(model), attention: .blocked(blockSize: blockSize)),
                               full, "\(name) B=\(blockSize)")
            }
        }
    }

    /// `automatic` is the blocked path (default block) on inputs longer than a block, bit for bit.
    func testAutomaticIsBlockedOnLongInputs() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-long"))
        let x = input(for: model, length: 150, seed: 5)
        let automatic = try model.forward(x, capture: compared(model))
        let blocked = try model.forward(x, capture: compared(model), attention: .blocked)
        let full = try model.forward(x, capture: compared(model), attention: .unblocked)
        XCTAssertEqual(automatic.logits?.storage, blocked.logits?.storage)
        try assertSame(automatic, full, "gpt2-long automatic")
    }

    /// A hook on the scores or pattern keeps that layer on the unblocked path under `automatic`:
    /// the pattern is captured, an edit of the scores (AtMan's kind) takes effect exactly as on the
    /// unblocked path, and the other layers still agree.
    func testHooksThatNeedThePatternKeepTheUnblockedPath() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-long"))
        let x = input(for: model, length: 150, seed: 6)
        let automatic = try model.forward(x, capture: .points([.block(0, .pattern), .block(1, .attnScores)]))
        XCTAssertEqual(automatic.cache[.block(0, .pattern)]?.shape, [model.architecture.heads, 150, 150])
        XCTAssertEqual(automatic.cache[.block(1, .attnScores)]?.shape, [model.architecture.heads, 150, 150])

        var edit = Interventions()
        edit.add(.block(1, .attnScores)) { _, scores in
            var s = scores
            for i in stride(from: 3, to: s.count, by: 150) { s.storage[i] -= 5 }   // key 3 of every row
            return s
        }
        let edited = try model.forward(x, interventions: edit)
        let editedFull = try model.forward(x, interventions: edit, attention: .unblocked)
        let plain = try model.forward(x, attention: .unblocked)
        assertRelativelyClose(try XCTUnwrap(edited.logits), try XCTUnwrap(editedFull.logits), "edited logits")
        let moved = zip(editedFull.logits!.storage, plain.logits!.storage).map { abs($0 - $1) }.max() ?? 0
        XCTAssertGreaterThan(moved, 1e-3, "the score edit must change the output")
    }

    func testForcedBlockedPathRefusesPatternHooksAndBadBlocks() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("llama-gqa"))
        XCTAssertThrowsError(try model.forward([1, 2, 3], capture: .points([.block(1, .pattern)]), attention: .blocked)) {
            XCTAssertEqual($0 as? AttentionPathError, .patternNeeded(layer: 1))
        }
        XCTAssertThrowsError(try model.forward([1, 2, 3], attention: .blocked(blockSize: 0))) {
            XCTAssertEqual($0 as? AttentionPathError, .invalidBlockSize(0))
        }
        XCTAssertEqual(AttentionPathError.patternNeeded(layer: 1).errorDescription?.contains("layer 1"), true)
    }
}
