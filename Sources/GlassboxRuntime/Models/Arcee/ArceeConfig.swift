import Foundation

/// `config.json` of Arcee's AFM models (`model_type` `arcee`: arcee-ai/AFM-4.5B), with the defaults of
/// transformers 4.53.3's `ArceeConfig`: Llama's block (`ArceeRMSNorm` `γ·x̂` in float32, grouped-query
/// attention with biases on q/k/v/o when `attention_bias`, rotary embeddings on the whole head with
/// any `ROPE_INIT_FUNCTIONS` type — AFM uses YaRN) with an MLP that has no gate
/// (`ArceeMLP`: `down_proj(act(up_proj(x)))`, `hidden_act` default `relu2` = `relu(x)²`, biases on
/// both projections when `mlp_bias`). `attention_dropout` is dropout, inactive at inference.
public struct ArceeConfig: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block. Defaults: `V` 32000, `d` 2560, `dff` 18432, 32 layers,
    /// 32 heads, `Hkv` = `H`, `head_dim` `d / H` (also when written null), 4096 positions,
    /// `rms_norm_eps` 1e-5, θ 10000, `relu2`, untied.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: any type of `ROPE_INIT_FUNCTIONS`, validated (`type` copied over `rope_type`).
    public var ropeScaling: RopeScaling
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// `mlp_bias`: biases on `up_proj` and `down_proj` (default false).
    public var mlpBias: Bool

    enum CodingKeys: String, RopeScalingKeys {
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case maxPositionEmbeddings = "max_position_embeddings"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with `ArceeConfig`'s defaults and checks it (`RotaryDecoderFields`'
    /// checks). `head_dim` is read as `ArceeConfig` stores it (`head_dim if not None else d // H`,
    /// which `ArceeAttention`'s `getattr` then finds); a null `num_key_value_heads` is `H`, as the
    /// config's own fallback. `partial_rotary_factor` other than 1 is refused (the rotary tables
    /// would shrink while `apply_rotary_pos_emb` rotates the whole head: a size error in transformers).
    /// `sliding_window` is not read (`ArceeModel` masks causally only). `rope_scaling` is read as
    /// `ArceeConfig` does: `type` copied over `rope_type`, then `rope_config_validation`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 32000, hidden: 2560, intermediate: 18432, layers: 32, heads: 32, kvHeads: nil, positions: 4096,
            theta: 10000, eps: 1e-5, act: "relu2"), readsSlidingWindow: false, headDim: .configDefault)
        attentionBias = try c.value(.attentionBias, default: false)
        mlpBias = try c.value(.mlpBias, default: false)
        ropeScaling = try c.ropeScaling(typeKeys: .typeOverridesRopeType, modelType: "arcee",
                                        maxPositions: fields.maxPositionEmbeddings,
                                        rotatedDimensions: fields.headDim, base: fields.ropeTheta)
    }

    /// Pre-RMSNorm sequential blocks, rotary embeddings on every dimension of each head (Llama's
    /// half-split pairing), an MLP without a gate (`MLPKind.standard`), causal attention scaled by
    /// `1/√dh`, an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings)
        var arch = fields.architecture(modelType: "arcee", rope: rope)
        arch.mlp = .standard
        return arch
    }
}
