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
    /// `partial_rotary_factor`: share of each head's dimensions that is rotated, at most 1 (default 1);
    /// one leaving `int(head_dim · share)` = 0 (0, or a negative share above −1 / head_dim) rotates
    /// nothing, as Phi3RotaryEmbedding's empty table (no position embedding); a negative width is refused.
    public var partialRotaryFactor: Double
    /// `rope_scaling`: none, or LongRoPE.
    public var ropeScaling: RopeScaling

    enum CodingKeys: String, CodingKey {
        case residPdrop = "resid_pdrop"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case ropeScaling = "rope_scaling"
        case partialRotaryFactor = "partial_rotary_factor"
    }

    /// Decodes `config.json` with Phi-3's defaults and checks it (`RotaryDecoderFields`' checks, an
    /// even number of rotated dimensions or none, and a `rope_scaling` that is LongRoPE with `rotated/2`
    /// positive factors in each list; any other type is an error naming it).
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
            emptyRotatedWidth: true)
        // `rope_scaling` as Phi-3 writes it: `{"type": "longrope", "short_factor": [...], "long_factor": [...]}`.
        guard let raw = try c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling) else {
            ropeScaling = .none
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
        ropeScaling = .longrope(short: try LongRopeScaling.factors(raw, "short_factor", count: half, oneForAll: false),
                                long: try LongRopeScaling.factors(raw, "long_factor", count: half, oneForAll: false),
                                originalMaxPositions: originalMaxPositionEmbeddings, attentionFactor: Float(attention))
    }

    /// Rotated dimensions of each head, `int(head_dim · partial_rotary_factor)` (Phi3Config's
    /// `rotary_ndims`; even or 0, checked by `RotaryDecoderFields`).
    var rotatedDimensions: Int { Int(Double(fields.headDim) * partialRotaryFactor) }

    /// The block with rotary embeddings on the first `rotatedDimensions` of each head; no position
    /// embedding when that is 0 (transformers' empty table: `q[..., :0]` rotates nothing).
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotatedDimensions, base: fields.ropeTheta,
                                   scaling: ropeScaling, maxPositions: fields.maxPositionEmbeddings)
        var arch = fields.architecture(modelType: "phi3", rope: rope)
        arch.position = RotaryWidth(evenDim: rotatedDimensions).position(rope)
        return arch
    }
}
