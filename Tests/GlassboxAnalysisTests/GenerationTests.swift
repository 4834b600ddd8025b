import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Greedy generation with the KV cache against `transformers`' `generate(do_sample=False)`
/// (scripts/fixtures/generate_generation.py → Tests/Fixtures/generation/): the same ids token for
/// token on every causal fixture family, and the same top-1 margins to 1e-4 relative (a step whose
/// reference margin is below 1e-4 would be a genuine tie; none is). Plus the sampling warpers.
final class GenerationTests: XCTestCase {
    struct Reference: Decodable {
        let prompt_ids: [Int]
        let max_new_tokens: Int
        let eos_token_ids: [Int]
        let output_ids: [Int]
        let margins: [Float]
    }

    static let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/generation")
    static let families = ["gpt2-tiny", "gpt2-odd", "gpt2-sharded", "gpt2-long", "gpt2-copy",
                           "llama-gqa", "llama-rope-linear", "llama-rope-dynamic", "llama3-rope", "mistral-swa",
                           "qwen2-swa", "qwen3-qknorm", "neox-parallel", "neox-sequential", "gemma-tiny",
                           "gemma2-softcap", "gemma3-text", "olmo2-postnorm", "phi3-longrope", "mixtral-moe",
                           "llama-longrope", "qwen2-longrope", "gemma-rope-dynamic", "gemma2-rope-linear",
                           "olmo2-rope-dynamic", "neox-rope-yarn", "gemma3-mm", "phi-tiny", "phi-qknorm",
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
                           "mpt-tiny",
                           "codegen-tiny", "codegen-wide",
                           "phimoe-tiny", "phimoe-plain"]

    func testGreedyEqualsTransformersGenerate() throws {
        for name in Self.families {
            try Self.checkGreedy(name, folder: Self.folder)
        }
    }

    /// `folder/<name>.json` against Glassbox's greedy decoding with the KV cache: the same ids, and
    /// every step's top-1 margin within 1e-4 · max(1, |margin|). A missing reference fails (never skips).
    /// Returns the largest |Δ margin| / max(1, |margin|).
    @discardableResult
    static func checkGreedy(_ name: String, folder: URL) throws -> Float {
        let data = try Data(contentsOf: folder.appendingPathComponent("\(name).json"))
        let reference = try JSONDecoder().decode(Reference.self, from: data)
        XCTAssertFalse(reference.output_ids.isEmpty, name)
        let model = try TransformerModel.load(directory: Fixtures.model(name))
        let result = try Generation.run(model: model, prompt: reference.prompt_ids,
                                        options: GenerationOptions(maxTokens: reference.max_new_tokens,
                                                                   stopIDs: Set(reference.eos_token_ids)))
        XCTAssertEqual(result.tokens.map(\.id), reference.output_ids, name)
        XCTAssertEqual(result.tokens.count, reference.margins.count, "\(name): steps")
        var largest: Float = 0
        for (step, (token, expected)) in zip(result.tokens, reference.margins).enumerated() {
            XCTAssertGreaterThan(expected, 1e-4, "\(name) step \(step): a genuine tie in the reference")
            XCTAssertEqual(token.margin, expected, accuracy: 1e-4 * max(1, abs(expected)), "\(name) step \(step) margin")
            largest = max(largest, abs(token.margin - expected) / max(1, abs(expected)))
        }
        return largest
    }

    func testStopsAtEndOfSequenceAndContext() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let reference = try JSONDecoder().decode(Reference.self, from: Data(contentsOf: Self.folder.appendingPathComponent("gpt2-tiny.json")))
        let first = reference.output_ids[0]
        let stopped = try Generation.run(model: model, prompt: reference.prompt_ids,
                                         options: GenerationOptions(maxTokens: 5, stopIDs: [first]))
        XCTAssertEqual(stopped.tokens.map(\.id), [first])
        XCTAssertEqual(stopped.stop, .endOfSequence)
        let context = model.architecture.contextLength
        let full = try Generation.run(model: model, prompt: Array(repeating: 3, count: context - 2),
                                      options: GenerationOptions(maxTokens: 10))
        XCTAssertEqual(full.tokens.count, 3, "the last token is predicted from a full context, never read")
        XCTAssertEqual(full.stop, .context)
        XCTAssertThrowsError(try Generation.run(model: model, prompt: [1], options: GenerationOptions(maxTokens: 0)))
        XCTAssertThrowsError(try Generation.run(model: model, prompt: [1],
                                                options: GenerationOptions(sampling: .sample(temperature: 0, topK: nil, topP: nil, seed: 1))))
    }

    func testSamplingIsReproducibleAndRespectsTopK() throws {
        let model = try TransformerModel.load(directory: Fixtures.model("llama-gqa"))
        let sampling = Sampling.sample(temperature: 1.5, topK: 3, topP: 0.9, seed: 42)
        let options = GenerationOptions(maxTokens: 8, sampling: sampling)
        let a = try Generation.run(model: model, prompt: [5, 6, 7], options: options)
        let b = try Generation.run(model: model, prompt: [5, 6, 7], options: options)
        XCTAssertEqual(a, b)
        // Top-1 sampling is greedy.
        let top1 = try Generation.run(model: model, prompt: [5, 6, 7],
                                      options: GenerationOptions(maxTokens: 8, sampling: .sample(temperature: 1, topK: 1, topP: nil, seed: 3)))
        let greedy = try Generation.run(model: model, prompt: [5, 6, 7], options: GenerationOptions(maxTokens: 8))
        XCTAssertEqual(top1.tokens.map(\.id), greedy.tokens.map(\.id))
    }

    func testWarpersFollowTransformersOrder() throws {
        // logits [2, 1, 0, -1]: top-k 3 removes id 3; top-p 0.7 on the remaining softmax
        // (0.665, 0.245, 0.090) keeps ids 0 and 1 (cumulative ascending 0.090 ≤ 0.3 removed).
        let p = try Sampling.sample(temperature: 1, topK: 3, topP: 0.7, seed: 0).probabilities([2, 1, 0, -1])
        XCTAssertEqual(p[2], 0)
        XCTAssertEqual(p[3], 0)
        XCTAssertEqual(p[0], Float(exp(1.0) / (exp(1.0) + 1)), accuracy: 1e-6)
        // Temperature first: at T = 0.5 the same top-p keeps only id 0 (0.867 > 0.7 after the rest).
        let cold = try Sampling.sample(temperature: 0.5, topK: nil, topP: 0.7, seed: 0).probabilities([2, 1, 0, -1])
        XCTAssertEqual(cold, [1, 0, 0, 0])
    }

    /// `probabilities` validates its options and its logits: no logits and top-k 0 used to trap
    /// (index out of range).
    func testProbabilitiesRefuseNoLogitsAndBadOptions() {
        XCTAssertThrowsError(try Sampling.greedy.probabilities([])) { error in
            XCTAssertEqual(error as? AnalysisError, .invalidOption("there are no logits to choose a token from"))
            XCTAssertEqual(error.localizedDescription, "there are no logits to choose a token from")
        }
        XCTAssertThrowsError(try Sampling.sample(temperature: 1, topK: 0, topP: nil, seed: 0).probabilities([1, 2, 3])) { error in
            XCTAssertEqual(error as? SamplingError, .topK(0))
        }
        XCTAssertThrowsError(try Sampling.sample(temperature: -1, topK: nil, topP: nil, seed: 0).probabilities([1, 2, 3])) { error in
            XCTAssertEqual(error as? SamplingError, .temperature(-1))
        }
        XCTAssertEqual(try Sampling.greedy.probabilities([1, 3, 2]), [0, 1, 0])
    }

    func testTinyTemperatureIsGreedyAndNaNLogitsAreAnError() throws {
        // l / T overflows Float for T = 1e-38 (logits ~ 10): scores must be (l − max l) / T.
        let model = try TransformerModel.load(directory: Fixtures.model("gpt2-tiny"))
        let greedy = try Generation.run(model: model, prompt: [5, 6, 7], options: GenerationOptions(maxTokens: 6))
        for t in [Float(1e-38), .leastNonzeroMagnitude, 1e-30] {
            let sampled = try Generation.run(model: model, prompt: [5, 6, 7],
                                             options: GenerationOptions(maxTokens: 6, sampling: .sample(temperature: t, topK: nil, topP: nil, seed: 9)))
            XCTAssertEqual(sampled.tokens.map(\.id), greedy.tokens.map(\.id), "T = \(t)")
        }
        let p = try Sampling.sample(temperature: 1e-38, topK: nil, topP: nil, seed: 0).probabilities([3, 9, -2, 8.5])
        XCTAssertEqual(p, [0, 1, 0, 0])
        // NaN logits (NaN in ln_f, loaded with non-finite values allowed) are an error, never a silent id 0.
        let broken = try Fixtures.editedCopy(of: "gpt2-tiny", test: self) { name, tensor in
            if name == "transformer.ln_f.weight" { tensor.storage[0] = .nan }
        }
        let nanModel = try TransformerModel.load(directory: broken, options: LoadOptions(allowNonFinite: true))
        for sampling in [Sampling.greedy, .sample(temperature: 1, topK: nil, topP: nil, seed: 0)] {
            XCTAssertThrowsError(try Generation.run(model: nanModel, prompt: [5, 6, 7],
                                                    options: GenerationOptions(maxTokens: 2, sampling: sampling))) { error in
                guard case GenerationError.nonFiniteLogits(0, let count) = error else { return XCTFail("\(error)") }
                XCTAssertGreaterThan(count, 0)
            }
        }
    }
}
