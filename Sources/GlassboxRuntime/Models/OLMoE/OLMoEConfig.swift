import Foundation

/// `config.json` of OLMoE (`model_type` `olmoe`), with transformers 4.53.3's defaults
/// (`OlmoeConfig`): a pre-norm Llama block (`OlmoeDecoderLayer`: RMSNorm, rotary embeddings,
/// grouped-query attention, `attention_bias` on q, k, v and o) whose attention normalises the
/// whole q and k projections (`OlmoeAttention.q_norm` `[H·dh]`, `k_norm` `[Hkv·dh]`, before the
/// head split and the rotation, as OLMo 2's), and a sparse mixture in place of the MLP
/// (`OlmoeSparseMoeBlock`: router `gate` `d → E`, softmax over all experts, the top
/// `num_experts_per_tok`, divided by their sum iff `norm_topk_prob`; each expert a SwiGLU
/// `OlmoeMLP` of width `intermediate_size`; no shared expert), with `clip_qkv` clamping q and k
/// after the QK-norm and v as projected. `output_router_logits` and
/// `router_aux_loss_coef` only add the training loss (`load_balancing_loss_func`): not read.
public struct OLMoEConfig: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block (`intermediate_size` is each expert's width).
    /// Defaults: `V` 50304, `d` 2048, `dff` 2048, 16 layers, 16 heads, `Hkv` = `H`, 4096 positions,
    /// ε 1e-5, θ 10000, untied.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: as the Llama family's (default none); `type` overrides `rope_type`.
    public var ropeScaling: RopeScaling
    /// `num_experts`: `E`, experts per layer (default 64).
    public var numExperts: Int
    /// `num_experts_per_tok`: `k`, experts each position uses, `1 ≤ k ≤ E` (default 8).
    public var numExpertsPerTok: Int
    /// `norm_topk_prob`: the chosen probabilities divided by their sum (default false).
    public var normTopKProb: Bool
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// `clip_qkv`: q and k clamped to `[−c, c]` after `q_norm`/`k_norm`, v after `v_proj`
    /// (`OlmoeAttention.forward`); `nil` (default, or null): no clamp.
    public var clipQKV: Float?

    enum CodingKeys: String, CodingKey {
        case ropeScaling = "rope_scaling"
        case numExperts = "num_experts"
        case numExpertsPerTok = "num_experts_per_tok"
        case normTopKProb = "norm_topk_prob"
        case attentionBias = "attention_bias"
        case attentionDropout = "attention_dropout"
        case clipQkv = "clip_qkv"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with OLMoE's defaults and checks it (`RotaryDecoderFields`' checks,
    /// `H` dividing `d` with any `head_dim` key equal to `d / H`, `1 ≤ k ≤ E`, a supported
    /// `rope_scaling`, `clip_qkv` a finite number or null).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // OlmoeAttention's eager forward passes attention_dropout to F.dropout, which cannot compare None
        // (transformers' sdpa path runs it; Glassbox is checked against the eager path).
        if try c.nullPlace(of: .attentionDropout) != nil {
            throw ConfigValidationError(key: "attention_dropout", detail:
                "is null; transformers' eager attention fails on it (TypeError in F.dropout), the attention every reference here runs; write a number (0.0 at inference)")
        }
        clipQKV = try c.clipQKV(.clipQkv)
        numExperts = try c.value(refusingNull: .numExperts, default: 64)
        numExpertsPerTok = try c.value(refusingNull: .numExpertsPerTok, default: 8)
        normTopKProb = try c.value(.normTopKProb, default: false)
        attentionBias = try c.value(.attentionBias, default: false)
        fields = try RotaryDecoderFields(
            from: decoder, defaults: .init(vocab: 50304, hidden: 2048, intermediate: 2048, layers: 16, heads: 16,
                                           kvHeads: nil, positions: 4096, theta: 10000),
            sizes: [(numExperts, "num_experts"), (numExpertsPerTok, "num_experts_per_tok")], readsSlidingWindow: false,
            headDim: .orDerived)
        guard numExpertsPerTok <= numExperts else {
            throw ConfigValidationError(key: "num_experts_per_tok",
                                        detail: "(\(numExpertsPerTok)) must be at most num_experts (\(numExperts))")
        }
        // OlmoeAttention sizes its heads as hidden_size // num_attention_heads (ValueError unless it
        // divides); the rotary tables read a head_dim key first, so any other value is refused.
        try requireRotaryOnlyHeadDim(fields.headDim, hidden: fields.hiddenSize, heads: fields.numAttentionHeads,
                                     attention: "OlmoeAttention")
        ropeScaling = try fields.ropeScaling(from: decoder, typeKeys: .typeOverridesRopeType, modelType: "olmoe")
    }

    /// Pre-norm, QK-norm over the whole projections, `clip_qkv`'s clamp after it where set, no
    /// sliding window, every layer the mixture.
    func architecture() -> Architecture {
        var arch = fields.architecture(modelType: "olmoe", rope: RotaryEmbedding(
            dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling, maxPositions: fields.maxPositionEmbeddings))
        arch.qkNormScope = .wholeProjection
        arch.qkvClip = clipQKV
        arch.qkvClipPoint = .afterQKNorm
        var routing = ExpertRouting(count: numExperts, topK: numExpertsPerTok)
        routing.renormalizes = normTopKProb
        arch.experts = routing
        return arch
    }
}
