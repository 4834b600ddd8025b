import Foundation

/// `config.json` of the Gemma family — `model_type` `gemma`, `gemma2` or `gemma3_text` — with each
/// type's defaults from transformers 4.53. All three: RMSNorm scaled by `(1 + w)`, token rows times
/// `√d`, a GeGLU MLP (`gelu_pytorch_tanh` gate), rotary embeddings, grouped-query attention, tied
/// embeddings. Gemma 2 adds norms after attention and MLP, `query_pre_attn_scalar`, attention and
/// final logit soft-capping and alternating sliding windows; Gemma 3 adds QK-norm and a second
/// rotary base for its sliding layers. A `gemma3` config (`Gemma3ForConditionalGeneration`, the
/// multimodal checkpoints) is read as its text model: `text_config` decoded as `gemma3_text`
/// (GemmaConfig+Multimodal.swift).
public struct GemmaConfig: Decodable, Sendable, Equatable {
    /// The `model_type` the config names; it picks the defaults and the block layout.
    public enum Family: String, Sendable, Equatable, CaseIterable {
        /// Gemma (1): pre-norm blocks.
        case gemma
        /// Gemma 2: sandwich norms, soft-caps, alternating sliding windows.
        case gemma2
        /// Gemma 3's text model (`Gemma3ForCausalLM`): Gemma 2's block without soft-caps, plus
        /// QK-norm and a second rotary base for sliding layers.
        case gemma3Text = "gemma3_text"
    }

    /// Which of the three types the config is.
    public var family: Family
    /// `vocab_size` `V` (default 256000; Gemma 3 262208).
    public var vocabSize: Int
    /// `hidden_size` `d` (default 3072; Gemma 2 and 3 2304).
    public var hiddenSize: Int
    /// `intermediate_size` `dff` (default 24576; Gemma 2 and 3 9216).
    public var intermediateSize: Int
    /// `num_hidden_layers` (default 28; Gemma 2 and 3 26).
    public var numHiddenLayers: Int
    /// `num_attention_heads` `H` (default 16; Gemma 2 and 3 8).
    public var numAttentionHeads: Int
    /// `num_key_value_heads` `Hkv`, dividing `H` (default 16; Gemma 2 and 3 4).
    public var numKeyValueHeads: Int
    /// `head_dim` `dh` (default 256), independent of `d/H`.
    public var headDim: Int
    /// The gate's activation: `hidden_act` (Gemma) or `hidden_activation` (Gemma 2, 3); default
    /// `gelu_pytorch_tanh`.
    public var activation: Activation
    /// `max_position_embeddings` (default 8192; Gemma 3 131072).
    public var maxPositionEmbeddings: Int
    /// `rms_norm_eps` (default 1e-6).
    public var rmsNormEps: Float
    /// `rope_theta` (default 10000; Gemma 3 1e6).
    public var ropeTheta: Double
    /// `rope_scaling`, any of the Llama family's types: of every layer (Gemma, Gemma 2), of the
    /// full-attention layers only (Gemma 3, whose sliding layers use `rope_local_base_freq` unscaled).
    public var ropeScaling: RopeScaling
    /// `rope_local_base_freq`: the rotary base of Gemma 3's sliding layers (default 10000).
    public var ropeLocalBaseFreq: Double?
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// `query_pre_attn_scalar`: scores are scaled by its inverse square root (Gemma 2, 3; default
    /// 256). Gemma: `head_dim`.
    public var queryPreAttnScalar: Double
    /// `attn_logit_softcapping` (Gemma 2, default 50). Always none for Gemma 3: transformers 4.53's
    /// `Gemma3Attention` stores the key but never passes it to the attention function, so a value
    /// written there changes nothing.
    public var attentionSoftCap: Float?
    /// `final_logit_softcapping` (Gemma 2 default 30; Gemma 3 none).
    public var finalSoftCap: Float?
    /// `tie_word_embeddings` (default true).
    public var tieWordEmbeddings: Bool
    /// `Gemma3ForConditionalGeneration` when the config is a `gemma3` one whose `text_config` this
    /// is (the vision tower and projector are not read); nil for a text-only checkpoint.
    public var textModelOf: String? = nil
    /// Per layer: the sliding window, or `nil` for full causal attention (from `layer_types`, else
    /// Gemma 2 alternates starting with a sliding layer and Gemma 3 slides except every
    /// `sliding_window_pattern`-th layer).
    public var slidingWindows: [Int?]

    enum CodingKeys: String, RopeScalingKeys {
        case modelType = "model_type"
        case partialRotaryFactor = "partial_rotary_factor"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case hiddenAct = "hidden_act"
        case hiddenActivation = "hidden_activation"
        case maxPositionEmbeddings = "max_position_embeddings"
        case rmsNormEps = "rms_norm_eps"
        case ropeTheta = "rope_theta"
        case ropeScaling = "rope_scaling"
        case ropeLocalBaseFreq = "rope_local_base_freq"
        case attentionBias = "attention_bias"
        case queryPreAttnScalar = "query_pre_attn_scalar"
        case attnLogitSoftcapping = "attn_logit_softcapping"
        case finalLogitSoftcapping = "final_logit_softcapping"
        case tieWordEmbeddings = "tie_word_embeddings"
        case slidingWindow = "sliding_window"
        case layerTypes = "layer_types"
        case slidingWindowPattern = "sliding_window_pattern"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case textConfig = "text_config"
    }

    /// Decodes `config.json` with the defaults of its `model_type` and checks it: sizes positive,
    /// `Hkv` dividing `H`, an even `head_dim`, a supported activation, ε, θ, scalar and caps positive,
    /// `layer_types` one known entry per layer, and `rope_scaling` as transformers 4.53.3 reads it
    /// (`RopeScaling.read`: Gemma and Gemma 2 take `rope_type`, else `type`; Gemma 3's config
    /// validates it and requires `rope_type`). Violations throw an error that loading reports as
    /// `LoadError.invalidConfig`. A `gemma3` config reads `text_config` instead
    /// (``init(multimodal:)``).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.value(.modelType, default: "gemma")
        if type == Self.multimodalType {
            try self.init(multimodal: c)
            return
        }
        guard let family = Family(rawValue: type) else {
            throw ConfigValidationError(key: "model_type", detail: "'\(type)' is not a Gemma-family type")
        }
        try self.init(c, family: family)
    }

    /// Decodes the fields of one text config with `family`'s defaults (see ``init(from:)``); the
    /// container's own `model_type` is not read. With `readsFinalCap` false,
    /// `final_logit_softcapping` is neither read nor checked (a multimodal checkpoint's text model
    /// never applies it, whatever it holds).
    init(_ c: KeyedDecodingContainer<CodingKeys>, family: Family, readsFinalCap: Bool = true) throws {
        self.family = family
        let first = family == .gemma
        vocabSize = try c.value(refusingNull: .vocabSize, default: family == .gemma3Text ? 262_208 : 256_000)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: first ? 3072 : 2304)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: first ? 24576 : 9216)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: first ? 28 : 26)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: first ? 16 : 8)
        numKeyValueHeads = try c.value(refusingNull: .numKeyValueHeads, default: first ? 16 : 4)
        headDim = try c.value(refusingNull: .headDim, default: 256)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: family == .gemma3Text ? 131_072 : 8192)
        rmsNormEps = try c.value(refusingNull: .rmsNormEps, default: 1e-6)
        ropeTheta = try c.value(refusingNull: .ropeTheta, default: family == .gemma3Text ? 1_000_000 : 10000)
        attentionBias = try c.value(.attentionBias, default: false)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)
        try refuseUnreadRotaryShare(c, .partialRotaryFactor)
        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"),
                             (intermediateSize, "intermediate_size"), (numHiddenLayers, "num_hidden_layers"),
                             (numAttentionHeads, "num_attention_heads"), (numKeyValueHeads, "num_key_value_heads"),
                             (headDim, "head_dim"), (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(rmsNormEps, "rms_norm_eps")
        try requirePositive(ropeTheta, "rope_theta")
        try requireHeadGroups(heads: numAttentionHeads, kvHeads: numKeyValueHeads)
        guard headDim % 2 == 0 else {
            throw ConfigValidationError(key: "head_dim", detail: "must be even for the rotary embedding, got \(headDim)")
        }
        // Gemma reads hidden_act; Gemma 2 and 3 read hidden_activation (transformers 4.53's MLPs).
        let actKey: CodingKeys = first ? .hiddenAct : .hiddenActivation
        // A null activation is refused (transformers: KeyError in ACT2FN). Gemma's config writes
        // hidden_activation null and is read by its hidden_act; only Gemma 2 and 3 read the former.
        activation = try configActivation(c.value(refusingNull: actKey, default: "gelu_pytorch_tanh"), key: actKey.rawValue)
        // Every rotary module of the family goes through transformers' ROPE_INIT_FUNCTIONS (all of
        // Gemma's layers, Gemma 3's full-attention ones); only Gemma 3's config validates first.
        ropeScaling = try c.ropeScaling(typeKeys: family == .gemma3Text ? .ropeTypeRequired : .ropeTypeFirst,
                                        modelType: family.rawValue, maxPositions: maxPositionEmbeddings,
                                        rotatedDimensions: headDim, base: ropeTheta)

        if first {
            queryPreAttnScalar = Double(headDim)
            (attentionSoftCap, finalSoftCap, ropeLocalBaseFreq) = (nil, nil, nil)
            slidingWindows = [Int?](repeating: nil, count: numHiddenLayers)
            return
        }
        queryPreAttnScalar = try c.value(refusingNull: .queryPreAttnScalar, default: 256)
        try requirePositive(queryPreAttnScalar, "query_pre_attn_scalar")
        let gemma2 = family == .gemma2
        attentionSoftCap = gemma2 ? try Self.cap(c, .attnLogitSoftcapping, default: 50) : nil
        finalSoftCap = readsFinalCap ? try Self.cap(c, .finalLogitSoftcapping, default: gemma2 ? 30 : nil) : nil
        if gemma2 {
            ropeLocalBaseFreq = nil
        } else {
            // Gemma 3's sliding layers: a copy of the config with this base and {"rope_type": "default"}.
            let local = try c.value(refusingNull: .ropeLocalBaseFreq, default: 10000.0)
            try requirePositive(local, "rope_local_base_freq")
            ropeLocalBaseFreq = local
        }
        let window = try c.value(refusingNull: .slidingWindow, default: 4096)
        try requirePositive(window, "sliding_window")
        slidingWindows = try Self.decodeLayerTypes(c, window: window, layers: numHiddenLayers, gemma2: gemma2)
    }

    /// A soft-cap: absent gives `fallback`, `null` none, otherwise a positive number.
    private static func cap(_ c: KeyedDecodingContainer<CodingKeys>, _ key: CodingKeys, default fallback: Float?) throws -> Float? {
        guard c.contains(key) else { return fallback }
        guard let value = try c.decodeIfPresent(Double.self, forKey: key) else { return nil }
        try requirePositive(value, key.rawValue)
        return Float(value)
    }

    private static func decodeLayerTypes(_ c: KeyedDecodingContainer<CodingKeys>, window: Int, layers: Int,
                                         gemma2: Bool) throws -> [Int?] {
        if let types = try c.decodeIfPresent([String].self, forKey: .layerTypes) {
            guard types.count == layers else {
                throw ConfigValidationError(key: "layer_types", detail: "has \(types.count) entries for \(layers) layers")
            }
            return try types.map { type in
                switch type {
                case "full_attention": return nil
                case "sliding_attention": return window
                default: throw ConfigValidationError(key: "layer_types", detail: "has unknown type '\(type)'")
                }
            }
        }
        // Any non-zero number: 2.5 as Python's float modulo reads it, −3 as 3 (`pythonModuloNonZero`).
        // Gemma3TextConfig reads `kwargs.get("sliding_window_pattern", 6)`: the `_sliding_window_pattern`
        // its save_pretrained writes is not read back (6 whatever it says).
        let pattern = gemma2 ? 2 : try c.value(.slidingWindowPattern, default: 6.0)
        guard pattern != 0 else {
            throw ConfigValidationError(key: "sliding_window_pattern", detail:
                "is 0; transformers divides by it (ZeroDivisionError) when layer_types is not given")
        }
        return pythonModuloNonZero(layers: layers, pattern: pattern).map { $0 ? window : nil }
    }

    /// The typed architecture; `embeddingScale` is `√d` as the model applies it.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: headDim, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings)
        let sandwich = family != .gemma
        var arch = Architecture(
            modelType: textModelOf == nil ? family.rawValue : Self.multimodalType, layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: ropeScaling.contextLength(maxPositions: maxPositionEmbeddings), norm: .rmsNorm(eps: rmsNormEps),
            placement: sandwich ? .sandwich : .pre, position: .rotary(rope), mlp: .gated, activation: activation,
            mask: .causal, attentionScale: Float(1 / queryPreAttnScalar.squareRoot()), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel, slidingWindows: slidingWindows)
        arch.attentionSoftCap = attentionSoftCap
        arch.finalSoftCap = finalSoftCap
        // Gemma 3's reference is LXT's own map, which leaves the final tanh unpatched (§2.5e).
        arch.finalSoftCapRelevance = family == .gemma3Text ? .gradient : .activationRule
        arch.textModelOf = textModelOf
        arch.slidingRotary = ropeLocalBaseFreq.map {
            RotaryEmbedding(dimensions: headDim, base: $0, scaling: .none, maxPositions: maxPositionEmbeddings)
        }
        return arch
    }
}
