import Foundation

/// `config.json` of Phi-3 (`model_type` `phi3`), with transformers 4.53's defaults. The block is
/// Llama's (RMSNorm, rotary embeddings, grouped-query attention, a SwiGLU MLP, no biases) with two
/// fused projections — `qkv_proj` (queries, keys, values stacked by rows) and `gate_up_proj` (gate
/// rows, then up rows) — an optional partial rotation, a sliding window in every layer when
/// `sliding_window` is set, and LongRoPE (`rope_scaling` of type `longrope`, the only scaling
/// transformers accepts for Phi-3).
public struct Phi3Config: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block. Defaults: `V` 32064, `d` 3072, `dff` 8192, 32 layers,
    /// 32 heads, `Hkv` = `H`, 4096 positions, ε 1e-5, θ 10000.
    public var fields: RotaryDecoderFields
    /// `original_max_position_embeddings`: the pretrained length LongRoPE extends (default 4096).
    public var originalMaxPositionEmbeddings: Int
    /// `partial_rotary_factor`: share of each head's dimensions that is rotated, at most 1 (default 1;
    /// an odd `int(head_dim · share)` rotates one lane more, as Phi3RotaryEmbedding's table is wide);
    /// one leaving `int(head_dim · share)` = 0 (0, or a negative share above −1 / head_dim) rotates
    /// nothing, as Phi3RotaryEmbedding's empty table (no position embedding); a negative width is refused.
    public var partialRotaryFactor: Double
    /// `rope_scaling`: none, or LongRoPE.
    public var ropeScaling: RopeScaling
    /// The lanes Phi3RotaryEmbedding's table rotates: `dim + 1` for an odd `dim = int(head_dim · share)`
    /// (``RotaryWidth``); none for dim 0, or for dim 1 under LongRoPE (its empty factor lists empty the table).
    var rotaryWidth: RotaryWidth

    enum CodingKeys: String, CodingKey {
        case residPdrop = "resid_pdrop"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case ropeScaling = "rope_scaling"
        case partialRotaryFactor = "partial_rotary_factor"
    }

    /// Decodes `config.json` with Phi-3's defaults and checks it (`RotaryDecoderFields`' checks, a
    /// rotated width the heads hold — an odd one rotates `dim + 1` lanes —, and a `rope_scaling` that
    /// is LongRoPE with `dim // 2` positive factors in each list, which an odd `dim` above 3 cannot
    /// have for its `dim // 2 + 1` frequencies; any other type is an error naming it).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.residPdrop])   // unread, but transformers fails on their null
        partialRotaryFactor = try c.value(.partialRotaryFactor, default: 1, refusingNull: nullRotaryShare(default: 1))
        originalMaxPositionEmbeddings = try c.value(refusingNull: .originalMaxPositionEmbeddings, default: 4096)
        fields = try RotaryDecoderFields(
            from: decoder, defaults: .init(vocab: 32064, hidden: 3072, intermediate: 8192, layers: 32, heads: 32,
                                           kvHeads: nil, positions: 4096, theta: 10000),
            partialRotaryFactor: partialRotaryFactor,
            sizes: [(originalMaxPositionEmbeddings, "original_max_position_embeddings")], headDim: .asWritten,
            oddRotatedWidth: true, emptyRotatedWidth: true)
        let dim = max(Int(Double(fields.headDim) * partialRotaryFactor), 0)
        // `rope_scaling` as Phi-3 writes it: `{"type": "longrope", "short_factor": [...], "long_factor": [...]}`.
        guard let raw = try c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling) else {
            ropeScaling = .none
            rotaryWidth = try RotaryWidth(dim: dim, headWidth: fields.headDim, scaling: .none, key: "partial_rotary_factor")
            return
        }
        let type = raw["type"]?.string ?? raw["rope_type"]?.string ?? "default"
        guard type == "longrope" || type == "su" || type == "yarn" else {
            throw ConfigValidationError(key: "rope_scaling", detail: "type '\(type)' is not supported for phi3; supported: longrope")
        }
        if let key = fields.maxPositionsNullKey {   // the longrope factor below divides it
            throw ConfigValidationError(key: key, detail: "is null; \(nullFailsInTransformers) (rope_scaling of type '\(type)' computes with it)")
        }
        // Phi3Config's own validation (a ValueError): exactly rotated/2 numbers in each list.
        let half = Int(Double(fields.headDim) * partialRotaryFactor) / 2
        // transformers: factor = max / original; attention factor √(1 + ln factor / ln original) when > 1.
        let attention = try LongRopeScaling.defaultAttentionFactor(
            factor: Double(fields.maxPositionEmbeddings) / Double(originalMaxPositionEmbeddings),
            original: Double(originalMaxPositionEmbeddings), originalKey: "original_max_position_embeddings")
        let short = try LongRopeScaling.factors(raw, "short_factor", count: half, oneForAll: false)
        let long = try LongRopeScaling.factors(raw, "long_factor", count: half, oneForAll: false)
        // An odd dim has `half + 1` frequencies for the `half` factors: torch broadcasts a list of one
        // (dim 3) or none (dim 1: an empty table, nothing rotates) and fails on longer ones.
        let frequencies = (dim + 1) / 2
        if frequencies != half, half > 1 {
            throw ConfigValidationError(key: "rope_scaling.short_factor", detail:
                "lists \(half) factors (Phi3Config wants int(head_dim · partial_rotary_factor) // 2 = \(dim) // 2) for the \(frequencies) frequencies of the odd rotary width \(dim): transformers' ext_factors * base**inv_freq_shape fails on the size mismatch")
        }
        let spread = { (factors: [Float]) in half == 1 ? Array(repeating: factors[0], count: frequencies) : factors }
        ropeScaling = .longrope(short: spread(short), long: spread(long),
                                originalMaxPositions: originalMaxPositionEmbeddings, attentionFactor: Float(attention))
        rotaryWidth = try RotaryWidth(dim: half == 0 ? 0 : dim, headWidth: fields.headDim, scaling: ropeScaling,
                                      key: "partial_rotary_factor")
    }

    /// The block with rotary embeddings on the first `rotaryWidth.lanes` of each head; no position
    /// embedding when that is 0 (transformers' empty table: `q[..., :0]` rotates nothing).
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotaryWidth.lanes, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings, oddWidth: rotaryWidth.oddWidth)
        var arch = fields.architecture(modelType: "phi3", rope: rope)
        arch.position = rotaryWidth.position(rope)
        return arch
    }
}
