import Foundation

/// `config.json` of Mixtral (`model_type` `mixtral`), with transformers 4.53's defaults: Mistral's
/// attention (RMSNorm, rotary embeddings, grouped-query attention, a sliding window in every layer
/// when `sliding_window` is set, no biases) with a sparse mixture of experts in place of the MLP — a
/// router `gate` (`d → E`), `num_local_experts` gated MLPs (`w2(act(w1·x) ⊙ w3·x)`), each position
/// sent to its `num_experts_per_tok` most probable experts.
public struct MixtralConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 32000).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 4096).
    public var hiddenSize: Int
    /// `intermediate_size`: each expert's MLP width `dff` (default 14336).
    public var intermediateSize: Int
    /// `num_hidden_layers`: number of blocks (default 32).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H` (default 32).
    public var numAttentionHeads: Int
    /// `num_key_value_heads`: key/value heads `Hkv`, dividing `H` (default 8).
    public var numKeyValueHeads: Int
    /// `head_dim`: per-head width `dh` (default `d / H`).
    public var headDim: Int
    /// `hidden_act`: the experts' gate activation (default `silu`).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest input (default 131072).
    public var maxPositionEmbeddings: Int
    /// `rms_norm_eps`: ε of every RMSNorm (default 1e-5).
    public var rmsNormEps: Float
    /// `rope_theta`: base of the rotary frequencies (default 1e6).
    public var ropeTheta: Double
    /// `rope_scaling`: as the Llama family's (default none).
    public var ropeScaling: RopeScaling
    /// `tie_word_embeddings`: the output layer reuses the token embeddings (default false).
    public var tieWordEmbeddings: Bool
    /// `sliding_window`: the window of every layer, or `nil` for full causal attention (default).
    public var slidingWindow: Int?
    /// `num_local_experts`: `E`, experts per layer (default 8).
    public var numLocalExperts: Int
    /// `num_experts_per_tok`: `k`, experts each position uses, `1 ≤ k ≤ E` (default 2).
    public var numExpertsPerTok: Int

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case tieWordEmbeddings = "tie_word_embeddings"
        case slidingWindow = "sliding_window"
        case numLocalExperts = "num_local_experts"
        case numExpertsPerTok = "num_experts_per_tok"
    }

    /// Decodes `config.json` with Mixtral's defaults and checks it: sizes positive, `Hkv` dividing
    /// `H`, a supported activation, ε > 0, `rope_theta` > 0, a supported `rope_scaling`, and
    /// `1 ≤ num_experts_per_tok ≤ num_local_experts`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.value(.vocabSize, default: 32000)
        hiddenSize = try c.value(.hiddenSize, default: 4096)
        intermediateSize = try c.value(.intermediateSize, default: 14336)
        numHiddenLayers = try c.value(.numHiddenLayers, default: 32)
        numAttentionHeads = try c.value(.numAttentionHeads, default: 32)
        numKeyValueHeads = try c.value(.numKeyValueHeads, default: 8)
        hiddenAct = try c.value(.hiddenAct, default: "silu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 4096 * 32)
        rmsNormEps = try c.value(.rmsNormEps, default: 1e-5)
        ropeTheta = try c.value(.ropeTheta, default: 1e6)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)
        slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        numLocalExperts = try c.value(.numLocalExperts, default: 8)
        numExpertsPerTok = try c.value(.numExpertsPerTok, default: 2)
        headDim = try checkDecoderShape(hidden: hiddenSize, heads: numAttentionHeads, kvHeads: numKeyValueHeads,
                                        headDim: c.decodeIfPresent(Int.self, forKey: .headDim),
                                        sizes: [(vocabSize, "vocab_size"), (intermediateSize, "intermediate_size"),
                                                (numHiddenLayers, "num_hidden_layers"),
                                                (maxPositionEmbeddings, "max_position_embeddings"),
                                                (numLocalExperts, "num_local_experts"),
                                                (numExpertsPerTok, "num_experts_per_tok")],
                                        activation: hiddenAct, eps: rmsNormEps, theta: ropeTheta)
        guard numExpertsPerTok <= numLocalExperts else {
            throw ConfigValidationError(key: "num_experts_per_tok",
                                        detail: "(\(numExpertsPerTok)) must be at most num_local_experts (\(numLocalExperts))")
        }
        if let slidingWindow { try requirePositive(slidingWindow, "sliding_window") }
        ropeScaling = try LlamaConfig.ropeScaling(c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling))
    }

    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: headDim, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings)
        var arch = Architecture(
            modelType: "mixtral", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .rmsNorm(eps: rmsNormEps), placement: .pre,
            position: .rotary(rope), mlp: .gated, activation: Activation(huggingFaceName: hiddenAct)!, mask: .causal,
            attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false, tokenTypes: 0,
            head: .languageModel, slidingWindows: [Int?](repeating: slidingWindow, count: numHiddenLayers))
        arch.experts = ExpertRouting(count: numLocalExperts, topK: numExpertsPerTok)
        return arch
    }
}
