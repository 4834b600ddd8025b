import Foundation

/// `config.json` of OLMo 2 (`model_type` `olmo2`), with transformers 4.53's defaults: a Llama-like
/// decoder (RMSNorm, rotary embeddings, SwiGLU MLP, grouped-query attention) whose norms sit on the
/// branch outputs — `x + norm(attn(x))`, then `h + norm(mlp(h))` — with a QK-norm over the whole
/// query and key projections (`γ [H·dh]`, `[Hkv·dh]`), before the head split.
public struct OLMo2Config: Decodable, Sendable, Equatable {
    /// `vocab_size` `V` (default 50304).
    public var vocabSize: Int
    /// `hidden_size` `d` (default 4096).
    public var hiddenSize: Int
    /// `intermediate_size` `dff` (default 11008).
    public var intermediateSize: Int
    /// `num_hidden_layers` (default 32).
    public var numHiddenLayers: Int
    /// `num_attention_heads` `H`, dividing `d` (default 32).
    public var numAttentionHeads: Int
    /// `num_key_value_heads` `Hkv`, dividing `H` (default `H`).
    public var numKeyValueHeads: Int
    /// `hidden_act`: the gate's activation (default `silu`).
    public var activation: Activation
    /// `max_position_embeddings` (default 2048).
    public var maxPositionEmbeddings: Int
    /// `rms_norm_eps` (default 1e-5).
    public var rmsNormEps: Float
    /// `rope_theta` (default 10000).
    public var ropeTheta: Double
    /// `rope_scaling` (`default` or `linear`).
    public var ropeScaling: RopeScaling
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// `tie_word_embeddings` (default false).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    /// Decodes and checks `config.json`: sizes positive, `H` dividing `d` with an even head width,
    /// `Hkv` dividing `H`, a supported activation, ε and θ positive, `rope_scaling` `default` or
    /// `linear`. Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.value(.vocabSize, default: 50304)
        hiddenSize = try c.value(.hiddenSize, default: 4096)
        intermediateSize = try c.value(.intermediateSize, default: 11008)
        numHiddenLayers = try c.value(.numHiddenLayers, default: 32)
        numAttentionHeads = try c.value(.numAttentionHeads, default: 32)
        numKeyValueHeads = try c.value(.numKeyValueHeads, default: numAttentionHeads)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 2048)
        rmsNormEps = try c.value(.rmsNormEps, default: 1e-5)
        ropeTheta = try c.value(.ropeTheta, default: 10000)
        attentionBias = try c.value(.attentionBias, default: false)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)
        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"),
                             (intermediateSize, "intermediate_size"), (numHiddenLayers, "num_hidden_layers"),
                             (numAttentionHeads, "num_attention_heads"), (numKeyValueHeads, "num_key_value_heads"),
                             (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requirePositive(rmsNormEps, "rms_norm_eps")
        try requirePositive(ropeTheta, "rope_theta")
        guard hiddenSize % numAttentionHeads == 0, (hiddenSize / numAttentionHeads) % 2 == 0 else {
            throw ConfigValidationError(key: "num_attention_heads", detail:
                "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize)) into heads of even width")
        }
        try requireHeadGroups(heads: numAttentionHeads, kvHeads: numKeyValueHeads)
        activation = try configActivation(c.value(.hiddenAct, default: "silu"), key: "hidden_act")
        ropeScaling = try simpleRopeScaling(c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling),
                                            family: "OLMo 2")
    }

    func architecture() -> Architecture {
        let headDim = hiddenSize / numAttentionHeads
        let rope = RotaryEmbedding(dimensions: headDim, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings)
        var arch = Architecture(
            modelType: "olmo2", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .rmsNorm(eps: rmsNormEps), placement: .branchOutput,
            position: .rotary(rope), mlp: .gated, activation: activation, mask: .causal,
            attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false, tokenTypes: 0,
            head: .languageModel)
        arch.qkNormScope = .wholeProjection
        return arch
    }
}
