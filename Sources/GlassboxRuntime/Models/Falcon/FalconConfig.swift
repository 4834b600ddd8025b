import Foundation

/// `config.json` of Falcon (`model_type` `falcon`: Falcon-7B/40B/180B, Falcon2-11B), with the
/// defaults of transformers 4.53.3's `FalconConfig`. Three block shapes, chosen by flags
/// (`FalconDecoderLayer`):
/// - `new_decoder_architecture` (40B, 180B, Falcon2-11B): grouped-query attention with
///   `num_kv_heads` key/value heads, attention and MLP in parallel on two LayerNorms `ln_attn`,
///   `ln_mlp` (`num_ln_in_parallel_attn` 2, its default then) or one `input_layernorm` (1);
/// - otherwise `parallel_attn` (7B): attention and MLP in parallel on one `input_layernorm`, or
///   sequential (`input_layernorm`, `post_attention_layernorm`) — with one key/value head
///   (`multi_query`, the default) or one per query head.
/// All LayerNorms have a bias; every linear has one iff `bias`; the MLP is `dense_h_to_4h`,
/// `activation`, `dense_4h_to_h`; rotary embeddings (rotate-half, the whole head) scaled by
/// `rope_scaling`; the `lm_head` (no bias) is tied by default. `hidden_dropout` and
/// `attention_dropout` are dropout, inactive at inference.
public struct FalconConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 65024).
    public var vocabSize: Int
    /// `hidden_size` (or the older `n_embed`, which wins): residual width `d` (default 4544).
    public var hiddenSize: Int
    /// `num_hidden_layers`: number of blocks (default 32).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H`, dividing `d` (default 71).
    public var numAttentionHeads: Int
    /// Key/value heads `Hkv` of the attention: `num_kv_heads` with `new_decoder_architecture`,
    /// 1 with `multi_query`, else `H`.
    public var keyValueHeads: Int
    /// `ffn_hidden_size`: MLP width `dff` (default 4 · `hidden_size`).
    public var ffnHiddenSize: Int
    /// `activation`: the MLP activation, Hugging Face name (default `gelu`, exact).
    public var activation: String
    /// `layer_norm_epsilon`: ε of every LayerNorm (default 1e-5).
    public var layerNormEpsilon: Float
    /// `new_decoder_architecture`: the fused projection holds, per key/value group, its queries,
    /// one key and one value; the block is parallel (default false).
    public var newDecoderArchitecture: Bool
    /// `multi_query`: one key/value head (default true; ignored with `new_decoder_architecture`).
    public var multiQuery: Bool
    /// `parallel_attn`: `x + attn(ln(x)) + mlp(ln'(x))` instead of two sequential residual steps
    /// (default true).
    public var parallelAttn: Bool
    /// LayerNorms of a parallel block: 2 (`ln_attn`, `ln_mlp`) or 1 (`input_layernorm` feeds
    /// both); 1 for a sequential block, whose two norms are `input_layernorm` and
    /// `post_attention_layernorm`.
    public var parallelNorms: Int
    /// `bias`: every linear layer but `lm_head` has a bias (default false).
    public var bias: Bool
    /// `max_position_embeddings`: the longest input (default 2048).
    public var maxPositionEmbeddings: Int
    /// `rope_theta`: base of the rotary frequencies (default 10000).
    public var ropeTheta: Double
    /// `rope_scaling`: the frequency scaling, any of the Llama family's types (default none).
    public var ropeScaling: RopeScaling
    /// `tie_word_embeddings`: `lm_head.weight` is the token embedding table (default true).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, RopeScalingKeys {
        case vocabSize = "vocab_size"
        case attentionDropout = "attention_dropout"
        case hiddenDropout = "hidden_dropout"
        case hiddenSize = "hidden_size"
        case nEmbed = "n_embed"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKVHeads = "num_kv_heads"
        case numLNInParallelAttn = "num_ln_in_parallel_attn"
        case ffnHiddenSize = "ffn_hidden_size"
        case activation
        case layerNormEpsilon = "layer_norm_epsilon"
        case alibi
        case newDecoderArchitecture = "new_decoder_architecture"
        case multiQuery = "multi_query"
        case parallelAttn = "parallel_attn"
        case bias
        case maxPositionEmbeddings = "max_position_embeddings"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case tieWordEmbeddings = "tie_word_embeddings"
        case headDim = "head_dim"
        case partialRotaryFactor = "partial_rotary_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case useCache = "use_cache"
    }

    /// Decodes `config.json` with `FalconConfig`'s defaults and refuses, naming the key, what
    /// transformers 4.53.3 cannot run or Glassbox does not: `alibi` (the runtime has ALiBi, BLOOM's,
    /// but transformers' Falcon adds the bias twice under eager attention and once under sdpa, and
    /// rounds `slope·j` to bfloat16: no one reference); a `head_dim` key (a read-only property of `FalconConfig`: setting it fails);
    /// `partial_rotary_factor` other than 1 (`refuseUnreadRotaryShare`); `H` not dividing `d`;
    /// `num_kv_heads` not dividing `H` (new architecture) or differing from `H` (neither new
    /// architecture nor `multi_query`: `FalconAttention` cannot reshape the keys); a sequential
    /// block with `new_decoder_architecture`, a `num_ln_in_parallel_attn` other than 1 or 2 with
    /// it, or of 2 without it (`FalconDecoderLayer` then reads a norm it never built); a
    /// `num_kv_heads` written as a float where the attention reads it (`requireIntegerLiteral`); a
    /// `use_cache` that is truthy but not `true` (`refuseTruthyOtherThanTrue`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseTruthyOtherThanTrue(.useCache, forward: "FalconModel")
        if try c.value(.alibi, default: false) {
            throw ConfigValidationError(key: "alibi", detail:
                "is true: ALiBi Falcons (falcon-rw-1b, falcon-7b-rw) are refused: transformers 4.53.3's FalconAttention adds the bias twice under eager attention (in the scores and again through its causal mask) but once under sdpa, so there is no one reference to match")
        }
        if c.contains(.headDim) {
            throw ConfigValidationError(key: "head_dim", detail:
                "is set, but FalconConfig.head_dim is hidden_size / num_attention_heads and cannot be set (transformers refuses it); leave the key out")
        }
        try refuseUnreadRotaryShare(c, .partialRotaryFactor)
        try c.refuseNulls([.attentionDropout, .hiddenDropout])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 65024)
        // FalconConfig: hidden_size = n_embed when given; ffn_hidden_size defaults to 4 · the hidden_size argument.
        let hiddenArgument = try c.value(refusingNull: .hiddenSize, default: 4544)
        hiddenSize = try c.value(.nEmbed, default: hiddenArgument)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 32)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 71)
        let numKVHeads = try c.value(.numKVHeads, default: numAttentionHeads)
        ffnHiddenSize = try c.value(.ffnHiddenSize, default: 4 * hiddenArgument)
        activation = try c.value(refusingNull: .activation, default: "gelu")
        layerNormEpsilon = try c.value(refusingNull: .layerNormEpsilon, default: 1e-5)
        newDecoderArchitecture = try c.value(.newDecoderArchitecture, default: false)
        multiQuery = try c.value(.multiQuery, default: true)
        parallelAttn = try c.value(.parallelAttn, default: true)
        bias = try c.value(.bias, default: false)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 2048)
        ropeTheta = try c.value(refusingNull: .ropeTheta, default: 10000)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, c.contains(.nEmbed) ? "n_embed" : "hidden_size"),
                             (numHiddenLayers, "num_hidden_layers"), (numAttentionHeads, "num_attention_heads"),
                             (numKVHeads, "num_kv_heads"), (ffnHiddenSize, "ffn_hidden_size"),
                             (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEpsilon, "layer_norm_epsilon")
        try requirePositive(ropeTheta, "rope_theta")
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads",
                                        detail: "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize))")
        }
        _ = try configActivation(activation, key: "activation")

        let written = try c.decodeIfPresent(Int.self, forKey: .numLNInParallelAttn)
        if newDecoderArchitecture {
            guard numAttentionHeads % numKVHeads == 0 else {
                throw ConfigValidationError(key: "num_kv_heads",
                                            detail: "(\(numKVHeads)) must divide num_attention_heads (\(numAttentionHeads))")
            }
            keyValueHeads = numKVHeads
            try c.requireIntegerLiteral(.numKVHeads)   // read there: torch refuses 2.0
            guard parallelAttn else {
                throw ConfigValidationError(key: "parallel_attn", detail:
                    "is false with new_decoder_architecture, which transformers only runs as a parallel block (its layer reads norms it never built)")
            }
            let norms = written ?? 2     // FalconDecoderLayer: None becomes 2 with the new architecture
            guard norms == 1 || norms == 2 else {
                throw ConfigValidationError(key: "num_ln_in_parallel_attn", detail:
                    "is \(norms); with new_decoder_architecture transformers runs 1 or 2 (any other count leaves the MLP without its norm)")
            }
            parallelNorms = norms
        } else {
            if multiQuery {
                keyValueHeads = 1        // FalconAttention ignores num_kv_heads
            } else {
                guard numKVHeads == numAttentionHeads else {
                    throw ConfigValidationError(key: "num_kv_heads", detail:
                        "(\(numKVHeads)) must equal num_attention_heads (\(numAttentionHeads)) without new_decoder_architecture or multi_query: the fused projection holds a key and a value per query head")
                }
                keyValueHeads = numAttentionHeads
                try c.requireIntegerLiteral(.numKVHeads)   // read there: torch refuses 2.0
            }
            if parallelAttn, written == 2 {
                throw ConfigValidationError(key: "num_ln_in_parallel_attn", detail:
                    "is 2 without new_decoder_architecture: transformers builds ln_attn and ln_mlp, then reads input_layernorm (AttributeError); leave it out or set 1")
            }
            parallelNorms = 1
        }
        // FalconRotaryEmbedding reads rope_type, else type; FalconConfig neither copies nor validates.
        ropeScaling = try c.ropeScaling(typeKeys: .ropeTypeFirst, modelType: "falcon", maxPositions: maxPositionEmbeddings,
                                        rotatedDimensions: hiddenSize / numAttentionHeads, base: ropeTheta)
    }

    /// Per-head width `dh = d / H` (`FalconConfig.head_dim`).
    var headDim: Int { hiddenSize / numAttentionHeads }

    /// The typed architecture: pre-LayerNorm blocks, parallel (GPT-NeoX's, see `FalconLoader` for
    /// the norms) or sequential, rotary embeddings on the whole head, a standard MLP, causal
    /// attention scaled by `1/√dh` (`inv_norm_factor`), an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: headDim, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings)
        return Architecture(
            modelType: "falcon", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: keyValueHeads, headDim: headDim, dFF: ffnHiddenSize, vocabSize: vocabSize,
            contextLength: ropeScaling.contextLength(maxPositions: maxPositionEmbeddings),
            norm: .layerNorm(eps: layerNormEpsilon), placement: .pre,
            position: .rotary(rope), mlp: .standard, activation: Activation(huggingFaceName: activation)!,
            mask: .causal, attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel, parallelResidual: parallelAttn)
    }
}
