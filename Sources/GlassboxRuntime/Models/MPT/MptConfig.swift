import Foundation

/// `config.json` of MPT (`model_type` `mpt`: mosaicml/mpt-7b, mpt-7b-instruct, mpt-30b,
/// replit-code-v1-3b), with the defaults of transformers 4.53.3's `MptConfig` and its nested
/// `MptAttentionConfig` (`attn_config`). Pre-LayerNorm blocks (`norm_1`, `norm_2`, `norm_f`: weight
/// only, `MptBlock` sets their bias to None), no position embedding but ALiBi biases from
/// `build_mpt_alibi_tensor` over `max_seq_len`, a fused `Wqkv` cut `q | k | v`, `clip_qkv`'s clamp on
/// it, `softmax_scale`, an MLP of `4·d` with the exact GELU, no bias in any Linear, a tied `lm_head`.
///
/// What `MptModel` does not read, and Glassbox ignores too (the logits stay transformers'):
/// `no_bias` (every Linear is built with `bias=False`), `expansion_ratio` (`MptMLP` is `4·d`; a
/// checkpoint of another width fails transformers' load, and Glassbox's shape check), `logit_scale`,
/// `learned_pos_emb`, `embedding_fraction`, `norm_type`, `init_device`, `verbose`, `resid_pdrop`,
/// `emb_pdrop`, and in `attn_config`: `alibi` (ALiBi is always added), `alibi_bias_max`
/// (`MptModel.forward` calls `build_mpt_alibi_tensor` without it: always 8), `qk_ln`, `prefix_lm`,
/// `attn_uses_sequence_id`, `attn_impl` (Tests/Fixtures/mpt/fields.json measures each).
public struct MptConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50368).
    public var vocabSize: Int
    /// `d_model` (`hidden_size`, its `attribute_map` alias, wins): residual width `d` (default 2048).
    public var dModel: Int
    /// `n_layers` (`num_hidden_layers` wins): number of blocks (default 24).
    public var nLayers: Int
    /// `n_heads` (`num_attention_heads` wins): attention heads `H`, dividing `d` (default 16).
    public var nHeads: Int
    /// `max_seq_len`: the length of the ALiBi table, the longest input transformers runs (default 2048).
    public var maxSeqLen: Int
    /// `layer_norm_epsilon`: ε of every LayerNorm (default 1e-5).
    public var layerNormEpsilon: Float
    /// `tie_word_embeddings`: `lm_head.weight` is `wte`'s table (default true).
    public var tieWordEmbeddings: Bool
    /// `attn_config.clip_qkv`: `Wqkv`'s output clamped to `[−c, c]`; `nil` when null or 0
    /// (`if self.clip_qkv:` is false).
    public var clipQKV: Float?
    /// `attn_config.softmax_scale`: the multiplier of `q·kᵀ`; `nil` (null, the default) is
    /// `1 / math.sqrt(hidden_size / n_heads)`.
    public var softmaxScale: Double?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case dModel = "d_model"
        case hiddenSize = "hidden_size"
        case nLayers = "n_layers"
        case numHiddenLayers = "num_hidden_layers"
        case nHeads = "n_heads"
        case numAttentionHeads = "num_attention_heads"
        case maxSeqLen = "max_seq_len"
        case layerNormEpsilon = "layer_norm_epsilon"
        case tieWordEmbeddings = "tie_word_embeddings"
        case attnConfig = "attn_config"
    }

    /// `MptAttentionConfig`'s keys that `MptAttention`, `MptMLP` or `MptBlock` read or validate.
    enum AttentionKeys: String, CodingKey {
        case attnType = "attn_type"
        case attnPdrop = "attn_pdrop"
        case clipQKV = "clip_qkv"
        case softmaxScale = "softmax_scale"
    }

    /// Decodes `config.json` with `MptConfig`'s defaults and its `attribute_map` (`hidden_size` →
    /// `d_model`, `num_hidden_layers` → `n_layers`, `num_attention_heads` → `n_heads`: set after the
    /// own keys, so they win), and refuses, naming the key, what transformers fails on:
    /// `attn_config` neither an object nor null (an AttributeError on `.softmax_scale`);
    /// `attn_config.attn_type` other than `multihead_attention` / `multiquery_attention`
    /// (`MptAttentionConfig` raises; both build the same multi-head `Wqkv`);
    /// `attn_config.attn_pdrop` null or outside [0, 1] (`nn.Dropout` raises); null in a size or
    /// ε; `H` not dividing `d` (the head reshape fails). A negative `clip_qkv` is refused too:
    /// transformers runs it, but `clamp(min=−c, max=c)` with `min > max` sets every q, k, v to `c`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        for key in [CodingKeys.dModel, .hiddenSize, .maxSeqLen] { try c.requireIntegerLiteral(key) }   // 32.0: torch refuses the size
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50368)
        dModel = try c.value(alias: .hiddenSize, over: .dModel, default: 2048)
        nLayers = try c.value(alias: .numHiddenLayers, over: .nLayers, default: 24)
        nHeads = try c.value(alias: .numAttentionHeads, over: .nHeads, default: 16)
        maxSeqLen = try c.value(refusingNull: .maxSeqLen, default: 2048)
        layerNormEpsilon = try c.value(refusingNull: .layerNormEpsilon, default: 1e-5)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)
        (clipQKV, softmaxScale) = try Self.attention(c)

        for (value, key) in [(vocabSize, "vocab_size"), (dModel, c.keyRead(alias: .hiddenSize, over: .dModel)),
                             (nLayers, c.keyRead(alias: .numHiddenLayers, over: .nLayers)),
                             (nHeads, c.keyRead(alias: .numAttentionHeads, over: .nHeads)),
                             (maxSeqLen, "max_seq_len")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEpsilon, "layer_norm_epsilon")
        guard dModel % nHeads == 0 else {
            throw ConfigValidationError(key: c.keyRead(alias: .numAttentionHeads, over: .nHeads),
                                        detail: "(\(nHeads)) must divide d_model (\(dModel))")
        }
    }

    /// `attn_config` as `MptConfig.__init__` builds `MptAttentionConfig(**attn_config)` from it
    /// (null: the defaults): `(clip_qkv, softmax_scale)`, after the refusals `init(from:)` lists.
    private static func attention(_ c: KeyedDecodingContainer<CodingKeys>) throws -> (Float?, Double?) {
        guard c.contains(.attnConfig), try !c.decodeNil(forKey: .attnConfig) else { return (nil, nil) }
        guard let a = try? c.nestedContainer(keyedBy: AttentionKeys.self, forKey: .attnConfig) else {
            throw ConfigValidationError(key: "attn_config", detail:
                "must be an object or null (MptConfig keeps any other value as is and MptAttention then fails reading attn_config.softmax_scale)")
        }
        try a.refuseNulls([.attnType, .attnPdrop])        // a ValueError (attn_type) and a TypeError (nn.Dropout)
        if a.contains(.attnType) {
            let type = try? a.decode(String.self, forKey: .attnType)
            guard let type, ["multihead_attention", "multiquery_attention"].contains(type) else {
                throw ConfigValidationError(key: "attn_config.attn_type", detail:
                    "must be \"multihead_attention\" or \"multiquery_attention\" (MptAttentionConfig raises a ValueError on anything else)")
            }
        }
        if a.contains(.attnPdrop) {
            let p = try? a.decode(Double.self, forKey: .attnPdrop)
            guard let p, (0...1).contains(p) else {
                throw ConfigValidationError(key: "attn_config.attn_pdrop", detail:
                    "must be a number in [0, 1] (MptBlock's nn.Dropout raises on anything else; the dropout is inactive at inference)")
            }
        }
        var clip = try a.decodeIfPresent(Double.self, forKey: .clipQKV)
        if let value = clip {
            guard value.isFinite, value >= 0 else {
                throw ConfigValidationError(key: "attn_config.clip_qkv", detail:
                    "must be a non-negative finite number or null, got \(configNumber(value)) (transformers' clamp(min=-c, max=c) with c < 0 sets every q, k and v to c)")
            }
            if value == 0 { clip = nil }                                       // `if self.clip_qkv:` is false
        }
        let scale = try a.decodeIfPresent(Double.self, forKey: .softmaxScale)
        if let scale, !scale.isFinite {
            throw ConfigValidationError(key: "attn_config.softmax_scale", detail: "must be a finite number or null, got \(configNumber(scale))")
        }
        return (clip.map { Float($0) }, scale)
    }

    /// Per-head width `dh = d / H` (`MptAttention.head_dim`).
    var headDim: Int { dModel / nHeads }

    /// The typed architecture: pre-LayerNorm blocks, MPT's ALiBi (`mptAlibiSlopes`, keys counted from
    /// the last, `.lastKey`, as `MptAttention` slices the table), `Wqkv`'s clamp at the projections,
    /// a standard MLP of `4·d` with the exact GELU, causal attention scaled by `softmax_scale`
    /// (default `1/√(d/H)` in double, as Python computes it), an LM head. Inputs longer than
    /// `max_seq_len` are refused: transformers' bias table then has fewer columns than keys and the
    /// addition fails.
    func architecture() -> Architecture {
        let scale = softmaxScale ?? 1 / (Double(dModel) / Double(nHeads)).squareRoot()
        var arch = Architecture(
            modelType: "mpt", layers: nLayers, dModel: dModel, heads: nHeads, kvHeads: nHeads, headDim: headDim,
            dFF: 4 * dModel, vocabSize: vocabSize, contextLength: maxSeqLen,
            norm: .layerNorm(eps: layerNormEpsilon), placement: .pre,
            position: .alibi(slopes: PositionKind.mptAlibiSlopes(heads: nHeads)), mlp: .standard, activation: .gelu,
            mask: .causal, attentionScale: Float(scale), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel)
        arch.alibiOrigin = .lastKey
        arch.qkvClip = clipQKV
        arch.qkvClipPoint = .projection
        return arch
    }
}
