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
    /// `partial_rotary_factor`: share of each head's dimensions that is rotated, in (0, 1] (default 1).
    public var partialRotaryFactor: Double
    /// `rope_scaling`: none, or LongRoPE.
    public var ropeScaling: RopeScaling

    enum CodingKeys: String, CodingKey {
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
        case ropeScaling = "rope_scaling"
        case partialRotaryFactor = "partial_rotary_factor"
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

    /// Decodes `config.json` with Phi-3's defaults and checks it (`RotaryDecoderFields`' checks, an
    /// even number of rotated dimensions, and a `rope_scaling` that is LongRoPE with `rotated/2`
    /// positive factors in each list; any other type is an error naming it).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        partialRotaryFactor = try c.value(.partialRotaryFactor, default: 1)
        originalMaxPositionEmbeddings = try c.value(.originalMaxPositionEmbeddings, default: 4096)
        fields = try RotaryDecoderFields(
            from: decoder, defaults: .init(vocab: 32064, hidden: 3072, intermediate: 8192, layers: 32, heads: 32,
                                           kvHeads: nil, positions: 4096, theta: 10000),
            partialRotaryFactor: partialRotaryFactor,
            sizes: [(originalMaxPositionEmbeddings, "original_max_position_embeddings")])
        guard let scaling = try c.decodeIfPresent(LongRopeFields.self, forKey: .ropeScaling) else {
            ropeScaling = .none
            return
        }
        let type = scaling.type ?? scaling.ropeType ?? "default"
        guard type == "longrope" || type == "su" || type == "yarn" else {
            throw ConfigValidationError(key: "rope_scaling", detail: "type '\(type)' is not supported for phi3; supported: longrope")
        }
        let half = Int(Double(fields.headDim) * partialRotaryFactor) / 2
        func factors(_ list: [Double]?, _ key: String) throws -> [Float] {
            guard let list, list.count == half else {
                throw ConfigValidationError(key: "rope_scaling.\(key)", detail: "must list \(half) numbers (one per rotated frequency)")
            }
            for value in list { try requirePositive(value, "rope_scaling.\(key)") }
            return list.map { Float($0) }
        }
        // transformers: factor = max / original; attention factor √(1 + ln factor / ln original) when > 1.
        let factor = Double(fields.maxPositionEmbeddings) / Double(originalMaxPositionEmbeddings)
        guard factor <= 1 || originalMaxPositionEmbeddings > 1 else {   // transformers: ZeroDivisionError
            throw ConfigValidationError(key: "original_max_position_embeddings", detail:
                "is 1, below max_position_embeddings (\(fields.maxPositionEmbeddings)): the LongRoPE attention factor "
                + "divides by ln(original_max_position_embeddings) = 0; it must be at least 2")
        }
        let attention = factor <= 1 ? 1 : (1 + log(factor) / log(Double(originalMaxPositionEmbeddings))).squareRoot()
        ropeScaling = .longrope(short: try factors(scaling.shortFactor, "short_factor"),
                                long: try factors(scaling.longFactor, "long_factor"),
                                originalMaxPositions: originalMaxPositionEmbeddings, attentionFactor: Float(attention))
    }

    func architecture() -> Architecture {
        fields.architecture(modelType: "phi3", rope: RotaryEmbedding(
            dimensions: Int(Double(fields.headDim) * partialRotaryFactor), base: fields.ropeTheta,
            scaling: ropeScaling, maxPositions: fields.maxPositionEmbeddings))
    }
}
