import Foundation

/// `config.json` of Command-R / Command-R+ and Aya-23 / Aya-Expanse (`model_type` `cohere`), with the
/// defaults of transformers 4.53.3's `CohereConfig`: one `CohereLayerNorm` (mean-subtracted, weight
/// only, no bias) feeding attention and MLP in parallel (`x + attn(ln(x)) + mlp(ln(x))`,
/// `CohereDecoderLayer`), grouped-query attention with optional q/k/v/o biases (`attention_bias`),
/// an optional `CohereLayerNorm` over each query and key head with a weight per head (`use_qk_norm`,
/// `γ [H, dh]`, before the rotation), rotary embeddings in the interleaved convention
/// (`repeat_interleave` of the frequencies, `rotate_half` on even/odd pairs: GPT-J's pairing) with
/// the Llama family's `rope_scaling` types, a gated MLP (`down(act(gate(x)) ⊙ up(x))`), a final
/// `CohereLayerNorm`, and an `lm_head` without bias whose logits are multiplied by `logit_scale`
/// (`CohereForCausalLM.forward`). `attention_dropout` is dropout, inactive at inference (even `null`).
public struct CohereConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 256000).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 8192).
    public var hiddenSize: Int
    /// `intermediate_size`: MLP width `dff` (default 22528).
    public var intermediateSize: Int
    /// `logit_scale`: the factor of every logit (default 0.0625).
    public var logitScale: Float
    /// `num_hidden_layers`: number of blocks (default 40).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H` (default 64).
    public var numAttentionHeads: Int
    /// `num_key_value_heads`: key/value heads `Hkv`, dividing `H` (default and `null`: `H`).
    public var numKeyValueHeads: Int
    /// `head_dim`: per-head width `dh` (`CohereAttention` reads an explicit one, else `d / H`).
    public var headDim: Int
    /// `hidden_act`: the gate's activation, Hugging Face name (default `silu`).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest input (default 8192).
    public var maxPositionEmbeddings: Int
    /// `layer_norm_eps`: ε of every `CohereLayerNorm`, the QK-norms included (default 1e-5).
    public var layerNormEps: Float
    /// `rope_theta`: base of the rotary frequencies (default 10000).
    public var ropeTheta: Double
    /// `rope_scaling`: the frequency scaling, any of the Llama family's types (default none).
    public var ropeScaling: RopeScaling
    /// `attention_bias`: q/k/v/o projections with biases (default false).
    public var attentionBias: Bool
    /// `use_qk_norm`: a `CohereLayerNorm` over each query and key head, `γ [H, dh]` / `[Hkv, dh]`
    /// (default false; Command-R+).
    public var useQKNorm: Bool
    /// `tie_word_embeddings`: `lm_head.weight` is the token embedding table (default true).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, RopeScalingKeys {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case logitScale = "logit_scale"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case layerNormEps = "layer_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
        case useQKNorm = "use_qk_norm"
        case tieWordEmbeddings = "tie_word_embeddings"
        case partialRotaryFactor = "partial_rotary_factor"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with `CohereConfig`'s defaults and checks it: sizes positive, `Hkv`
    /// dividing `H`, `head_dim` positive (`null` refused: `CohereAttention` reads it with `getattr`
    /// and cannot size its projections by `None`) or else `H` dividing `d`, a supported activation,
    /// ε and θ positive, a finite `logit_scale` (`null` refused: the logits cannot be multiplied by
    /// it), `partial_rotary_factor` absent or 1 (the rotary tables would be narrower than the heads
    /// they rotate), and `rope_scaling` as `CohereRotaryEmbedding` reads it (`rope_type` required:
    /// `CohereConfig` validates without copying `type` over it). Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try refuseUnreadRotaryShare(c, .partialRotaryFactor)
        vocabSize = try c.value(refusingNull: .vocabSize, default: 256000)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 8192)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: 22528)
        logitScale = try c.value(refusingNull: .logitScale, default: 0.0625)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 40)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 64)
        numKeyValueHeads = try c.value(.numKeyValueHeads, default: numAttentionHeads)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "silu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 8192)
        layerNormEps = try c.value(refusingNull: .layerNormEps, default: 1e-5)
        ropeTheta = try c.value(refusingNull: .ropeTheta, default: 10000)
        attentionBias = try c.value(.attentionBias, default: false)
        useQKNorm = try c.value(.useQKNorm, default: false)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"), (intermediateSize, "intermediate_size"),
                             (numHiddenLayers, "num_hidden_layers"), (numAttentionHeads, "num_attention_heads"),
                             (numKeyValueHeads, "num_key_value_heads"), (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEps, "layer_norm_eps")
        try requirePositive(ropeTheta, "rope_theta")
        guard logitScale.isFinite else {
            throw ConfigValidationError(key: "logit_scale", detail: "must be a finite number, got \(configNumber(Double(logitScale)))")
        }
        let explicitHeadDim: Int? = c.contains(.headDim) ? try c.value(refusingNull: .headDim, default: 0) : nil
        headDim = try configHeadDim(explicit: explicitHeadDim, hidden: hiddenSize, heads: numAttentionHeads)
        try requireHeadGroups(heads: numAttentionHeads, kvHeads: numKeyValueHeads)
        _ = try configActivation(hiddenAct, key: "hidden_act")
        try requireRotatedWidth(headDim: headDim, factor: 1,
                                derivedFrom: explicitHeadDim != nil ? nil : (hiddenSize, numAttentionHeads))
        // CohereConfig validates without copying `type` over `rope_type` (as GraniteConfig), so a
        // `type` alone is a KeyError there (red-team 24).
        ropeScaling = try c.ropeScaling(typeKeys: .ropeTypeRequired, modelType: "cohere", maxPositions: maxPositionEmbeddings,
                                        rotatedDimensions: headDim, base: ropeTheta)
    }

    /// The typed architecture: GPT-NeoX's parallel pre-norm block on one bias-free LayerNorm (the
    /// one norm is both `ln1` and `ln2`, see `CohereLoader`), interleaved rotary embeddings over the
    /// whole head, a gated MLP, causal attention scaled by `1/√dh`, an LM head (`logit_scale` is
    /// folded into its weight by the loader). `modelType`: `cohere2` for `Cohere2Config`, which adds
    /// its per-layer windows and NoPE layers to this one.
    func architecture(modelType: String = "cohere") -> Architecture {
        let rope = RotaryEmbedding(dimensions: headDim, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings, layout: .interleaved)
        return Architecture(
            modelType: modelType, layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: ropeScaling.contextLength(maxPositions: maxPositionEmbeddings),
            norm: .layerNorm(eps: layerNormEps), placement: .pre,
            position: .rotary(rope), mlp: .gated, activation: Activation(huggingFaceName: hiddenAct)!,
            mask: .causal, attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel, parallelResidual: true)
    }
}
