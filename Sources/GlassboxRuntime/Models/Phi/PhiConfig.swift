import Foundation

/// `config.json` of Phi-1, Phi-1.5 and Phi-2 (`model_type` `phi`), with the defaults of
/// transformers 4.53.3's `PhiConfig`: one LayerNorm (`input_layernorm`, with bias) feeding attention
/// and MLP in parallel (`x + attn(ln(x)) + mlp(ln(x))`), q/k/v and `dense` projections with biases,
/// grouped-query attention when `num_key_value_heads` is given, partial rotary embeddings on the
/// first `partial_rotary_factor · dh` dimensions of each head (rotate-half style, the Llama family's
/// `rope_scaling` types), an optional per-head LayerNorm on queries and keys (`qk_layernorm`, before
/// the rotation), a standard MLP (`fc1`, `hidden_act`, `fc2`), a final LayerNorm and an `lm_head`
/// with a bias. `resid_pdrop`, `embd_pdrop` and `attention_dropout` are dropout, inactive at inference.
public struct PhiConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 51200).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 2048).
    public var hiddenSize: Int
    /// `intermediate_size`: MLP width `dff` (default 8192).
    public var intermediateSize: Int
    /// `num_hidden_layers`: number of blocks (default 24).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H` (default 32).
    public var numAttentionHeads: Int
    /// `num_key_value_heads`: key/value heads `Hkv`, dividing `H` (default `H`).
    public var numKeyValueHeads: Int
    /// `head_dim`: per-head width `dh` (default `d / H`; transformers reads an explicit one too).
    public var headDim: Int
    /// `hidden_act`: the MLP activation, Hugging Face name (default `gelu_new`).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest input (default 2048).
    public var maxPositionEmbeddings: Int
    /// `layer_norm_eps`: ε of every LayerNorm, the QK LayerNorms included (default 1e-5).
    public var layerNormEps: Float
    /// `rope_theta`: base of the rotary frequencies (default 10000).
    public var ropeTheta: Double
    /// `partial_rotary_factor`: share of each head's dimensions that is rotated, at most 1
    /// (default 0.5; Phi-2 0.4 of 80 = 32 dimensions; a share giving `int(dh · share)` = 0 rotates nothing).
    public var partialRotaryFactor: Double
    /// `rope_scaling`: the frequency scaling of the rotated dimensions, any of the Llama family's
    /// types (default none).
    public var ropeScaling: RopeScaling
    /// `qk_layernorm`: a LayerNorm (`γ`, `β` of `dh`) over each query and key head before the
    /// rotation (default false).
    public var qkLayerNorm: Bool
    /// `tie_word_embeddings`: `lm_head.weight` is the token embedding table; its bias stays its own
    /// (default false).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, RopeScalingKeys {
        case embdPdrop = "embd_pdrop"
        case residPdrop = "resid_pdrop"
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
        case qkLayerNorm = "qk_layernorm"
        case tieWordEmbeddings = "tie_word_embeddings"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with `PhiConfig`'s defaults and checks it: sizes positive, `Hkv`
    /// dividing `H`, `head_dim` positive or else `H` dividing `d`, a supported activation, ε and θ
    /// positive, `partial_rotary_factor` rotating an even number of dimensions (0: nothing rotates, no
    /// position embedding, as transformers' empty table and `q[..., :0]`; a negative share truncating to
    /// 0 included, a negative `int(dh · share)` refused: `torch.arange(0, dim, 2)` fails), a
    /// `qk_layernorm` head width of `d / H` (the width transformers gives those LayerNorms), and
    /// `rope_scaling` as transformers reads it (`PhiConfig` copies `type` over `rope_type`; the
    /// scaling sees the rotated dimensions and the base `rope_theta`). Violations throw an error that
    /// loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.embdPdrop, .residPdrop])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 51200)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 2048)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: 8192)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 24)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 32)
        numKeyValueHeads = try c.value(.numKeyValueHeads, default: numAttentionHeads)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "gelu_new")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 2048)
        layerNormEps = try c.value(refusingNull: .layerNormEps, default: 1e-5)
        ropeTheta = try c.value(refusingNull: .ropeTheta, default: 10000)
        partialRotaryFactor = try c.value(.partialRotaryFactor, default: 0.5, refusingNull: nullRotaryShare(default: 0.5))
        qkLayerNorm = try c.value(.qkLayerNorm, default: false)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"), (intermediateSize, "intermediate_size"),
                             (numHiddenLayers, "num_hidden_layers"), (numAttentionHeads, "num_attention_heads"),
                             (numKeyValueHeads, "num_key_value_heads"), (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEps, "layer_norm_eps")
        try requirePositive(ropeTheta, "rope_theta")
        let explicitHeadDim = try c.headDim(.headDim, reading: .asWritten)   // PhiAttention: getattr(config, "head_dim", d // H)
        headDim = try configHeadDim(explicit: explicitHeadDim, hidden: hiddenSize, heads: numAttentionHeads)
        try requireHeadGroups(heads: numAttentionHeads, kvHeads: numKeyValueHeads)
        _ = try configActivation(hiddenAct, key: "hidden_act")
        try requireRotatedWidth(headDim: headDim, factor: partialRotaryFactor,
                                derivedFrom: explicitHeadDim != nil ? nil : (hiddenSize, numAttentionHeads), allowsEmpty: true)
        // transformers sizes q_layernorm / k_layernorm by hidden_size // num_attention_heads, whatever head_dim says.
        if qkLayerNorm, headDim != hiddenSize / numAttentionHeads {
            throw ConfigValidationError(key: "head_dim", detail:
                "(\(headDim)) must equal hidden_size / num_attention_heads (\(hiddenSize / numAttentionHeads)) with qk_layernorm: transformers sizes those LayerNorms by the latter")
        }
        ropeScaling = try c.ropeScaling(typeKeys: .typeOverridesRopeType, modelType: "phi", maxPositions: maxPositionEmbeddings,
                                        rotatedDimensions: Int(Double(headDim) * partialRotaryFactor), base: ropeTheta)
    }

    /// Rotated dimensions of each head, `int(dh · partial_rotary_factor)` (transformers' `rotary_ndims`).
    var rotatedDimensions: Int { Int(Double(headDim) * partialRotaryFactor) }

    /// The typed architecture: GPT-NeoX's parallel pre-LayerNorm block (the one norm is both `ln1`
    /// and `ln2`, see `PhiLoader`), partial rotary embeddings, a standard MLP, causal attention
    /// scaled by `1/√dh`, an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotatedDimensions, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings)
        return Architecture(
            modelType: "phi", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: ropeScaling.contextLength(maxPositions: maxPositionEmbeddings),
            norm: .layerNorm(eps: layerNormEps), placement: .pre,
            position: RotaryWidth(evenDim: rotatedDimensions).position(rope), mlp: .standard, activation: Activation(huggingFaceName: hiddenAct)!,
            mask: .causal, attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel, parallelResidual: true)
    }
}
