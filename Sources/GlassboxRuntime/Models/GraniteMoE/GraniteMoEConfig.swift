import Foundation

/// `config.json` of GraniteMoE (`model_type` `granitemoe`: granite-3.0-1b-a400m, 3b-a800m, PowerMoE-3b)
/// and GraniteMoeShared (`granitemoeshared`), with transformers 4.53.3's defaults
/// (`GraniteMoeConfig`, `GraniteMoeSharedConfig`): Granite's block (`GraniteMoeDecoderLayer`:
/// RMSNorm, rotary embeddings, grouped-query attention, `attention_bias` on q, k, v and o, the four
/// multipliers of ``GraniteMultipliers``) with a sparse mixture in place of the MLP
/// (`GraniteMoeMoE`: router `d → E` without bias, the top `num_experts_per_tok` router logits,
/// softmax over those `k` logits; each expert `output(act(gate·x) ⊙ up·x)` of width
/// `intermediate_size`) and, for `granitemoeshared` with `shared_intermediate_size` > 0, a shared
/// MLP of that width on every position added to the experts' sum, without a gate
/// (`GraniteMoeSharedMLP`). `output_router_logits` and `router_aux_loss_coef` only add the training
/// loss (`load_balancing_loss_func`): not read.
public struct GraniteMoEConfig: Decodable, Sendable, Equatable {
    /// The `model_type`: `granitemoe` or `granitemoeshared`.
    public var modelType: String
    /// The fields shared with the Llama block (`intermediate_size` is each expert's width).
    /// Defaults: `V` 32000, `d` 4096, `dff` 11008, 32 layers, 32 heads, `Hkv` = `H`, 2048
    /// positions, ε 1e-6, θ 10000, untied.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: as Granite's (default none; a `type` alone is refused, as GraniteConfig's).
    public var ropeScaling: RopeScaling
    /// `num_local_experts`: `E`, experts per layer (default 8).
    public var numLocalExperts: Int
    /// `num_experts_per_tok`: `k`, experts each position uses, `0 ≤ k ≤ E` (default 2). At 0
    /// `GraniteMoeTopKGating` takes `topk(0)`: no expert runs and the mixture adds zeros (the shared
    /// MLP of `granitemoeshared` still runs), as transformers does.
    public var numExpertsPerTok: Int
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// The embedding, attention, residual and logit multipliers (each 1 by default).
    public var multipliers: GraniteMultipliers
    /// `shared_intermediate_size` (`granitemoeshared` only, default 0): the shared MLP's width, 0
    /// for none.
    public var sharedIntermediateSize: Int
    /// Whether the layers rotate q and k: `position_embedding_type` is `"rope"`. GraniteMoeConfig sets
    /// it to "rope" but a written key overrides it (`PretrainedConfig` sets every extra key), and
    /// `GraniteMoeModel` builds no rotary embedding for anything else: every layer is then a NoPE
    /// layer (`Architecture.unrotatedLayers`), `null` included.
    public var rotary: Bool

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case numLocalExperts = "num_local_experts"
        case numExpertsPerTok = "num_experts_per_tok"
        case attentionBias = "attention_bias"
        case sharedIntermediateSize = "shared_intermediate_size"
        case positionEmbeddingType = "position_embedding_type"
    }

    /// Decodes `config.json` with GraniteMoE's defaults and checks it (`RotaryDecoderFields`'
    /// checks, `H` dividing `d` with any `head_dim` key equal to `d / H`, `0 ≤ k ≤ E`, a supported
    /// `rope_scaling`, the multipliers as ``GraniteMultipliers`` reads them, a shared width ≥ 0).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelType = try c.value(.modelType, default: "granitemoe")
        guard modelType == "granitemoe" || modelType == "granitemoeshared" else {
            throw ConfigValidationError(key: "model_type", detail: "'\(modelType)' is not granitemoe or granitemoeshared")
        }
        // GraniteMoeDecoderLayer builds no block_sparse_moe for 0 experts and its forward then
        // fails (AttributeError): a count below 1 is refused with the other sizes.
        numLocalExperts = try c.value(refusingNull: .numLocalExperts, default: 8)
        numExpertsPerTok = try c.value(refusingNull: .numExpertsPerTok, default: 2)
        attentionBias = try c.value(.attentionBias, default: false)
        fields = try RotaryDecoderFields(
            from: decoder, defaults: .init(vocab: 32000, hidden: 4096, intermediate: 11008, layers: 32, heads: 32,
                                           kvHeads: nil, positions: 2048, theta: 10000, eps: 1e-6),
            sizes: [(numLocalExperts, "num_local_experts")],
            readsSlidingWindow: false, headDim: .orDerived)   // the rotary tables: head_dim or d // H
        guard numExpertsPerTok <= numLocalExperts else {
            throw ConfigValidationError(key: "num_experts_per_tok",
                                        detail: "(\(numExpertsPerTok)) must be at most num_local_experts (\(numLocalExperts))")
        }
        guard numExpertsPerTok >= 0 else {
            throw ConfigValidationError(key: "num_experts_per_tok", detail:
                "(\(numExpertsPerTok)) must be ≥ 0: torch.topk fails on a negative k (0 runs no expert)")
        }
        // GraniteMoeAttention sizes its heads as hidden_size // num_attention_heads (ValueError unless
        // it divides); the rotary tables read a head_dim key first, so any other value is refused.
        try requireRotaryOnlyHeadDim(fields.headDim, hidden: fields.hiddenSize, heads: fields.numAttentionHeads,
                                     attention: "GraniteMoeAttention")
        multipliers = try GraniteMultipliers(from: decoder)
        // GraniteMoeConfig validates rope_scaling without copying `type` over `rope_type` (as GraniteConfig).
        ropeScaling = try fields.ropeScaling(from: decoder, typeKeys: .ropeTypeRequired, modelType: modelType)
        rotary = try !c.contains(.positionEmbeddingType) || c.decode(JSONValue.self, forKey: .positionEmbeddingType) == .string("rope")
        // GraniteMoeConfig has no shared MLP: the key is not read there.
        sharedIntermediateSize = modelType == "granitemoeshared"
            ? try c.value(refusingNull: .sharedIntermediateSize, default: 0) : 0
        guard sharedIntermediateSize >= 0 else {
            throw ConfigValidationError(key: "shared_intermediate_size", detail:
                "is \(sharedIntermediateSize): GraniteMoeSharedMLP cannot build a negative width (0 means no shared MLP)")
        }
    }

    /// Pre-norm, no sliding window, every layer the mixture; `attention_multiplier` the score scale.
    /// Routing: transformers takes the top `k` router LOGITS and a softmax over those `k`; Glassbox's
    /// engine takes the top `k` of `p = softmax(logits)` and divides them by their sum
    /// (`renormalizes`). Both choose the same experts (softmax is increasing, so the order of `p` is
    /// the order of the logits) with the same weights: `exp(l_j) / Σ_K exp(l_i)` =
    /// `(exp(l_j)/Z) / Σ_K (exp(l_i)/Z)` for any `Z`, here the full softmax's (GraniteMoETests checks
    /// the weights against transformers' `top_k_gates`).
    func architecture() -> Architecture {
        var arch = fields.architecture(modelType: modelType, rope: RotaryEmbedding(
            dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling, maxPositions: fields.maxPositionEmbeddings))
        arch.attentionScale = Float(multipliers.attention)
        if !rotary { arch.unrotatedLayers = Set(0..<fields.numHiddenLayers) }   // position_embedding_type other than "rope"
        var routing = ExpertRouting(count: numLocalExperts, topK: numExpertsPerTok)
        routing.renormalizes = true
        routing.sharedExpert = sharedIntermediateSize > 0
        routing.sharedExpertGated = false
        arch.experts = routing
        return arch
    }
}
