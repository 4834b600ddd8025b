import Foundation

/// `config.json` of a GPT-NeoX checkpoint (`model_type: gpt_neox`: Pythia, GPT-NeoX-20B), with the
/// defaults of transformers 4.53: LayerNorm, partial rotary embeddings on the first
/// `rotary_pct · dh` dimensions of each head, a fused query-key-value projection laid out per head,
/// a standard MLP, and (by default) parallel attention and MLP.
public struct GPTNeoXConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50432).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 6144).
    public var hiddenSize: Int
    /// `num_hidden_layers`: number of blocks (default 44).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: heads `H`, dividing `d` (default 64).
    public var numAttentionHeads: Int
    /// `intermediate_size`: MLP width `dff` (default 24576).
    public var intermediateSize: Int
    /// `hidden_act`: the MLP activation, Hugging Face name (default `gelu`).
    public var hiddenAct: String
    /// `rotary_pct`: share of each head's dimensions that is rotated, at most 1 (default 0.25; 0 rotates nothing).
    public var rotaryPct: Double
    /// `rotary_emb_base`: base of the rotary frequencies (default 10000; transformers reads this
    /// key, not `rope_theta`).
    public var rotaryEmbBase: Double
    /// `max_position_embeddings`: the longest input (default 2048).
    public var maxPositionEmbeddings: Int
    /// `layer_norm_eps`: ε of every LayerNorm (default 1e-5).
    public var layerNormEps: Float
    /// `tie_word_embeddings`: `embed_out` reuses `embed_in` (default false).
    public var tieWordEmbeddings: Bool
    /// `use_parallel_residual`: `x + attn(ln1(x)) + mlp(ln2(x))` instead of two sequential
    /// residual steps (default true).
    public var useParallelResidual: Bool
    /// `attention_bias`: biases on the fused QKV and output projections (default true).
    public var attentionBias: Bool
    /// `rope_scaling`: the frequency scaling of the rotated dimensions, any of the Llama family's
    /// types (default none).
    public var ropeScaling: RopeScaling
    /// The rotated lanes of each head: `int(head_dim · rotary_pct)`, `head_dim` the key when
    /// written positive (transformers sizes the rotary tables by it), else `d / H`, plus one when
    /// odd (``RotaryWidth``); at most `d / H`.
    var rotaryWidth: RotaryWidth

    enum CodingKeys: String, RopeScalingKeys {
        case hiddenDropout = "hidden_dropout"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case rotaryPct = "rotary_pct"
        case rotaryEmbBase = "rotary_emb_base"
        case maxPositionEmbeddings = "max_position_embeddings"
        case layerNormEps = "layer_norm_eps"
        case tieWordEmbeddings = "tie_word_embeddings"
        case useParallelResidual = "use_parallel_residual"
        case attentionBias = "attention_bias"
        case ropeScaling = "rope_scaling"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case headDim = "head_dim"
    }

    /// Decodes `config.json` with transformers' defaults and checks it: sizes positive, heads
    /// dividing the width, a supported activation, `rotary_pct` at most 1 (an odd number of rotated
    /// dimensions rotating one more, as transformers' table, none rotating for 0 — a negative share
    /// truncating to 0 included —, a negative number refused: ``RotaryWidth``), ε > 0, a positive rotary base, and `rope_scaling` as transformers 4.53.3
    /// reads it (`RopeScaling.read`: the config copies `type` over `rope_type`; the scaling sees the
    /// `rotary_pct · dh` rotated dimensions and the base `rotary_emb_base`). Violations throw an
    /// error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.hiddenDropout])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50432)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 6144)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 44)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 64)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: 24576)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "gelu")
        rotaryPct = try c.value(.rotaryPct, default: 0.25, refusingNull: nullRotaryShare(default: 0.25))
        rotaryEmbBase = try c.value(refusingNull: .rotaryEmbBase, default: 10000)
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 2048)
        layerNormEps = try c.value(refusingNull: .layerNormEps, default: 1e-5)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)
        useParallelResidual = try c.value(.useParallelResidual, default: true)
        attentionBias = try c.value(.attentionBias, default: true)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"),
                             (numHiddenLayers, "num_hidden_layers"), (numAttentionHeads, "num_attention_heads"),
                             (intermediateSize, "intermediate_size"), (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEps, "layer_norm_eps")
        try requirePositive(rotaryEmbBase, "rotary_emb_base")
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads",
                                        detail: "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize))")
        }
        _ = try configActivation(hiddenAct, key: "hidden_act")
        // transformers sizes the rotary tables by `dim = int(head_dim · rotary_pct)`, `head_dim` the
        // key when it is a positive number, else d // H (`_compute_default_rope_parameters`: `head_dim
        // or d // H`; YaRN's `_compute_yarn_parameters` reads the key as written: 0 there is dim 0, an
        // empty table, as under the dynamic and longrope tables; a null under any of the three is
        // refused below), and apply_rotary_pos_emb rotates the first `2 · ceil(dim / 2)` lanes of each
        // d // H-wide head.
        let derived = hiddenSize / numAttentionHeads
        let written = try c.decodeIfPresent(JSONValue.self, forKey: .headDim).flatMap { value -> Int? in
            if case .number = value { return try c.decode(Int.self, forKey: .headDim) }
            return nil
        }
        if let written, written < 0 {
            throw ConfigValidationError(key: "head_dim", detail: "(\(written)) must be positive: transformers' rotary tables are sized by it")
        }
        let tableWidth = written.flatMap { $0 > 0 ? $0 : nil } ?? derived
        // A dim of 0 (rotary_pct 0, a share too small for one lane, or a negative one above −1 / width:
        // int() truncates toward 0) is an empty table: nothing rotates. A negative dim fails in transformers.
        guard rotaryPct.isFinite, rotaryPct <= 1 else {
            throw ConfigValidationError(key: "rotary_pct", detail:
                "must be at most 1 (the share of the \(tableWidth) head dimensions that rotates), got \(configNumber(rotaryPct))")
        }
        try requireNonNegativeRotatedWidth(Double(tableWidth) * rotaryPct, key: "rotary_pct")
        let rotated = Int(Double(tableWidth) * rotaryPct)
        // transformers: partial_rotary_factor = rotary_pct, rope_theta = rotary_emb_base; the scalings see
        // dim itself (llama3's boundary check: the ceil(dim / 2) frequencies of an odd table).
        let (positions, base) = (maxPositionEmbeddings, rotaryEmbBase)
        func scaling(rotating dim: Int) throws -> RopeScaling {
            try c.ropeScaling(typeKeys: .typeOverridesRopeType, modelType: "gpt_neox", maxPositions: positions,
                              rotatedDimensions: dim, base: base, baseKey: "rotary_emb_base")
        }
        // A written 0 under the dynamic, yarn and longrope tables (`_compute_dynamic_ntk_parameters`,
        // `_compute_yarn_parameters`, `_compute_longrope_parameters` read the key as written): dim
        // int(0 · rotary_pct) = 0, an empty table (longrope's lists hold dim / 2 = 0 factors, or one),
        // and apply_rotary_pos_emb's q[..., :0] rotates nothing. The other tables read d // H.
        if written == 0 {
            let asWritten: RopeScaling
            do { asWritten = try scaling(rotating: 0) } catch let error as ConfigValidationError
                where ["rope_scaling.short_factor", "rope_scaling.long_factor"].contains(error.key) {
                // The list's length is what fails: say why there is no frequency to scale.
                throw ConfigValidationError(key: error.key, detail: error.detail +
                    " (head_dim 0 leaves int(0 · rotary_pct) = 0 rotated dimensions, an empty frequency table: transformers' ext_factors * base**inv_freq_shape fails on the size mismatch)")
            }
            if asWritten.readsHeadDimAsWritten != nil {
                ropeScaling = asWritten
                rotaryWidth = try RotaryWidth(dim: 0, headWidth: derived, scaling: ropeScaling, key: "head_dim")
                return
            }
        }
        ropeScaling = try scaling(rotating: rotated)
        // An odd dim rotates dim + 1 lanes; wider than the d // H-wide heads, transformers' forward fails.
        rotaryWidth = try RotaryWidth(dim: rotated, headWidth: derived, scaling: ropeScaling,
                                      key: tableWidth != derived ? "head_dim" : "rotary_pct")
        // The dynamic, yarn and longrope tables read the key as written: null a TypeError, 0 no frequency.
        try c.refuseDerivedHeadDim(.headDim, reading: .orDerived, under: ropeScaling)
    }

    /// Per-head width `dh = d / H`.
    var headDim: Int { hiddenSize / numAttentionHeads }

    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotaryWidth.lanes, base: rotaryEmbBase,
                                   scaling: ropeScaling, maxPositions: maxPositionEmbeddings, oddWidth: rotaryWidth.oddWidth)
        return Architecture(
            modelType: "gpt_neox", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numAttentionHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: ropeScaling.contextLength(maxPositions: maxPositionEmbeddings),
            norm: .layerNorm(eps: layerNormEps), placement: .pre,
            position: rotaryWidth.position(rope), mlp: .standard, activation: Activation(huggingFaceName: hiddenAct)!,
            mask: .causal, attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel, parallelResidual: useParallelResidual)
    }
}
