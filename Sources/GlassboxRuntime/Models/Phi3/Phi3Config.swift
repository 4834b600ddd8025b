import Foundation

/// `config.json` of Phi-3 (`model_type` `phi3`), with transformers 4.53's defaults. The block is
/// Llama's (RMSNorm, rotary embeddings, grouped-query attention, a SwiGLU MLP, no biases) with two
/// fused projections — `qkv_proj` (queries, keys, values stacked by rows) and `gate_up_proj` (gate
/// rows, then up rows) — an optional partial rotation, a sliding window in every layer when
/// `sliding_window` is set, and LongRoPE (`rope_scaling` of type `longrope`, the only scaling
/// transformers accepts for Phi-3).
public struct Phi3Config: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 32064).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 3072).
    public var hiddenSize: Int
    /// `intermediate_size`: MLP width `dff` (default 8192); `gate_up_proj` has `2·dff` rows.
    public var intermediateSize: Int
    /// `num_hidden_layers`: number of blocks (default 32).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H` (default 32).
    public var numAttentionHeads: Int
    /// `num_key_value_heads`: key/value heads `Hkv`, dividing `H` (default `H`).
    public var numKeyValueHeads: Int
    /// `head_dim`: per-head width `dh` (default `d / H`).
    public var headDim: Int
    /// `hidden_act`: the gate's activation (default `silu`).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest input (default 4096).
    public var maxPositionEmbeddings: Int
    /// `original_max_position_embeddings`: the pretrained length LongRoPE extends (default 4096).
    public var originalMaxPositionEmbeddings: Int
    /// `rms_norm_eps`: ε of every RMSNorm (default 1e-5).
    public var rmsNormEps: Float
    /// `rope_theta`: base of the rotary frequencies (default 10000).
    public var ropeTheta: Double
    /// `partial_rotary_factor`: share of each head's dimensions that is rotated, in (0, 1] (default 1).
    public var partialRotaryFactor: Double
    /// `rope_scaling`: none, or LongRoPE.
    public var ropeScaling: RopeScaling
    /// `tie_word_embeddings`: the output layer reuses the token embeddings (default false).
    public var tieWordEmbeddings: Bool
    /// `sliding_window`: the window of every layer, or `nil` for full causal attention (default).
    public var slidingWindow: Int?

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
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case partialRotaryFactor = "partial_rotary_factor"
        case tieWordEmbeddings = "tie_word_embeddings"
        case slidingWindow = "sliding_window"
    }

    /// `rope_scaling` as Phi-3 writes it: `{"type": "longrope", "short_factor": [...], "long_factor": [...]}`.
    private struct LongRopeFields: Decodable {
        let type: String?
        let ropeType: String?
        let shortFactor: [Double]?
        let longFactor: [Double]?
        enum CodingKeys: String, CodingKey {
            case type, ropeType = "rope_type", shortFactor = "short_factor", longFactor = "long_factor"
        }
    }

    /// Decodes `config.json` with Phi-3's defaults and checks it: sizes positive, `Hkv` dividing `H`,
    /// a supported activation, an even number of rotated dimensions, ε > 0, `rope_theta` > 0, and a
    /// `rope_scaling` that is LongRoPE with `rotated/2` positive factors in each list (any other type
    /// is an error naming it).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        vocabSize = try c.value(.vocabSize, default: 32064)
        hiddenSize = try c.value(.hiddenSize, default: 3072)
        intermediateSize = try c.value(.intermediateSize, default: 8192)
        numHiddenLayers = try c.value(.numHiddenLayers, default: 32)
        numAttentionHeads = try c.value(.numAttentionHeads, default: 32)
        numKeyValueHeads = try c.value(.numKeyValueHeads, default: numAttentionHeads)
        hiddenAct = try c.value(.hiddenAct, default: "silu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 4096)
        originalMaxPositionEmbeddings = try c.value(.originalMaxPositionEmbeddings, default: 4096)
        rmsNormEps = try c.value(.rmsNormEps, default: 1e-5)
        ropeTheta = try c.value(.ropeTheta, default: 10000)
        partialRotaryFactor = try c.value(.partialRotaryFactor, default: 1)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)
        slidingWindow = try c.decodeIfPresent(Int.self, forKey: .slidingWindow)
        headDim = try checkDecoderShape(hidden: hiddenSize, heads: numAttentionHeads, kvHeads: numKeyValueHeads,
                                        headDim: c.decodeIfPresent(Int.self, forKey: .headDim),
                                        sizes: [(vocabSize, "vocab_size"), (intermediateSize, "intermediate_size"),
                                                (numHiddenLayers, "num_hidden_layers"),
                                                (maxPositionEmbeddings, "max_position_embeddings"),
                                                (originalMaxPositionEmbeddings, "original_max_position_embeddings")],
                                        activation: hiddenAct, eps: rmsNormEps, theta: ropeTheta,
                                        partialRotaryFactor: partialRotaryFactor)
        if let slidingWindow { try requirePositive(slidingWindow, "sliding_window") }
        guard let fields = try c.decodeIfPresent(LongRopeFields.self, forKey: .ropeScaling) else {
            ropeScaling = .none
            return
        }
        let type = fields.type ?? fields.ropeType ?? "default"
        guard type == "longrope" || type == "su" || type == "yarn" else {
            throw ConfigValidationError(key: "rope_scaling", detail: "type '\(type)' is not supported for phi3; supported: longrope")
        }
        let half = Int(Double(headDim) * partialRotaryFactor) / 2
        func factors(_ list: [Double]?, _ key: String) throws -> [Float] {
            guard let list, list.count == half else {
                throw ConfigValidationError(key: "rope_scaling.\(key)", detail: "must list \(half) numbers (one per rotated frequency)")
            }
            for value in list { try requirePositive(value, "rope_scaling.\(key)") }
            return list.map { Float($0) }
        }
        // transformers: factor = max / original; attention factor √(1 + ln factor / ln original) when > 1.
        let factor = Double(maxPositionEmbeddings) / Double(originalMaxPositionEmbeddings)
        let attention = factor <= 1 ? 1 : (1 + log(factor) / log(Double(originalMaxPositionEmbeddings))).squareRoot()
        ropeScaling = .longrope(short: try factors(fields.shortFactor, "short_factor"),
                                long: try factors(fields.longFactor, "long_factor"),
                                originalMaxPositions: originalMaxPositionEmbeddings, attentionFactor: Float(attention))
    }

    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: Int(Double(headDim) * partialRotaryFactor), base: ropeTheta,
                                   scaling: ropeScaling, maxPositions: maxPositionEmbeddings)
        return Architecture(
            modelType: "phi3", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .rmsNorm(eps: rmsNormEps), placement: .pre,
            position: .rotary(rope), mlp: .gated, activation: Activation(huggingFaceName: hiddenAct)!, mask: .causal,
            attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false, tokenTypes: 0,
            head: .languageModel, slidingWindows: [Int?](repeating: slidingWindow, count: numHiddenLayers))
    }
}

/// The checks every rotary decoder config shares (Phi-3, Mixtral): each of `sizes` positive, `H` and
/// `Hkv` positive with `Hkv` dividing `H`, `headDim` positive or else `H` dividing `hidden`, a
/// supported activation, ε and θ positive, and `partial_rotary_factor` in (0, 1] giving an even
/// number of rotated dimensions. Returns the head width.
func checkDecoderShape(hidden: Int, heads: Int, kvHeads: Int, headDim: Int?, sizes: [(Int, String)],
                       activation: String, eps: Float, theta: Double, partialRotaryFactor: Double = 1) throws -> Int {
    for (value, key) in [(hidden, "hidden_size"), (heads, "num_attention_heads"), (kvHeads, "num_key_value_heads")] + sizes {
        try requirePositive(value, key)
    }
    try requirePositive(eps, "rms_norm_eps")
    try requirePositive(theta, "rope_theta")
    let width: Int
    if let headDim {
        try requirePositive(headDim, "head_dim")
        width = headDim
    } else {
        guard hidden % heads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads", detail: "(\(heads)) must divide hidden_size (\(hidden))")
        }
        width = hidden / heads
    }
    guard heads % kvHeads == 0 else {
        throw ConfigValidationError(key: "num_key_value_heads", detail: "(\(kvHeads)) must divide num_attention_heads (\(heads))")
    }
    guard Activation(huggingFaceName: activation) != nil else {
        throw ConfigValidationError(key: "hidden_act", detail:
            "'\(activation)' is not supported; supported: \(Activation.huggingFaceNames.joined(separator: ", "))")
    }
    let rotated = Double(width) * partialRotaryFactor
    guard partialRotaryFactor > 0 && partialRotaryFactor <= 1, Int(rotated) % 2 == 0, Int(rotated) > 0 else {
        throw ConfigValidationError(key: "partial_rotary_factor",
                                    detail: "must be in (0, 1] and give an even number of rotated dimensions")
    }
    return width
}
