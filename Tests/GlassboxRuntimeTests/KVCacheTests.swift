import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Decoding with a `KVCache` (docs/methods.md §11) against the cache-free forward of the whole
/// prefix on every causal fixture family: each step's logits agree to 1e-5 relative to the logits'
/// scale (the prefix / suffix split changes the summation order, so not bitwise).
final class KVCacheTests: XCTestCase {
    /// Every causal fixture with a language-model head.
    static let families = ["gpt2-tiny", "gpt2-odd", "gpt2-sharded", "gpt2-long", "gpt2-copy",
                           "llama-gqa", "llama-rope-linear", "llama-rope-dynamic", "llama3-rope", "llama-rope-yarn", "llama-longrope",
                           "mistral-swa", "qwen2-swa", "qwen2-yarn", "qwen2-longrope", "qwen3-qknorm", "neox-parallel", "neox-sequential", "gemma-tiny",
                           "gemma2-softcap", "gemma3-text", "olmo2-postnorm", "phi3-longrope", "mixtral-moe",
                           "gemma-rope-dynamic", "gemma2-rope-linear", "olmo2-rope-dynamic", "neox-rope-yarn", "gemma3-mm", "phi-tiny", "phi-qknorm",
                           "gptj-tiny", "gptj-whole",
                           "falcon-mq", "falcon-newarch", "falcon-seq",
                           "gptneo-tiny", "gptneo-local",
                           "bloom-tiny", "bloom-odd",
                           "opt-tiny", "opt-post", "opt-proj",
                           "qwen2moe-tiny", "qwen3moe-tiny",
                           "bigcode-mq", "bigcode-mha",
                           "granite-tiny", "granite-bias",
                           "stablelm-tiny", "stablelm-par",
                           "cohere-tiny", "cohere-qknorm",
                           "olmoe-tiny", "olmoe-norm",
                           "starcoder2-tiny", "starcoder2-nobias",
                           "olmo-tiny", "olmo-clip",
                           "smollm3-tiny", "smollm3-swa",
                           "cohere2-tiny", "cohere2-types",
                           "olmoe-clip",
                           "glm-tiny", "glm4-tiny",
                           "granitemoe-tiny", "granitemoe-shared",
                           "arcee-tiny",
                           "nemotron-tiny", "nemotron-bias",
                           "helium-tiny", "helium-bias",
                           "mpt-tiny", "mpt-bias",
                           "codegen-tiny", "codegen-wide",
                           "phimoe-tiny", "phimoe-plain"]

    static func tolerance(_ expected: Tensor) -> Float {
        1e-5 * max(1, expected.storage.map(abs).max() ?? 0)
    }

    /// A 5-token prefill, then steps of 1, 2 and 1… tokens up to 14 positions (past every fixture's
    /// sliding window, and past phi3-longrope's original length 8).
    func testEveryStepEqualsTheCacheFreeForward() throws {
        for name in Self.families {
            let model = try TransformerModel.load(directory: Fixtures.model(name))
            let arch = model.architecture
            var rng = SplitMix64(seed: 5)
            let total = min(arch.contextLength, 14)
            let ids = (0..<total).map { _ in Int(rng.next() % UInt64(arch.vocabSize)) }
            var cache = try KVCache(for: model)
            var steps = [0..<5, 5..<6, 6..<8]
            steps += (8..<total).map { $0..<($0 + 1) }
            for step in steps {
                let logits = try model.decode(Array(ids[step]), cache: &cache)
                let expected = try model.forward(Array(ids[0..<step.upperBound]),
                                                 logitRows: .positions(Array(step))).logits!
                XCTAssertEqual(logits.shape, expected.shape, "\(name) step \(step)")
                assertClose(logits, expected, tolerance: Self.tolerance(expected), "\(name) step \(step)")
                XCTAssertEqual(cache.length, step.upperBound)
            }
            XCTAssertEqual(cache.ids, ids, name)
        }
    }

    func testLastOnlyReturnsTheLastRow() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gemma3-text"))
        let ids = [3, 9, 4, 17, 22, 5, 8]
        var cache = try KVCache(for: model)
        let last = try model.decode(ids, cache: &cache, logits: .last)
        let expected = try model.forward(ids, logitRows: .positions([6])).logits!
        assertClose(last, expected, tolerance: Self.tolerance(expected), "prefill, last row")
    }

    func testBadInputLeavesTheCacheUnchangedAndEncodersAreRefused() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        var cache = try KVCache(for: model)
        _ = try model.decode([1, 2, 3], cache: &cache)
        XCTAssertThrowsError(try model.decode([model.architecture.vocabSize], cache: &cache))
        XCTAssertThrowsError(try model.decode([], cache: &cache))
        XCTAssertThrowsError(try model.decode(Array(repeating: 1, count: model.architecture.contextLength), cache: &cache))
        XCTAssertEqual(cache.ids, [1, 2, 3])
        for encoder in ["bert-tiny-mlm", "vit-tiny", "roberta-mlm"] {
            let model = try TransformerModel.load(directory: Fixtures.model(encoder))
            XCTAssertThrowsError(try KVCache(for: model)) { error in
                XCTAssertEqual(error as? GenerationError, .notCausal(model.architecture.modelType), encoder)
            }
        }
    }
}
