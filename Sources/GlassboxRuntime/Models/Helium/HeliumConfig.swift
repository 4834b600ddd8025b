import Foundation

/// `config.json` of Kyutai's Helium models (`model_type` `helium`: kyutai/helium-1-2b,
/// helium-1-preview-2b), with the defaults of transformers 4.53.3's `HeliumConfig`: Llama's block
/// (`HeliumRMSNorm` `γ·x̂`, computed in float32 — `weight.float() * x̂` before the cast back, where
/// Llama casts x̂ first; the same in Glassbox, which computes in float32 throughout), grouped-query
/// attention with biases on q/k/v when `attention_bias` and never on `o_proj` (`HeliumAttention`), a
/// gated MLP (`HeliumMLP`, biases when `mlp_bias`), and rotary embeddings on the whole head in the
/// interleaved pairing (`apply_rotary_pos_emb`: `cos[..., :half].repeat_interleave(2)`, `rotate_half`
/// on even/odd pairs; GPT-J's and GLM's) with any type of `ROPE_INIT_FUNCTIONS`
/// (`HeliumRotaryEmbedding`: `rope_type`, else `type`; `HeliumConfig` does not validate it).
/// `attention_dropout` is dropout, inactive at inference.
public struct HeliumConfig: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block. Defaults: `V` 48000, `d` 2560, `dff` 7040, 24 layers,
    /// 20 heads, `Hkv` 20, `head_dim` 128, 4096 positions, `rms_norm_eps` 1e-8, θ 100000, `silu`, untied.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: any type of `ROPE_INIT_FUNCTIONS` (`rope_type`, else `type`; default none).
    public var ropeScaling: RopeScaling
    /// `attention_bias`: biases on q, k and v (never on o; default false).
    public var attentionBias: Bool
    /// `mlp_bias`: biases on `gate_proj`, `up_proj` and `down_proj` (default false).
    public var mlpBias: Bool

    enum CodingKeys: String, CodingKey {
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
    }

    /// Decodes `config.json` with `HeliumConfig`'s defaults and checks it (`RotaryDecoderFields`'
    /// checks). `head_dim` is read as written (`HeadDimReading.asWritten`: `HeliumConfig` stores it,
    /// default 128, and `HeliumAttention`'s `getattr` finds it, `None` included, whose product fails);
    /// a null `num_key_value_heads` is refused (`HeliumConfig` has no fallback; the attention divides by
    /// it). `head_dim × num_attention_heads` must equal `hidden_size`: `HeliumAttention.o_proj` is
    /// `Linear(hidden_size, hidden_size)` whatever the heads' width, so any other width fails in its
    /// forward. `partial_rotary_factor` other than 1 is refused (the tables would shrink while
    /// `apply_rotary_pos_emb` rotates the whole head). `sliding_window` is not read (`HeliumModel`
    /// masks causally only).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.numKeyValueHeads])
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 48000, hidden: 2560, intermediate: 7040, layers: 24, heads: 20, kvHeads: 20, positions: 4096,
            theta: 100000, eps: 1e-8, headDim: 128), readsSlidingWindow: false, headDim: .asWritten)
        try requireOutputWidth(headDim: fields.headDim, heads: fields.numAttentionHeads, hidden: fields.hiddenSize,
                               defaulted: !c.contains(.headDim))
        attentionBias = try c.value(.attentionBias, default: false)
        mlpBias = try c.value(.mlpBias, default: false)
        ropeScaling = try fields.ropeScaling(from: decoder, typeKeys: .ropeTypeFirst, modelType: "helium")
    }

    /// Pre-RMSNorm sequential blocks, interleaved rotary embeddings on every dimension of each head, a
    /// gated MLP, causal attention scaled by `1/√dh`, an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings, layout: .interleaved)
        return fields.architecture(modelType: "helium", rope: rope)
    }
}

/// `HeliumAttention.o_proj` is `nn.Linear(hidden_size, hidden_size)`: the heads' concatenated width
/// `head_dim × num_attention_heads` must be `hidden_size`. `defaulted`: the key is absent, so the
/// width is `HeliumConfig`'s default 128 (said, since the config does not show it).
private func requireOutputWidth(headDim: Int, heads: Int, hidden: Int, defaulted: Bool) throws {
    guard headDim * heads == hidden else {
        let width = defaulted ? "\(headDim), HeliumConfig's default, used because the key is absent" : "\(headDim)"
        throw ConfigValidationError(key: "head_dim", detail:
            "(\(width)) × num_attention_heads (\(heads)) must equal hidden_size (\(hidden)): HeliumAttention's o_proj is Linear(hidden_size, hidden_size), so transformers fails on any other width")
    }
}
