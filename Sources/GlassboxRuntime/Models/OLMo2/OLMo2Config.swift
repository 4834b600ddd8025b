import Foundation

/// `config.json` of OLMo 2 (`model_type` `olmo2`), with transformers 4.53's defaults: a Llama-like
/// decoder (RMSNorm, rotary embeddings, SwiGLU MLP, grouped-query attention) whose norms sit on the
/// branch outputs — `x + norm(attn(x))`, then `h + norm(mlp(h))` — with a QK-norm over the whole
/// query and key projections (`γ [H·dh]`, `[Hkv·dh]`), before the head split.
public struct OLMo2Config: Decodable, Sendable, Equatable {
    /// The fields OLMo 2 shares with the Llama block (sizes, heads, `hidden_act`, ε, θ, tying), with
    /// its defaults: `vocab_size` 50304, `hidden_size` 4096, `intermediate_size` 11008, 32 layers and
    /// heads, `max_position_embeddings` 2048, `rms_norm_eps` 1e-5, `rope_theta` 10000, untied.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: none, `linear` or `dynamic` (transformers' `Olmo2Config` allows only these).
    public var ropeScaling: RopeScaling
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool

    enum CodingKeys: String, CodingKey {
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
    }

    /// Decodes and checks `config.json` (`RotaryDecoderFields`' checks: sizes positive, `H` dividing
    /// `d` into heads of even width, `Hkv` dividing `H`, a supported activation, ε and θ positive),
    /// plus `rope_scaling` as transformers 4.53.3's `Olmo2Config` checks it (`readRopeScaling`).
    /// Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 50304, hidden: 4096, intermediate: 11008, layers: 32, heads: 32, kvHeads: nil, positions: 2048,
            theta: 10000), headDim: .asWritten)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attentionBias = try c.value(.attentionBias, default: false)
        ropeScaling = try Self.readRopeScaling(c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling),
                                               document: decoder.userInfo[.configDocument] as? Data, fields: fields)
    }

    /// `rope_scaling` as `Olmo2Config._rope_scaling_validation` (transformers 4.53.3) allows it:
    /// absent or null, or exactly the two fields `type` — `linear` or `dynamic` (`rope_type` is
    /// not read) — and `factor`, a float above 1. Python's float: a literal with a decimal point or
    /// an exponent in `document` (the config as written; without it a whole number passes, as
    /// `JSONDecoder` cannot tell `2` from `2.0`). Then read by `RopeScaling.read` as the rotary
    /// module reads it.
    /// `modelType` names the family in the messages (OLMo's `OlmoConfig` checks the same way).
    static func readRopeScaling(_ raw: [String: JSONValue]?, document: Data?,
                                fields: RotaryDecoderFields, modelType: String = "olmo2") throws -> RopeScaling {
        guard let raw else { return .none }
        let configClass = modelType == "olmo2" ? "Olmo2Config" : "OlmoConfig"
        let rule = "(transformers' \(configClass) allows exactly 'type' and 'factor')"
        guard raw.count == 2 else {
            throw ConfigValidationError(key: "rope_scaling", detail:
                "must have two fields for \(modelType) \(rule), got \(raw.isEmpty ? "none" : raw.keys.sorted().joined(separator: ", "))")
        }
        guard let type = raw["type"]?.string, ["linear", "dynamic"].contains(type) else {
            throw ConfigValidationError(key: "rope_scaling.type", detail:
                "must be \"linear\" or \"dynamic\" for \(modelType) \(rule), got \(raw["type"]?.written ?? "nothing")")
        }
        let literal = document.flatMap { ConfigNumberLiterals($0).literals.last { $0.path == "rope_scaling.factor" }?.text }
        let isFloat = literal.map { $0.contains { ".eE".contains($0) } } ?? true
        guard let factor = raw["factor"]?.number, isFloat, factor > 1 else {
            let written = literal ?? raw["factor"]?.written ?? "nothing"
            throw ConfigValidationError(key: "rope_scaling.factor", detail:
                "must be a float above 1 for \(modelType) (written with a decimal point), got \(written)")
        }
        return try RopeScaling.read(raw, typeKeys: .ropeTypeFirst, modelType: modelType,
                                    maxPositions: fields.maxPositionEmbeddings, maxPositionsNullKey: fields.maxPositionsNullKey,
                                    rotatedDimensions: fields.headDim,
                                    originalMaxPositions: nil, base: (fields.ropeTheta, "rope_theta"),
                                    types: ["linear", "dynamic"])
    }

    /// Norms on the branch outputs, QK-norm over the whole projections, no sliding window (OLMo 2
    /// has none, whatever a `sliding_window` key says).
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings)
        var arch = fields.architecture(modelType: "olmo2", rope: rope)
        arch.placement = .branchOutput
        arch.slidingWindows = []
        arch.qkNormScope = .wholeProjection
        return arch
    }
}
