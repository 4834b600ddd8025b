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
    /// `rope_scaling` (`default` or `linear`).
    public var ropeScaling: RopeScaling
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool

    enum CodingKeys: String, CodingKey {
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
    }

    /// Decodes and checks `config.json` (`RotaryDecoderFields`' checks: sizes positive, `H` dividing
    /// `d` into heads of even width, `Hkv` dividing `H`, a supported activation, ε and θ positive),
    /// plus `rope_scaling` `default` or `linear`. Violations throw an error that loading reports as
    /// `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 50304, hidden: 4096, intermediate: 11008, layers: 32, heads: 32, kvHeads: nil, positions: 2048,
            theta: 10000))
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attentionBias = try c.value(.attentionBias, default: false)
        ropeScaling = try simpleRopeScaling(c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling),
                                            family: "OLMo 2")
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
