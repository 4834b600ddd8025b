import Foundation

/// `config.json` of StarCoder2 (`model_type` `starcoder2`: bigcode/starcoder2-3b, -7b, -15b), with
/// the defaults of transformers 4.53.3's `Starcoder2Config`: the Llama layout of names and rotary
/// embeddings (rotate-half over the whole head, `Starcoder2RotaryEmbedding` with any type of
/// `ROPE_INIT_FUNCTIONS`), grouped-query attention with `q/k/v/o_proj` biases when `use_bias`, an
/// optional sliding window in every layer (`sliding_window`), a plain MLP
/// `c_proj(act(c_fc(x)))` (biases when `use_bias`), and `nn.LayerNorm`s with bias
/// (`input_layernorm`, `post_attention_layernorm`, `norm`; ε `norm_epsilon`) in a sequential
/// pre-norm block (`Starcoder2DecoderLayer`). `attention_dropout`, `residual_dropout` and
/// `embedding_dropout` are dropout, inactive at inference.
public struct Starcoder2Config: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block. Defaults: `V` 49152, `d` 3072, `dff` 12288,
    /// 30 layers, 24 heads, `Hkv` 2, 4096 positions, `norm_epsilon` 1e-5, θ 10000,
    /// `gelu_pytorch_tanh`, tied (`PretrainedConfig`'s `tie_word_embeddings`), no window.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: any type of `ROPE_INIT_FUNCTIONS` (`type` copied over `rope_type`; default none).
    public var ropeScaling: RopeScaling
    /// `use_bias`: biases on q/k/v/o and on `c_fc`, `c_proj` (default true).
    public var useBias: Bool

    enum CodingKeys: String, CodingKey {
        case ropeScaling = "rope_scaling"
        case useBias = "use_bias"
        case numKeyValueHeads = "num_key_value_heads"
        case residualDropout = "residual_dropout"
        case embeddingDropout = "embedding_dropout"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with `Starcoder2Config`'s defaults and checks it
    /// (`RotaryDecoderFields`' checks with ε under `norm_epsilon`; `partial_rotary_factor` absent or
    /// 1: `apply_rotary_pos_emb` rotates the whole head), refusing a `null` `num_key_value_heads`
    /// (`Starcoder2Attention` divides by it) and a `null` `residual_dropout` or `embedding_dropout`
    /// (`nn.functional.dropout` compares them with 0 even in eval), and reading `rope_scaling` as
    /// transformers does (`type` copied over `rope_type`, then `rope_config_validation`).
    /// Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.numKeyValueHeads, .residualDropout, .embeddingDropout])
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 49152, hidden: 3072, intermediate: 12288, layers: 30, heads: 24, kvHeads: 2, positions: 4096,
            theta: 10000, epsKey: "norm_epsilon", act: "gelu_pytorch_tanh", tied: true),
            headDim: .orDerived)
        useBias = try c.value(.useBias, default: true)
        ropeScaling = try fields.ropeScaling(from: decoder, typeKeys: .typeOverridesRopeType, modelType: "starcoder2")
    }

    /// Pre-LayerNorm sequential blocks, rotary embeddings over the whole head, a plain MLP, causal
    /// attention (windowed in every layer with `sliding_window`) scaled by `1/√dh`, an LM head.
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings)
        var arch = fields.architecture(modelType: "starcoder2", rope: rope)
        arch.norm = .layerNorm(eps: fields.rmsNormEps)
        arch.mlp = .standard
        return arch
    }
}
