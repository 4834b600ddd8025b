import Foundation

/// `config.json` of GLM-4 "hf" checkpoints and GLM-Edge (`model_type` `glm`: THUDM/glm-4-9b-chat-hf,
/// glm-edge-*) and of GLM-4-0414 / GLM-Z1 (`model_type` `glm4`), with the defaults of transformers
/// 4.53.3's `GlmConfig` and `Glm4Config` (the same fields and defaults): the Llama layout of names
/// with RMSNorms (`GlmRMSNorm`, `γ·x̂`), grouped-query attention with q/k/v biases when
/// `attention_bias` and never an `o_proj` bias (`GlmAttention`), a fused gated MLP
/// (`gate_up_proj [2·dff, d]`, gate first: `gate, up = chunk(2)`, `down(up ⊙ act(gate))`,
/// `GlmMLP`), and rotary embeddings on the first `int(head_dim · partial_rotary_factor)`
/// dimensions of each head in the interleaved pairing (`apply_rotary_pos_emb`:
/// `cos[..., :half].repeat_interleave(2)`, `rotate_half` on even/odd pairs; GPT-J's and Cohere's
/// pairing) with any type of `ROPE_INIT_FUNCTIONS` (`GlmRotaryEmbedding`; `GlmConfig` does not
/// validate `rope_scaling`: `rope_type`, else `type`). `glm4` adds a sandwich norm on each branch
/// output (`Glm4DecoderLayer`: `post_self_attn_layernorm` after attention, `post_mlp_layernorm`
/// after the MLP, each before its residual add; Gemma 2's placement). `attention_dropout` is
/// dropout, inactive at inference (even `null`).
public struct GlmConfig: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block. Defaults: `V` 151552, `d` 4096, `dff` 13696,
    /// 40 layers, 32 heads, `Hkv` 2, `head_dim` 128 (whatever `d / H` is), 131072 positions,
    /// `rms_norm_eps` 1.5625e-7, θ 10000, `silu`, untied.
    public var fields: RotaryDecoderFields
    /// `partial_rotary_factor`: the rotated share of each head (default 0.5).
    public var partialRotaryFactor: Double
    /// `rope_scaling`: any type of `ROPE_INIT_FUNCTIONS` (`rope_type`, else `type`; default none).
    public var ropeScaling: RopeScaling
    /// The rotated lanes of each head: `int(head_dim · partial_rotary_factor)`, plus one when that is
    /// odd (``RotaryWidth``: transformers' table is `2 · ceil(dim / 2)` wide).
    var rotaryWidth: RotaryWidth
    /// The rotated lanes of each head (`rotaryWidth.lanes`).
    var rotatedDimensions: Int { rotaryWidth.lanes }
    /// `attention_bias`: biases on q/k/v (never on o; default true).
    public var attentionBias: Bool
    /// `model_type` `glm4`: the sandwich norms of `Glm4DecoderLayer`.
    public var sandwich: Bool

    enum CodingKeys: String, RopeScalingKeys {
        case modelType = "model_type"
        case partialRotaryFactor = "partial_rotary_factor"
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case maxPositionEmbeddings = "max_position_embeddings"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with `GlmConfig`'s defaults and checks it (`RotaryDecoderFields`'
    /// checks, `head_dim` defaulting to 128), refusing a `null` `num_key_value_heads` (`GlmAttention`
    /// divides by it; `GlmConfig` has no fallback), `head_dim` (`getattr` returns the `None`, whose
    /// power fails) and `partial_rotary_factor` (the rotary setup multiplies the head width by it), a
    /// share giving a negative `int(head_dim · share)` or (odd) a table wider than the head, and reading `rope_scaling` as
    /// `GlmRotaryEmbedding` does (`rope_type`, else `type`, no validation). Violations throw an error
    /// that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.numKeyValueHeads, .headDim])
        sandwich = try c.decodeIfPresent(String.self, forKey: .modelType) == "glm4"
        partialRotaryFactor = try c.value(.partialRotaryFactor, default: 0.5, refusingNull: nullRotaryShare(default: 0.5))
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 151552, hidden: 4096, intermediate: 13696, layers: 40, heads: 32, kvHeads: 2, positions: 131072,
            theta: 10000, eps: 1.5625e-7, headDim: 128), partialRotaryFactor: partialRotaryFactor, readsSlidingWindow: false,
            oddRotatedWidth: true, emptyRotatedWidth: true)
        attentionBias = try c.value(.attentionBias, default: true)
        // `_compute_default_rope_parameters`' dim: the scalings see it itself (llama3's boundary check:
        // the ceil(dim / 2) frequencies of an odd table).
        let dim = Int(Double(fields.headDim) * partialRotaryFactor)
        ropeScaling = try c.ropeScaling(typeKeys: .ropeTypeFirst, modelType: sandwich ? "glm4" : "glm",
                                        maxPositions: fields.maxPositionEmbeddings,
                                        rotatedDimensions: dim,
                                        base: fields.ropeTheta)
        rotaryWidth = try RotaryWidth(dim: dim, headWidth: fields.headDim, scaling: ropeScaling, key: "partial_rotary_factor")
    }

    /// Pre-RMSNorm sequential blocks (`glm4`: sandwich, with the branch-output norms), interleaved
    /// rotary embeddings on the first `rotaryWidth.lanes` of each head (no position embedding at all
    /// when that is 0: `int(head_dim · partial_rotary_factor)` = 0 is an empty table), a gated MLP, causal attention
    /// scaled by `1/√dh`, an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotaryWidth.lanes, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings, layout: .interleaved, oddWidth: rotaryWidth.oddWidth)
        var arch = fields.architecture(modelType: sandwich ? "glm4" : "glm", rope: rope)
        arch.position = rotaryWidth.position(rope)   // none for an empty table
        if sandwich { arch.placement = .sandwich }
        return arch
    }
}
