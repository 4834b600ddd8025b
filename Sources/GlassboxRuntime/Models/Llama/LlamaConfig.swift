import Foundation

/// `config.json` of the Llama family — `model_type` `llama`, `mistral`, `qwen2`, `qwen3`, `granite` or
/// `smollm3` — with each type's defaults from transformers 4.53. They share one architecture: RMSNorm,
/// rotary embeddings, grouped-query attention and a SwiGLU MLP; they differ in biases, sliding windows,
/// QK-norm (Qwen3), Granite's four multipliers, SmolLM3's NoPE layers and defaults, which this type
/// turns into typed fields.
public struct LlamaConfig: Decodable, Sendable, Equatable {
    /// The `model_type` the config names: `llama`, `mistral`, `qwen2`, `qwen3` or `granite`; it picks the defaults.
    public enum Family: String, Sendable, Equatable, CaseIterable { case llama, mistral, qwen2, qwen3, granite, smollm3 }

    /// Which of the three types the config is (`model_type`, default `llama`).
    public var family: Family
    /// `vocab_size`: token vocabulary size `V` (default 32000; Qwen2 151936).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 4096).
    public var hiddenSize: Int
    /// `intermediate_size`: MLP width `dff` (default 11008; Mistral 14336, Qwen2 22016).
    public var intermediateSize: Int
    /// `num_hidden_layers`: number of blocks (default 32).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H` (default 32).
    public var numAttentionHeads: Int
    /// `num_key_value_heads`: key/value heads `Hkv`, dividing `H` (default `H`; Mistral 8,
    /// Qwen2 32).
    public var numKeyValueHeads: Int
    /// `head_dim`: per-head width `dh` (default `hiddenSize / numAttentionHeads`; Qwen3 128, which
    /// need not equal `d/H`).
    public var headDim: Int
    /// `hidden_act`: the gate's activation, Hugging Face name (default `silu`).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest input (default 2048; Mistral 131072, Qwen2 32768).
    public var maxPositionEmbeddings: Int
    /// `rms_norm_eps`: ε of every RMSNorm (default 1e-6).
    public var rmsNormEps: Float
    /// `rope_theta`: base of the rotary frequencies (default 10000).
    public var ropeTheta: Double
    /// `rope_scaling`: the frequency scaling variant (default none).
    public var ropeScaling: RopeScaling
    /// The share of each head's dimensions that is rotated: always 1 (every type here rotates the
    /// whole head; `partial_rotary_factor` other than 1 is refused, `refuseUnreadRotaryShare`).
    public var partialRotaryFactor: Double
    /// Biases on q, k, v (Qwen2 always; Llama with `attention_bias`).
    public var qkvBias: Bool
    /// Bias on the output projection (Llama with `attention_bias`).
    public var outputBias: Bool
    /// `mlp_bias`: biases on the gate, up and down projections (default false).
    public var mlpBias: Bool
    /// `tie_word_embeddings`: the output layer reuses the token embeddings (default false).
    public var tieWordEmbeddings: Bool
    /// Per layer: the sliding window, or `nil` for full causal attention.
    public var slidingWindows: [Int?]
    /// QK-norm: an RMSNorm (`q_norm`, `k_norm`, `γ [dh]`) over each query and key head before the
    /// rotary embedding (Qwen3 always; the others never).
    public var qkNorm: Bool
    /// Granite's embedding, attention, residual and logit multipliers (`nil` for the other types).
    public var granite: GraniteMultipliers?
    /// The layers that apply no rotary embedding (SmolLM3's `no_rope_layers` zeros; empty for the others).
    public var unrotatedLayers: Set<Int> = []

    enum CodingKeys: String, RopeScalingKeys {
        case modelType = "model_type"
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
        case partialRotaryFactor = "partial_rotary_factor"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case tieWordEmbeddings = "tie_word_embeddings"
        case slidingWindow = "sliding_window"
        case useSlidingWindow = "use_sliding_window"
        case maxWindowLayers = "max_window_layers"
        case layerTypes = "layer_types"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case noRopeLayers = "no_rope_layers"
        case noRopeLayerInterval = "no_rope_layer_interval"
    }

    /// Decodes `config.json` with the defaults of its `model_type`, and checks it: sizes positive,
    /// heads dividing the width, `Hkv` dividing `H`, a supported activation, an even number of rotated
    /// dimensions, ε > 0, `rope_theta` > 0 and a supported `rope_scaling` with positive factors
    /// (llama3's `high_freq_factor` ≤ `low_freq_factor` loads, as transformers only warns, but for
    /// a NaN-making boundary: `RopeScaling.read`). Violations throw an error that loading reports as
    /// `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.value(.modelType, default: "llama")
        guard let family = Family(rawValue: type) else {
            throw ConfigValidationError(key: "model_type", detail: "'\(type)' is not a Llama-family type")
        }
        self.family = family
        let defaults: (vocab: Int, inner: Int, kv: Int?, positions: Int) = switch family {
        case .llama, .granite: (32000, 11008, nil, 2048)
        case .mistral: (32000, 14336, 8, 4096 * 32)
        case .qwen2, .qwen3: (151936, 22016, 32, 32768)
        case .smollm3: (128256, 11008, 4, 32768)
        }
        // SmolLM3Config: d 2048, 36 layers, 16 heads, rope_theta 2e6; the others 4096, 32, 32, 1e4.
        let smol = family == .smollm3
        vocabSize = try c.value(refusingNull: .vocabSize, default: defaults.vocab)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: smol ? 2048 : 4096)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: defaults.inner)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: smol ? 36 : 32)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: smol ? 16 : 32)
        numKeyValueHeads = try c.value(.numKeyValueHeads, default: defaults.kv ?? numAttentionHeads)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "silu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: defaults.positions)
        rmsNormEps = try c.value(refusingNull: .rmsNormEps, default: 1e-6)
        ropeTheta = try c.value(refusingNull: .ropeTheta, default: smol ? 2_000_000 : 10000)
        // Every type here rotates the whole head (apply_rotary_pos_emb on all of q and k), so a share
        // other than 1 only shrinks transformers' tables and fails on the size (red-team 24).
        try refuseUnreadRotaryShare(c, .partialRotaryFactor)
        partialRotaryFactor = 1
        let attentionBias = try c.value(.attentionBias, default: false)
        qkvBias = family == .qwen2 || attentionBias
        outputBias = family != .qwen2 && attentionBias
        // SmolLM3MLP has no biases whatever mlp_bias says; SmolLM3Config leaves tie_word_embeddings
        // to PretrainedConfig's default, true.
        mlpBias = smol ? false : try c.value(.mlpBias, default: false)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: smol)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"),
                             (intermediateSize, "intermediate_size"), (numHiddenLayers, "num_hidden_layers"),
                             (numAttentionHeads, "num_attention_heads"), (numKeyValueHeads, "num_key_value_heads"),
                             (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(rmsNormEps, "rms_norm_eps")
        try requirePositive(ropeTheta, "rope_theta")
        qkNorm = family == .qwen3
        // Qwen3 reads head_dim as written (null reaches nn.Linear: TypeError), and so do Granite,
        // SmolLM3 and Qwen2 (their attention: getattr(config, "head_dim", d // H) on a config without
        // the key); LlamaConfig derives it from null; Mistral's attention reads `head_dim or d // H`.
        let explicitHeadDim: Int? = family == .qwen3 ? try c.value(refusingNull: .headDim, default: 128)
            : try c.headDim(.headDim, reading: family == .granite || smol || family == .qwen2 ? .asWritten
                                                : family == .mistral ? .declaredOrDerived : .configDefault)
        let headDimIsExplicit = explicitHeadDim != nil || family == .qwen3
        headDim = try configHeadDim(explicit: explicitHeadDim ?? (family == .qwen3 ? 128 : nil),
                                    hidden: hiddenSize, heads: numAttentionHeads)
        try requireHeadGroups(heads: numAttentionHeads, kvHeads: numKeyValueHeads)
        _ = try configActivation(hiddenAct, key: "hidden_act")
        try requireRotatedWidth(headDim: headDim, factor: partialRotaryFactor,
                                derivedFrom: headDimIsExplicit ? nil : (hiddenSize, numAttentionHeads))
        // Llama, Qwen2 and Qwen3 copy `type` over `rope_type`; Mistral's config leaves both as written;
        // GraniteConfig validates without copying, so a `type` alone is a KeyError there.
        ropeScaling = try c.ropeScaling(typeKeys: family == .mistral ? .ropeTypeFirst : family == .granite ? .ropeTypeRequired : .typeOverridesRopeType,
                                        modelType: family.rawValue, maxPositions: maxPositionEmbeddings,
                                        rotatedDimensions: Int(Double(headDim) * partialRotaryFactor), base: ropeTheta)
        if case .longrope = ropeScaling, family == .mistral, explicitHeadDim == nil {
            throw Self.longRopeNeedsHeadDim(modelType: family.rawValue)
        }
        if family == .mistral { try c.refuseDerivedHeadDim(.headDim, reading: .declaredOrDerived, under: ropeScaling) }
        if smol {
            let layers = try SmolLM3Layers(c, layers: numHiddenLayers)
            (slidingWindows, unrotatedLayers) = (layers.slidingWindows, layers.unrotated)
        } else {
            slidingWindows = try Self.decodeSlidingWindows(c, family: family, layers: numHiddenLayers)
        }
        granite = family == .granite ? try GraniteMultipliers(from: decoder) : nil
    }

    /// Mistral's and Mixtral's configs in transformers 4.53.3 keep `head_dim` null unless it is given,
    /// and LongRoPE multiplies it (TypeError): the error for such a config.
    static func longRopeNeedsHeadDim(modelType: String) -> ConfigValidationError {
        ConfigValidationError(key: "head_dim", detail:
            "must be given with longrope rope_scaling for \(modelType) (transformers leaves it null there and cannot multiply it)")
    }

    /// Mistral slides in every layer when `sliding_window` is set; Qwen2 and Qwen3 in the layers that
    /// `layer_types` (or `use_sliding_window` with `max_window_layers`) marks; Llama never.
    private static func decodeSlidingWindows(_ c: KeyedDecodingContainer<CodingKeys>, family: Family,
                                             layers: Int) throws -> [Int?] {
        let full = [Int?](repeating: nil, count: layers)
        switch family {
        case .llama, .granite, .smollm3:   // SmolLM3: SmolLM3Layers
            return full
        case .mistral:
            guard let window = try c.decodeIfPresent(Int.self, forKey: .slidingWindow) else { return full }
            try requirePositive(window, "sliding_window")
            return [Int?](repeating: window, count: layers)
        case .qwen2, .qwen3:
            // Qwen2Config / Qwen3Config: the window is None unless use_sliding_window, and None when
            // written null; the derived layer_types then slide nowhere, while a written
            // "sliding_attention" layer fails building its mask in transformers (ValueError) — refused.
            let sliding = try c.value(.useSlidingWindow, default: false)
            let window: Int? = try !sliding || c.nullPlace(of: .slidingWindow) != nil ? nil : c.value(.slidingWindow, default: 4096)
            if let window { try requirePositive(window, "sliding_window") }
            if let types = try c.decodeIfPresent([String].self, forKey: .layerTypes) {
                // transformers validates every entry, and layer l reads entry l (fewer: IndexError).
                guard types.count >= layers else {
                    throw ConfigValidationError(key: "layer_types", detail: "has \(types.count) entries for \(layers) layers (IndexError in transformers)")
                }
                return try types.map { type -> Int? in
                    switch type {
                    case "full_attention": return nil
                    case "sliding_attention":
                        guard let window else {
                            throw sliding
                                ? ConfigValidationError(key: "sliding_window", detail:
                                    "is null, but layer_types has a sliding_attention layer; transformers fails on it too (its mask needs the window): give the window, or mark the layer full_attention")
                                : ConfigValidationError(key: "layer_types", detail:
                                    "has a sliding_attention layer, but use_sliding_window is false (no window); transformers fails on it too: set use_sliding_window, or mark the layer full_attention")
                        }
                        return window
                    default: throw ConfigValidationError(key: "layer_types", detail: "has unknown type '\(type)'")
                    }
                }.prefix(layers).map { $0 }
            }
            guard let window else { return full }
            let first = try c.value(.maxWindowLayers, default: 28)
            return (0..<layers).map { $0 >= first ? window : nil }
        }
    }

    func architecture() -> Architecture {
        let rotaryDims = Int(Double(headDim) * partialRotaryFactor)
        let rope = RotaryEmbedding(dimensions: rotaryDims, base: ropeTheta, scaling: ropeScaling,
                                   maxPositions: maxPositionEmbeddings)
        let context = ropeScaling.contextLength(maxPositions: maxPositionEmbeddings)
        return Architecture(
            modelType: family.rawValue, layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: context, norm: .rmsNorm(eps: rmsNormEps), placement: .pre, position: .rotary(rope),
            mlp: .gated, activation: Activation(huggingFaceName: hiddenAct)!, mask: .causal,
            attentionScale: granite.map { Float($0.attention) } ?? 1 / Float(headDim).squareRoot(),
            scaleAttentionByInverseLayer: false, tokenTypes: 0, head: .languageModel, slidingWindows: slidingWindows,
            unrotatedLayers: unrotatedLayers)
    }
}

/// A JSON value of unknown type, for loosely typed config objects such as `rope_scaling`
/// (`other`: an object).
enum JSONValue: Decodable, Equatable {
    case string(String), number(Double), bool(Bool), null, list([JSONValue]), other

    init(from decoder: Decoder) throws {
        let c = try decoder.singleValueContainer()
        if c.decodeNil() { self = .null }
        else if let b = try? c.decode(Bool.self) { self = .bool(b) }
        else if let n = try? c.decode(Double.self) { self = .number(n) }
        else if let s = try? c.decode(String.self) { self = .string(s) }
        else if let l = try? c.decode([JSONValue].self) { self = .list(l) }
        else { self = .other }
    }

    var string: String? { if case .string(let s) = self { s } else { nil } }
    var number: Double? { if case .number(let n) = self { n } else { nil } }
}
