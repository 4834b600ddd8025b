import Foundation
import GlassboxRuntime
import GlassboxTensor

/// What `generate` does (docs/methods.md §11).
public struct GenerationOptions: Sendable {
    /// At most this many new tokens (≥ 1; the context length may stop it earlier).
    public var maxTokens: Int
    /// Greedy or seeded sampling.
    public var sampling: Sampling
    /// Ids that end generation when produced (the end-of-sequence ids; the id is kept in the result).
    public var stopIDs: Set<Int>

    /// Options as listed above.
    public init(maxTokens: Int = 32, sampling: Sampling = .greedy, stopIDs: Set<Int> = []) {
        (self.maxTokens, self.sampling, self.stopIDs) = (maxTokens, sampling, stopIDs)
    }
}

/// One generated token.
public struct GeneratedToken: Sendable, Equatable {
    /// The token id.
    public let id: Int
    /// `log p(id)` under the model's unwarped next-token distribution (softmax of the logits).
    public let logprob: Float
    /// The entropy `−Σ p log p` (nats) of that distribution.
    public let entropy: Float
    /// The logits' top-1 minus top-2 (a margin near 0 is a tie that float rounding can flip).
    public let margin: Float
}

/// Why generation ended.
public enum GenerationStop: String, Sendable, Equatable {
    /// A stop id (end of sequence) was produced.
    case endOfSequence = "eos"
    /// `maxTokens` were produced.
    case maxTokens = "max_tokens"
    /// The model's context is full.
    case context
    /// The caller's `onToken` asked to stop (the CLI: the `--stop` text appeared).
    case caller = "stop"
}

/// The tokens `generate` produced and why it stopped.
public struct GenerationResult: Sendable, Equatable {
    /// The generated tokens, in order (a stop id included).
    public let tokens: [GeneratedToken]
    /// Why it ended.
    public let stop: GenerationStop
}

/// Why `generate` cannot run.
public enum GenerationOptionsError: Error, Equatable, LocalizedError {
    /// `maxTokens` is below 1.
    case maxTokens(Int)

    /// One readable line naming the bad value.
    public var errorDescription: String? {
        switch self {
        case .maxTokens(let n): "the number of new tokens must be at least 1, got \(n)"
        }
    }
}

/// Text generation with a KV cache (docs/methods.md §11).
public enum Generation {
    /// Continues `prompt` with `model`, one token per decode step over a `KVCache` (docs/methods.md §11):
    /// the prompt is prefilled once, then each chosen token is decoded against the cached keys and
    /// values. Greedy decoding equals `transformers`' `generate(do_sample=False)` token for token
    /// (checked on every causal fixture family).
    ///
    /// - Parameters:
    ///   - prompt: the prompt ids `[n]`, `n ≥ 1`.
    ///   - onToken: called after each token with it and all ids generated so far; return `false` to stop.
    /// - Throws: `GenerationError` for models that cannot generate, `SamplingError`,
    ///   `GenerationOptionsError`, and the model's `InputError` for a bad prompt.
    public static func run(model: TransformerModel, prompt: [Int], options: GenerationOptions,
                           onToken: (_ token: GeneratedToken, _ generated: [Int]) throws -> Bool = { _, _ in true })
        throws -> GenerationResult {
        guard options.maxTokens >= 1 else { throw GenerationOptionsError.maxTokens(options.maxTokens) }
        try options.sampling.validate()
        // One-row products back to back: on OpenBLAS's threads (`Threading.withThreadedBLAS`).
        return try Threading.withThreadedBLAS { try decodeLoop(model: model, prompt: prompt, options: options, onToken: onToken) }
    }

    /// The body of `run`: prefill, then one decode step per token until a stop.
    private static func decodeLoop(model: TransformerModel, prompt: [Int], options: GenerationOptions,
                                   onToken: (_ token: GeneratedToken, _ generated: [Int]) throws -> Bool) throws -> GenerationResult {
        var cache = try KVCache(for: model)
        var rng = SplitMix64(seed: { if case .sample(_, _, _, let seed) = options.sampling { seed } else { 0 } }())
        var logits = try model.decode(prompt, cache: &cache, logits: .last)       // [1, V]
        var tokens: [GeneratedToken] = [], ids: [Int] = []
        let context = model.architecture.contextLength
        while true {
            let row = logits.storage
            // NaN compares false and would leave the arg-max or the draw at id 0; -Inf (a masked
            // token) is fine as long as some logit is finite.
            let bad = NonFinite.countExceptNegativeInfinity(logits)
            guard bad == 0, row.contains(where: \.isFinite) else {
                throw GenerationError.nonFiniteLogits(step: tokens.count, count: bad == 0 ? row.count : bad)
            }
            let id: Int
            if case .greedy = options.sampling {
                id = argmax(row)
            } else {
                let probs = try options.sampling.probabilities(row)
                let u = Float(Double(rng.next() >> 11) / Double(1 << 53))
                var cumulative: Float = 0, chosen = argmax(probs)
                for (i, p) in probs.enumerated() where p > 0 {
                    cumulative += p
                    if cumulative > u { chosen = i; break }
                }
                id = chosen
            }
            let token = GeneratedToken(id: id, logprob: logSoftmax(row, at: id), entropy: entropy(row), margin: margin(row))
            tokens.append(token)
            ids.append(id)
            if !(try onToken(token, ids)) { return GenerationResult(tokens: tokens, stop: .caller) }
            if options.stopIDs.contains(id) { return GenerationResult(tokens: tokens, stop: .endOfSequence) }
            if tokens.count >= options.maxTokens { return GenerationResult(tokens: tokens, stop: .maxTokens) }
            if cache.length + 1 > context { return GenerationResult(tokens: tokens, stop: .context) }
            logits = try model.decode([id], cache: &cache)
        }
    }
}

/// `log softmax(x)[i]`.
func logSoftmax(_ x: [Float], at i: Int) -> Float {
    let m = x.max() ?? 0
    let total = x.reduce(0.0) { $0 + Foundation.exp(Double($1 - m)) }
    return Float(Double(x[i] - m) - Foundation.log(total))
}

/// The entropy (nats) of `softmax(x)`.
func entropy(_ x: [Float]) -> Float {
    let m = x.max() ?? 0
    let e = x.map { Foundation.exp(Double($0 - m)) }
    let total = e.reduce(0, +)
    return Float(e.reduce(0.0) { acc, v in v > 0 ? acc - (v / total) * Foundation.log(v / total) : acc })
}

/// Top-1 minus top-2 of `x` (0 for a single value).
func margin(_ x: [Float]) -> Float {
    var a = -Float.infinity, b = -Float.infinity
    for v in x { if v > a { (a, b) = (v, a) } else if v > b { b = v } }
    return x.count > 1 ? a - b : 0
}
