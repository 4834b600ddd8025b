import Foundation

/// `config.json` of Nemotron (`model_type` `nemotron`: nvidia/Minitron-4B-Base, Minitron-8B-Base,
/// Nemotron-Mini-4B-Instruct, Mistral-NeMo-Minitron-8B), with the defaults of transformers 4.53.3's
/// `NemotronConfig`: the Llama layout of names (`q/k/v/o_proj`, `input_layernorm`,
/// `post_attention_layernorm`, `norm`) with
///  - `NemotronLayerNorm1P`: a LayerNorm with bias whose scale is `weight + 1`
///    (`F.layer_norm(x, shape, self.weight + 1, self.bias, eps)`, ε `norm_eps`; the loader stores
///    `γ = 1 + w`, see `NemotronLoader`);
///  - an MLP without a gate, `down_proj(act(up_proj(x)))` (`NemotronMLP`; biases iff `mlp_bias`),
///    `hidden_act` default `relu2` (`max(x, 0)²`);
///  - grouped-query attention with biases on q, k, v and o iff `attention_bias`, width
///    `head_dim` (`NemotronConfig`: `head_dim if head_dim is not None else d // H`), scores `/√head_dim`;
///  - rotate-half rotary embeddings on the first `2 · ceil(dim / 2)` dimensions, `dim =
///    int(head_dim · partial_rotary_factor)` (`apply_rotary_pos_emb` cuts q, k at cos's width: an odd
///    `dim` rotates `dim + 1` lanes with the frequencies of a `dim`-wide table, a `dim` of 0 nothing;
///    ``RotaryWidth``). `NemotronRotaryEmbedding` fixes
///    `rope_type = "default"`: `rope_scaling` is neither validated (`rope_config_validation` runs
///    before `PretrainedConfig` sets it) nor read, so Glassbox ignores it too.
/// `attention_dropout` is dropout, inactive at inference.
public struct NemotronConfig: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block. Defaults: `V` 256000, `d` 6144, `dff` 24576,
    /// 32 layers, 48 heads, `head_dim` `d // H`, 4096 positions, `norm_eps` 1e-5, θ 10000,
    /// `relu2`, untied. `num_key_value_heads` has no default (see `init(from:)`).
    public var fields: RotaryDecoderFields
    /// `partial_rotary_factor`: the rotated share of each head (default 0.5).
    public var partialRotaryFactor: Double
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// `mlp_bias`: biases on `up_proj` and `down_proj` (default false).
    public var mlpBias: Bool
    /// The rotated lanes of each head: `int(head_dim · partial_rotary_factor)`, plus one when odd,
    /// none when 0 (``RotaryWidth``).
    var rotaryWidth: RotaryWidth
    /// The rotated lanes of each head (`rotaryWidth.lanes`).
    var rotatedDimensions: Int { rotaryWidth.lanes }

    enum CodingKeys: String, CodingKey {
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case partialRotaryFactor = "partial_rotary_factor"
        case attentionBias = "attention_bias"
        case mlpBias = "mlp_bias"
        case attentionDropout = "attention_dropout"
    }

    /// Decodes `config.json` with `NemotronConfig`'s defaults and checks it (`RotaryDecoderFields`'
    /// checks, ε under `norm_eps`, `head_dim` `null` read as `d // H` as the config does). Refused,
    /// naming the key: an absent or `null` `num_key_value_heads` (`NemotronConfig` keeps its `None`
    /// and `NemotronAttention` computes `num_heads // None`: a TypeError), a `null`
    /// `partial_rotary_factor` (the rotary setup multiplies the head width by it), a share above 1
    /// (the table is wider than the head: transformers' forward fails) or giving a negative
    /// `int(head_dim · share)` (`torch.arange(0, dim, 2)` fails; a negative share truncating to 0 rotates nothing), a `null` `attention_dropout` (`nn.functional.dropout` fails on it
    /// in the eager attention). Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.numKeyValueHeads, .attentionDropout])
        guard c.contains(.numKeyValueHeads) else {
            throw ConfigValidationError(key: "num_key_value_heads", detail:
                "is absent: NemotronConfig keeps its default None and NemotronAttention divides num_attention_heads by it (TypeError)")
        }
        partialRotaryFactor = try c.value(.partialRotaryFactor, default: 0.5, refusingNull: nullRotaryShare(default: 0.5))
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 256000, hidden: 6144, intermediate: 24576, layers: 32, heads: 48, kvHeads: nil, positions: 4096,
            theta: 10000, eps: 1e-5, epsKey: "norm_eps", act: "relu2"),
            partialRotaryFactor: partialRotaryFactor, readsSlidingWindow: false, headDim: .configDefault,
            oddRotatedWidth: true, emptyRotatedWidth: true)
        rotaryWidth = try RotaryWidth(dim: Int(Double(fields.headDim) * partialRotaryFactor), headWidth: fields.headDim,
                                      scaling: .none, key: "partial_rotary_factor")
        attentionBias = try c.value(.attentionBias, default: false)
        mlpBias = try c.value(.mlpBias, default: false)
    }

    /// Pre-LayerNorm sequential blocks (`NemotronDecoderLayer`), rotate-half rotary embeddings on the
    /// first `rotaryWidth.lanes` of each head without scaling (no position embedding at all when
    /// that is 0), an ungated MLP, causal attention scaled by `1/√head_dim`, an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotaryWidth.lanes, base: fields.ropeTheta, scaling: .none,
                                   maxPositions: fields.maxPositionEmbeddings, oddWidth: rotaryWidth.oddWidth)
        var arch = fields.architecture(modelType: "nemotron", rope: rope)
        arch.position = rotaryWidth.position(rope)   // none for an empty table
        arch.norm = .layerNorm(eps: fields.rmsNormEps)
        arch.mlp = .standard
        return arch
    }
}
