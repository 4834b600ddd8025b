import Foundation

/// `config.json` of OLMo (`model_type` `olmo`: allenai/OLMo-1B-hf, OLMo-7B-hf, OLMo-7B-0424-hf,
/// OLMo-1.7-7B-hf), with the defaults of transformers 4.53.3's `OlmoConfig`: the Llama layout
/// (`q/k/v/o_proj`, biases on all four with `attention_bias`; a gated MLP `down(act(gate(x)) ⊙ up(x))`
/// without biases; grouped-query attention; rotary embeddings on the whole head), pre-norm blocks
/// whose norms are `OlmoLayerNorm` — a LayerNorm without weight or bias, ε fixed at 1e-5 (no config
/// key) — and `clip_qkv`: q, k, v clamped to `[−c, c]` after their projections. `attention_dropout`
/// is dropout, inactive at inference.
public struct OLMoConfig: Decodable, Sendable, Equatable {
    /// The fields OLMo shares with the Llama block (sizes, heads, `head_dim`, `hidden_act`, θ,
    /// tying), with its defaults: `vocab_size` 50304, `hidden_size` 4096, `intermediate_size` 11008,
    /// 32 layers and heads, `max_position_embeddings` 2048, `rope_theta` 10000, untied. Its ε is
    /// `OlmoLayerNorm`'s 1e-5 (an `rms_norm_eps` key is not read).
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: none, `linear` or `dynamic` (`OlmoConfig._rope_scaling_validation`).
    public var ropeScaling: RopeScaling
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// `clip_qkv`: the clamp of q, k and v, or `nil` (default; OLMo-1.7-7B: 8).
    public var clipQKV: Float?

    enum CodingKeys: String, CodingKey {
        case ropeScaling = "rope_scaling"
        case attentionBias = "attention_bias"
        case clipQKV = "clip_qkv"
    }

    /// Decodes and checks `config.json` (`RotaryDecoderFields`' checks: sizes positive, heads of even
    /// width, `Hkv` dividing `H`, a supported activation, θ positive), `rope_scaling` as
    /// `OlmoConfig` checks it (exactly `type` — linear or dynamic — and a float `factor` above 1,
    /// `OLMo2Config.readRopeScaling`), and `clip_qkv` a number or null. Violations throw an error
    /// that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        fields = try RotaryDecoderFields(from: decoder, defaults: .init(
            vocab: 50304, hidden: 4096, intermediate: 11008, layers: 32, heads: 32, kvHeads: nil, positions: 2048,
            theta: 10000), readsSlidingWindow: false, readsNormEpsilon: false, headDim: .asWritten)
        let c = try decoder.container(keyedBy: CodingKeys.self)
        attentionBias = try c.value(.attentionBias, default: false)
        clipQKV = try c.clipQKV(.clipQKV)
        ropeScaling = try OLMo2Config.readRopeScaling(c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling),
                                                      document: decoder.userInfo[.configDocument] as? Data, fields: fields,
                                                      modelType: "olmo")
    }

    /// Pre-norm blocks on parameter-free LayerNorms (ε 1e-5), rotary embeddings on the whole head,
    /// the clamp where `clip_qkv` is set, no sliding window (OLMo has none).
    func architecture() -> Architecture {
        let rope = RotaryEmbedding(dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings)
        var arch = fields.architecture(modelType: "olmo", rope: rope)
        arch.norm = .layerNorm(eps: 1e-5)                       // OlmoLayerNorm: F.layer_norm(x, (d,), None, None, eps=1e-5)
        arch.slidingWindows = []
        arch.qkvClip = clipQKV
        arch.parameterFreeNorms = true
        return arch
    }
}
