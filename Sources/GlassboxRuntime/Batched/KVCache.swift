import Foundation
import GlassboxTensor

/// The keys and values of every position a causal model has read so far, per layer, for decoding
/// one (or a few) new tokens at a time (docs/methods.md §11).
///
/// A decode step is a suffix pass of the suffix engine (`forwardSuffixes`): the new positions are
/// the recomputed suffix, the cached keys and values are the shared prefix they attend over, and
/// the step's keys and values are appended afterwards. Keys are stored after RoPE (and after QK-norm),
/// so rotary positions, sliding windows (the window masks the keys it hides), attention soft-caps,
/// Gemma 3's per-layer rotary tables and grouped-query heads all act exactly as in a full forward.
public struct KVCache: Sendable {
    /// The ids read so far, `[n]`.
    public private(set) var ids: [Int]
    /// Per layer `[n, Hkv, dh]`: the post-RoPE keys of positions `0..<n`.
    var keys: [Tensor]
    /// Per layer `[n, Hkv, dh]`: the values of positions `0..<n`.
    var values: [Tensor]

    /// How many positions are cached.
    public var length: Int { ids.count }

    /// An empty cache for `model`; the first `decode` on it is the prefill of a prompt.
    ///
    /// - Throws: `GenerationError.notCausal` for encoders and vision models,
    ///   `GenerationError.noHead` for a model without a language-model head.
    public init(for model: TransformerModel) throws {
        let arch = model.architecture
        guard arch.mask == .causal, arch.image == nil else { throw GenerationError.notCausal(arch.modelType) }
        guard case .languageModel = arch.head, model.weights.head.unembed != nil else {
            throw GenerationError.noHead(arch.modelType)
        }
        let empty = Tensor.zeros([0, arch.kvHeads, arch.headDim])
        ids = []
        keys = Array(repeating: empty, count: arch.layers)
        values = Array(repeating: empty, count: arch.layers)
    }

    /// Appends one step's keys and values `[m, Hkv, dh]` of `layer`.
    mutating func append(layer: Int, keys k: Tensor, values v: Tensor, length n: Int) {
        let (kvHeads, dh) = (k.shape[1], k.shape[2])
        keys[layer].storage += k.storage
        keys[layer].reshape([n, kvHeads, dh])
        values[layer].storage += v.storage
        values[layer].reshape([n, kvHeads, dh])
    }

    /// Records the ids of a finished step.
    mutating func append(ids new: [Int]) { ids += new }
}

/// Which logit rows a decode step returns.
public enum DecodeLogits: Sendable, Equatable {
    /// One row per new position.
    case all
    /// Only the last new position's row (a prompt's prefill, when only the next token matters).
    case last
}

/// Why a model cannot generate.
public enum GenerationError: Error, LocalizedError, Equatable {
    /// The model (its `model_type` given) is an encoder or a vision model: it has no causal
    /// attention to continue a text with.
    case notCausal(String)
    /// The model (its `model_type` given) has no language-model head.
    case noHead(String)
    /// The logits of generation step `step` (0-based) hold `count` NaN or +Inf values (a model
    /// loaded with non-finite values allowed): no token can be chosen from them.
    case nonFiniteLogits(step: Int, count: Int)

    /// One readable line naming the model type or the step.
    public var errorDescription: String? {
        switch self {
        case .notCausal(let type):
            "this \(type) model is not a causal language model, so it cannot generate text (use a decoder such as GPT-2 or Llama)"
        case .noHead(let type):
            "this \(type) model has no language-model head, so it cannot generate text"
        case .nonFiniteLogits(let step, let count):
            "the logits of generated token \(step + 1) hold \(count) NaN or +Inf value(s), so no token can be chosen"
        }
    }
}

extension TransformerModel {
    /// Reads `ids` after the cached positions and returns their next-token logits, appending their
    /// keys and values to `cache` (docs/methods.md §11).
    ///
    /// On an empty cache this is the prefill of a prompt; afterwards, one generated token at a
    /// time is a decode step. The new positions `s..<s+m` (`s = cache.length`) are one item of the
    /// suffix engine: they attend over `[cached keys ; their own keys]` exactly as the suffix
    /// passes of AtMan do, so the logits equal a cache-free `forward` of `cache.ids + ids` at those
    /// positions to float rounding (checked to 1e-5 relative on every causal fixture family).
    ///
    /// - Parameters:
    ///   - ids: the new token ids `[m]`, `m ≥ 1`; `cache.length + m ≤ contextLength`.
    ///   - cache: the cache of this model (`KVCache(for:)`); on success it holds `m` more positions,
    ///     on error it is unchanged.
    ///   - logits: `.all` rows or only the `.last`.
    /// - Returns: `[m, V]` (or `[1, V]` with `.last`) logits of the new positions.
    /// - Throws: `InputError` for empty, too long or out-of-vocabulary input,
    ///   `ForwardError.nonFiniteActivation` when the logits hold NaN or ±Inf (`checksActivations`).
    public func decode(_ ids: [Int], cache: inout KVCache, logits: DecodeLogits = .all) throws -> Tensor {
        let arch = architecture
        guard !ids.isEmpty else { throw InputError.empty }
        let s = cache.length, all = cache.ids + ids, n = all.count
        try validate(all, tokenTypes: nil)
        precondition(cache.keys.count == arch.layers, "a KVCache of another model")
        if s > 0 && arch.rotaryFrequenciesChange(from: s, to: n) {
            // The cached keys were rotated with other frequencies (Phi-3's longrope past its
            // original length, dynamic NTK): read the whole sequence again, as transformers'
            // Phi-3 drops its cache there.
            var fresh = try KVCache(for: self)
            let out = try decode(all, cache: &fresh, logits: logits)
            cache = fresh
            return logits == .last ? out : out.rows(s..<n)
        }
        // Block 0's input for the new rows only: token embeddings, learned positions s..<n.
        var hooks = HookRun(inputIDs: all, capture: .matching { $0 == .embed }, interventions: Interventions())
        let embedded = try weights.embeddings.forward(ids, tokenTypes: Array(repeating: 0, count: ids.count),
                                                      offset: s, hooks: &hooks)   // [m, d]
        let base = SuffixBase(result: ForwardResult(logits: nil, logitPositions: [], hidden: .zeros([0]), pooled: nil,
                                                    cache: ActivationCache(inputIDs: all)),
                              logitRows: logits == .last ? [n - 1] : Array(s..<n), length: n, isCausal: true,
                              embedded: embedded, tokenEmbeddings: hooks.cache[.embed]!, firstRow: s, tokenTypes: [],
                              keys: cache.keys, values: cache.values, residuals: [])
        var newKeys = [Tensor](repeating: .zeros([0]), count: arch.layers)
        var newValues = newKeys
        let out = try runChunk(base: base, items: [(start: s, edit: nil, embedding: nil, computed: true)],
                               startLayer: 0, patches: [[]], read: base.logitRows, progress: { _ in }) { l, k, v in
            (newKeys[l], newValues[l]) = (k, v)
        }[0]
        if checksActivations, NonFinite.count(out) > 0 {
            throw ForwardError.nonFiniteActivation(hook: "the logits of a decode step", count: NonFinite.count(out),
                                                   total: out.count)
        }
        for l in 0..<arch.layers { cache.append(layer: l, keys: newKeys[l], values: newValues[l], length: n) }
        cache.append(ids: ids)
        return out
    }
}

extension Architecture {
    /// True when the rotary frequencies of a sequence of `s` positions differ from those of `n`
    /// (scalings that depend on the length: longrope, dynamic NTK), so keys cached at length `s`
    /// are not those a pass over `n` positions computes.
    public func rotaryFrequenciesChange(from s: Int, to n: Int) -> Bool {
        rotaryFrequencies(length: s) != rotaryFrequencies(length: n) || rotaryScalings(length: s) != rotaryScalings(length: n)
    }

    /// The factor each rotary table's cos and sin are multiplied by for `n` positions (PhiMoE's
    /// `short_mscale` / `long_mscale` change with the length; `rotaryFrequencies`' order).
    func rotaryScalings(length n: Int) -> [Float] {
        var ropes: [RotaryEmbedding] = slidingRotary.map { [$0] } ?? []
        if case .rotary(let rope) = position { ropes.append(rope) }
        return ropes.map { $0.attentionScaling(length: n) }
    }

    /// The inverse frequencies `[dimensions/2]` of each rotary table (the sliding layers' first, if
    /// any) for a sequence of `n` positions; empty without rotary embeddings.
    public func rotaryFrequencies(length n: Int) -> [[Float]] {
        var ropes: [RotaryEmbedding] = slidingRotary.map { [$0] } ?? []
        if case .rotary(let rope) = position { ropes.append(rope) }
        return ropes.map { $0.inverseFrequencies(length: n) }
    }
}
