import Foundation

/// `config.json` of StableLM (`model_type` `stablelm`: stablelm-2-1_6b, -zephyr, -12b,
/// stablelm-3b-4e1t, stable-code-3b), with the defaults of transformers 4.53.3's `StableLmConfig`:
/// the Llama layout (`q/k/v/o_proj`, a gated MLP `down(act(gate(x)) ⊙ up(x))` without biases) with
/// LayerNorms that have a bias (`input_layernorm`, `post_attention_layernorm`, `norm`; ε
/// `layer_norm_eps`), partial rotary embeddings (`StableLmAttention.rotary_ndims`, rotate-half on the
/// first `int(dh · partial_rotary_factor)` dimensions), q/k/v biases with `use_qkv_bias` (`o_proj`
/// never has one), a per-head LayerNorm without bias on queries and keys with `qk_layernorm`
/// (`StableLmLayerNormPerHead`: one `nn.LayerNorm(dh)` per head, before the rotation), and either the
/// sequential block or, with `use_parallel_residual`, GPT-NeoX's parallel one on `input_layernorm`
/// alone (`x + attn(ln(x)) + mlp(ln(x))`, no `post_attention_layernorm`). `hidden_dropout` and
/// `attention_dropout` are dropout, inactive at inference.
public struct StableLMConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50304).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 2560).
    public var hiddenSize: Int
    /// `intermediate_size`: MLP width `dff` (default 6912).
    public var intermediateSize: Int
    /// `num_hidden_layers`: number of blocks (default 32).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H` (default 32).
    public var numAttentionHeads: Int
    /// `num_key_value_heads`: key/value heads `Hkv`, dividing `H` (default 32, not `H`).
    public var numKeyValueHeads: Int
    /// `hidden_act`: the MLP activation, Hugging Face name (default `silu`).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest input (default 4096).
    public var maxPositionEmbeddings: Int
    /// `layer_norm_eps`: ε of every LayerNorm, the per-head QK LayerNorms included (default 1e-5).
    public var layerNormEps: Float
    /// `rope_theta`: base of the rotary frequencies (default 10000).
    public var ropeTheta: Double
    /// `partial_rotary_factor`: share of each head's dimensions that is rotated (default 0.25).
    public var partialRotaryFactor: Double
    /// `rope_scaling`: the frequency scaling of the rotated dimensions, any type of
    /// `ROPE_INIT_FUNCTIONS` (`StableLmRotaryEmbedding` is Llama's; default none).
    public var ropeScaling: RopeScaling
    /// `use_qkv_bias`: q/k/v projections with biases (default false).
    public var useQKVBias: Bool
    /// `qk_layernorm`: a LayerNorm (`γ [dh]`, no `β`) per query head and per key head (default false).
    public var qkLayerNorm: Bool
    /// `use_parallel_residual`: one `input_layernorm` feeding attention and MLP in parallel (default false).
    public var useParallelResidual: Bool
    /// `tie_word_embeddings`: `lm_head.weight` is the token embedding table (default false).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, RopeScalingKeys {
        case hiddenDropout = "hidden_dropout"
        case attentionDropout = "attention_dropout"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case layerNormEps = "layer_norm_eps"
        case ropeTheta = "rope_theta"
        case partialRotaryFactor = "partial_rotary_factor"
        case ropeScaling = "rope_scaling"
        case useQKVBias = "use_qkv_bias"
        case qkLayerNorm = "qk_layernorm"
        case useParallelResidual = "use_parallel_residual"
        case tieWordEmbeddings = "tie_word_embeddings"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with `StableLmConfig`'s defaults and checks it: sizes positive, `H`
    /// dividing `d` (`StableLmAttention` raises otherwise), `Hkv` dividing `H`, a supported activation,
    /// ε and θ positive, `partial_rotary_factor` rotating an even number of dimensions (0: nothing rotates, no
    /// position embedding, as transformers' empty table and `q[..., :0]`; a negative share truncating to
    /// 0 included, a negative `int(dh · share)` refused: `torch.arange(0, dim, 2)` fails), a
    /// `head_dim` key (which only the rotary tables read) equal to `d / H`, and `rope_scaling` as
    /// transformers reads it (`type` copied over `rope_type`). Violations throw an error that loading
    /// reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.hiddenDropout, .attentionDropout])   // unread, but nn.Dropout fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50304)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 2560)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: 6912)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 32)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 32)
        numKeyValueHeads = try c.value(refusingNull: .numKeyValueHeads, default: 32)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "silu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 4096)
        layerNormEps = try c.value(refusingNull: .layerNormEps, default: 1e-5)
        ropeTheta = try c.value(refusingNull: .ropeTheta, default: 10000)
        partialRotaryFactor = try c.value(.partialRotaryFactor, default: 0.25, refusingNull: nullRotaryShare(default: 0.25))
        useQKVBias = try c.value(.useQKVBias, default: false)
        qkLayerNorm = try c.value(.qkLayerNorm, default: false)
        useParallelResidual = try c.value(.useParallelResidual, default: false)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"), (intermediateSize, "intermediate_size"),
                             (numHiddenLayers, "num_hidden_layers"), (numAttentionHeads, "num_attention_heads"),
                             (numKeyValueHeads, "num_key_value_heads"), (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEps, "layer_norm_eps")
        try requirePositive(ropeTheta, "rope_theta")
        let headDim = try configHeadDim(explicit: nil, hidden: hiddenSize, heads: numAttentionHeads)
        // StableLmAttention sizes its heads by hidden_size // num_attention_heads; the rotary tables
        // read a head_dim key first (`head_dim or d // H`), so any other value would rotate a width the heads do not have.
        try requireRotaryOnlyHeadDim(c.headDim(.headDim, reading: .orDerived), hidden: hiddenSize, heads: numAttentionHeads,
                                     attention: "StableLmAttention")
        try requireHeadGroups(heads: numAttentionHeads, kvHeads: numKeyValueHeads)
        _ = try configActivation(hiddenAct, key: "hidden_act")
        try requireRotatedWidth(headDim: headDim, factor: partialRotaryFactor, derivedFrom: (hiddenSize, numAttentionHeads),
                                allowsEmpty: true)
        ropeScaling = try c.ropeScaling(typeKeys: .typeOverridesRopeType, modelType: "stablelm", maxPositions: maxPositionEmbeddings,
                                        rotatedDimensions: Int(Double(headDim) * partialRotaryFactor), base: ropeTheta)
        try c.refuseDerivedHeadDim(.headDim, reading: .orDerived, under: ropeScaling)
    }

    /// Per-head width `dh = d / H` (`StableLmAttention.head_dim`).
    var headDim: Int { hiddenSize / numAttentionHeads }
    /// Rotated dimensions of each head, `int(dh · partial_rotary_factor)` (`rotary_ndims`).
    var rotatedDimensions: Int { Int(Double(headDim) * partialRotaryFactor) }

    /// The typed architecture: pre-LayerNorm blocks, sequential or GPT-NeoX's parallel one (the one
    /// norm is both `ln1` and `ln2`, see `StableLMLoader`), partial rotary embeddings, a gated MLP,
    /// causal attention scaled by `1/√dh`, an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotatedDimensions, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings)
        return Architecture(
            modelType: "stablelm", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: ropeScaling.contextLength(maxPositions: maxPositionEmbeddings),
            norm: .layerNorm(eps: layerNormEps), placement: .pre,
            position: RotaryWidth(evenDim: rotatedDimensions).position(rope), mlp: .gated, activation: Activation(huggingFaceName: hiddenAct)!,
            mask: .causal, attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel, parallelResidual: useParallelResidual)
    }
}
