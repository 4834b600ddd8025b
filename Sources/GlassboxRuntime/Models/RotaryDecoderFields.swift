import Foundation

/// The `config.json` fields Phi-3 and Mixtral share with the Llama block (RMSNorm, rotary
/// embeddings, grouped-query attention, a gated MLP, an optional sliding window in every layer),
/// decoded with the family's defaults and checked: sizes positive, `Hkv` dividing `H`, `head_dim`
/// positive or else `H` dividing `d`, a supported activation, ε and θ positive, the window positive.
/// StarCoder2 reads the same fields with its ε under `norm_epsilon` (``Defaults/epsKey``).
public struct RotaryDecoderFields: Sendable, Equatable {
    /// How the family reads `head_dim` (``HeadDimReading``), for the rope scaling's own reading.
    var headDimReading: HeadDimReading = .configDefault
    /// `vocab_size`: token vocabulary size `V`.
    public var vocabSize: Int
    /// `hidden_size`: residual width `d`.
    public var hiddenSize: Int
    /// `intermediate_size`: the MLP width `dff` (Mixtral: each expert's).
    public var intermediateSize: Int
    /// `num_hidden_layers`: number of blocks.
    public var numHiddenLayers: Int
    /// `num_attention_heads`: query heads `H`.
    public var numAttentionHeads: Int
    /// `num_key_value_heads`: key/value heads `Hkv`, dividing `H`.
    public var numKeyValueHeads: Int
    /// `head_dim`: per-head width `dh` (default `d / H`).
    public var headDim: Int
    /// `hidden_act`: the gate's activation, Hugging Face name (default `silu`).
    public var hiddenAct: String
    /// `max_position_embeddings`: the longest input.
    public var maxPositionEmbeddings: Int
    /// `max_position_embeddings`' key when written `null` (read as the default; a rope scaling that
    /// computes with it refuses it: ``RopeScaling/typesReadingMaxPositions``).
    var maxPositionsNullKey: String?
    /// `rms_norm_eps` (or the family's ``Defaults/epsKey``: StarCoder2's `norm_epsilon`): ε of
    /// every norm (default 1e-5; Qwen MoE 1e-6).
    public var rmsNormEps: Float
    /// `rope_theta`: base of the rotary frequencies.
    public var ropeTheta: Double
    /// `tie_word_embeddings`: the output layer reuses the token embeddings (default false).
    public var tieWordEmbeddings: Bool
    /// `sliding_window`: the window of every layer, or `nil` for full causal attention (default).
    public var slidingWindow: Int?

    /// A family's defaults for the fields above (`kvHeads` `nil`: as many as query heads).
    struct Defaults {
        var vocab: Int, hidden: Int, intermediate: Int, layers: Int, heads: Int, kvHeads: Int?, positions: Int, theta: Double
        /// `rms_norm_eps` (Qwen MoE: 1e-6).
        var eps: Float = 1e-5
        /// The key ε is read from (StarCoder2: `norm_epsilon`).
        var epsKey = "rms_norm_eps"
        /// `hidden_act` (StarCoder2: `gelu_pytorch_tanh`).
        var act = "silu"
        /// `tie_word_embeddings` (StarCoder2: `PretrainedConfig`'s true).
        var tied = false
        /// `head_dim` when the key is absent (`nil`: `d / H`; GLM: 128).
        var headDim: Int? = nil
    }

    /// A key named at run time (the family's ε key).
    private struct NamedKey: CodingKey {
        var stringValue: String
        init(stringValue: String) { self.stringValue = stringValue }
        var intValue: Int? { nil }
        init?(intValue: Int) { nil }
    }

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
        case ropeTheta = "rope_theta"
        case tieWordEmbeddings = "tie_word_embeddings"
        case slidingWindow = "sliding_window"
        case partialRotaryFactor = "partial_rotary_factor"
    }

    /// Decodes and checks the shared fields; `partialRotaryFactor` (the family's own reading of
    /// `partial_rotary_factor`) must leave an even, positive number of rotated dimensions in (0, 1];
    /// `nil` for a family that rotates the whole head, where the key must be absent or 1
    /// (`refuseUnreadRotaryShare`). `sizes` (the family's own counts) must be positive.
    /// `readsSlidingWindow` false: the family reads `sliding_window` itself (Qwen MoE: only with
    /// `use_sliding_window`), left `nil` here. `readsNormEpsilon` false: the family's config has no
    /// `rms_norm_eps` (OLMo's norms use a fixed ε), left at `defaults.eps` whatever the key says.
    /// `reading`: how the family reads `head_dim` (``HeadDimReading``). `oddRotatedWidth`: an odd
    /// rotated width is the family's to check (GLM: ``RotaryWidth``). `emptyRotatedWidth`: a share
    /// of 0, or one leaving `int(head_dim · share)` = 0 (a negative share above −1 / head_dim included), rotates
    /// nothing (Nemotron: ``RotaryWidth``); a negative width is refused.
    init(from decoder: Decoder, defaults: Defaults, partialRotaryFactor: Double? = nil, sizes: [(Int, String)] = [],
         readsSlidingWindow: Bool = true, readsNormEpsilon: Bool = true, headDim reading: HeadDimReading = .configDefault,
         oddRotatedWidth: Bool = false, emptyRotatedWidth: Bool = false) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if partialRotaryFactor == nil { try refuseUnreadRotaryShare(c, .partialRotaryFactor) }
        vocabSize = try c.value(refusingNull: .vocabSize, default: defaults.vocab)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: defaults.hidden)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: defaults.intermediate)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: defaults.layers)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: defaults.heads)
        numKeyValueHeads = try c.value(.numKeyValueHeads, default: defaults.kvHeads ?? numAttentionHeads)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: defaults.act)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: defaults.positions)
        maxPositionsNullKey = try c.nullPlace(of: .maxPositionEmbeddings)
        rmsNormEps = readsNormEpsilon ? try decoder.container(keyedBy: NamedKey.self)
            .value(refusingNull: NamedKey(stringValue: defaults.epsKey), default: defaults.eps) : defaults.eps
        ropeTheta = try c.value(refusingNull: .ropeTheta, default: defaults.theta)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: defaults.tied)
        slidingWindow = readsSlidingWindow ? try c.decodeIfPresent(Int.self, forKey: .slidingWindow) : nil

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"), (intermediateSize, "intermediate_size"),
                             (numHiddenLayers, "num_hidden_layers"), (numAttentionHeads, "num_attention_heads"),
                             (numKeyValueHeads, "num_key_value_heads"), (maxPositionEmbeddings, "max_position_embeddings")] + sizes {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(rmsNormEps, defaults.epsKey)
        try requirePositive(ropeTheta, "rope_theta")
        if let slidingWindow { try requirePositive(slidingWindow, "sliding_window") }
        headDimReading = reading
        let explicitHeadDim = try c.headDim(.headDim, reading: reading) ?? defaults.headDim
        let headDimIsExplicit = explicitHeadDim != nil
        headDim = try configHeadDim(explicit: explicitHeadDim, hidden: hiddenSize, heads: numAttentionHeads)
        try requireHeadGroups(heads: numAttentionHeads, kvHeads: numKeyValueHeads)
        _ = try configActivation(hiddenAct, key: "hidden_act")
        try requireRotatedWidth(headDim: headDim, factor: partialRotaryFactor ?? 1,
                                derivedFrom: headDimIsExplicit ? nil : (hiddenSize, numAttentionHeads), allowsOdd: oddRotatedWidth,
                                allowsEmpty: emptyRotatedWidth)
    }

    /// The typed architecture of a pre-RMSNorm causal decoder with a gated MLP and `rope`; its
    /// context is the one `rope`'s scaling allows (dynamic NTK: `factor` × the trained length).
    func architecture(modelType: String, rope: RotaryEmbedding) -> Architecture {
        Architecture(
            modelType: modelType, layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numKeyValueHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: rope.scaling.contextLength(maxPositions: maxPositionEmbeddings), norm: .rmsNorm(eps: rmsNormEps), placement: .pre,
            position: .rotary(rope), mlp: .gated, activation: Activation(huggingFaceName: hiddenAct)!, mask: .causal,
            attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false, tokenTypes: 0,
            head: .languageModel, slidingWindows: [Int?](repeating: slidingWindow, count: numHiddenLayers))
    }
}

/// Checks that `head_dim × partial_rotary_factor` is a positive even number of rotated dimensions
/// (rotary embeddings turn pairs). An odd `head_dim` with the whole head rotating is blamed on
/// `head_dim` (saying what it was derived from, when `derivedFrom` gives hidden_size and
/// num_attention_heads), anything else on `partial_rotary_factor`. `allowsOdd`: only a positive
/// number is required (the caller builds an odd width as transformers does: ``RotaryWidth``).
/// `allowsEmpty`: a factor at most 1 whose width `int(head_dim · factor)` is 0 is accepted too, a
/// negative one included (`int()` truncates toward 0; the caller rotates nothing), and a negative
/// width is refused as transformers fails on it (``requireNonNegativeRotatedWidth(_:key:)``).
func requireRotatedWidth(headDim: Int, factor: Double, derivedFrom: (hidden: Int, heads: Int)?, allowsOdd: Bool = false,
                         allowsEmpty: Bool = false) throws {
    if allowsEmpty, factor < 0 {
        return try requireNonNegativeRotatedWidth(Double(headDim) * factor, key: "partial_rotary_factor")
    }
    let product = Double(headDim) * factor
    let rotated = product.magnitude < 1e15 ? Int(product) : -1   // Int() of a non-finite or huge value traps
    if allowsEmpty, factor <= 1, rotated == 0 { return }
    guard factor > 0 && factor <= 1, factor == 1 || ((allowsOdd || rotated % 2 == 0) && rotated > 0) else {
        let detail = allowsEmpty ? "must be at most 1, got \(configNumber(factor))"
            : allowsOdd ? "must be in (0, 1] and give a non-zero number of rotated dimensions, got \(configNumber(factor)) (int(head_dim · share) = \(rotated))"
            : "must be in (0, 1] and give an even number of rotated dimensions"
        throw ConfigValidationError(key: "partial_rotary_factor", detail: detail)
    }
    guard allowsOdd || rotated % 2 == 0 else {
        let derived = derivedFrom.map { "(hidden_size / num_attention_heads = \($0.hidden) / \($0.heads)) " } ?? ""
        throw ConfigValidationError(key: "head_dim", detail:
            "\(derived)is \(headDim), an odd number: rotary embeddings turn pairs of dimensions, so it must be even")
    }
}

extension RotaryDecoderFields {
    /// The config's `rope_scaling` read against these fields (`KeyedDecodingContainer.ropeScaling`):
    /// the maximum positions and where a null one sits, the whole head rotated, `rope_theta` as
    /// YaRN's base, the top-level `original_max_position_embeddings` as written. `typeKeys` and
    /// `types` are the family's (how its config class reads `type` / `rope_type`, which types its
    /// rotary class runs).
    func ropeScaling(from decoder: Decoder, typeKeys: RopeTypeKeys, modelType: String,
                     types: [String] = RopeScaling.supportedTypes) throws -> RopeScaling {
        let scaling = try decoder.container(keyedBy: RopeScalingCodingKeys.self)
            .ropeScaling(typeKeys: typeKeys, modelType: modelType, maxPositions: maxPositionEmbeddings,
                         rotatedDimensions: headDim, base: ropeTheta, types: types)
        try decoder.container(keyedBy: CodingKeys.self).refuseDerivedHeadDim(.headDim, reading: headDimReading, under: scaling)
        return scaling
    }
}
