import Foundation

/// `config.json` of Mixtral (`model_type` `mixtral`), with transformers 4.53's defaults: Mistral's
/// attention (RMSNorm, rotary embeddings, grouped-query attention, a sliding window in every layer
/// when `sliding_window` is set, no biases) with a sparse mixture of experts in place of the MLP — a
/// router `gate` (`d → E`), `num_local_experts` gated MLPs (`w2(act(w1·x) ⊙ w3·x)`), each position
/// sent to its `num_experts_per_tok` most probable experts.
public struct MixtralConfig: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block. Defaults: `V` 32000, `d` 4096, `dff` 14336 (per
    /// expert), 32 layers, 32 heads, `Hkv` 8, 131072 positions, ε 1e-5, θ 1e6.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: as the Llama family's (default none).
    public var ropeScaling: RopeScaling
    /// `num_local_experts`: `E`, experts per layer (default 8).
    public var numLocalExperts: Int
    /// `num_experts_per_tok`: `k`, experts each position uses, `1 ≤ k ≤ E` (default 2).
    public var numExpertsPerTok: Int

    enum CodingKeys: String, CodingKey {
        case ropeScaling = "rope_scaling"
        case numLocalExperts = "num_local_experts"
        case numExpertsPerTok = "num_experts_per_tok"
        case headDim = "head_dim"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with Mixtral's defaults and checks it (`RotaryDecoderFields`' checks, a
    /// supported `rope_scaling`, and `1 ≤ num_experts_per_tok ≤ num_local_experts`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        numLocalExperts = try c.value(refusingNull: .numLocalExperts, default: 8)
        numExpertsPerTok = try c.value(refusingNull: .numExpertsPerTok, default: 2)
        fields = try RotaryDecoderFields(
            from: decoder, defaults: .init(vocab: 32000, hidden: 4096, intermediate: 14336, layers: 32, heads: 32,
                                           kvHeads: 8, positions: 4096 * 32, theta: 1e6),
            sizes: [(numLocalExperts, "num_local_experts"), (numExpertsPerTok, "num_experts_per_tok")], headDim: .declaredOrDerived)
        guard numExpertsPerTok <= numLocalExperts else {
            throw ConfigValidationError(key: "num_experts_per_tok",
                                        detail: "(\(numExpertsPerTok)) must be at most num_local_experts (\(numLocalExperts))")
        }
        // transformers 4.53.3's MixtralConfig leaves head_dim None unless given, which its dynamic,
        // yarn and longrope tables read as written (`getattr(config, "head_dim", …)`: TypeError on
        // None); with head_dim given they run. `ropeScaling(from:)` refuses a null or absent head_dim
        // under dynamic and yarn (`refuseDerivedHeadDim`), longrope below.
        // Mixtral's config neither copies `type` over `rope_type` nor validates.
        ropeScaling = try fields.ropeScaling(from: decoder, typeKeys: .ropeTypeFirst, modelType: "mixtral")
        if case .longrope = ropeScaling, try c.headDim(.headDim, reading: .declaredOrDerived) == nil {
            throw LlamaConfig.longRopeNeedsHeadDim(modelType: "mixtral")
        }
    }

    func architecture() -> Architecture {
        var arch = fields.architecture(modelType: "mixtral", rope: RotaryEmbedding(
            dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling, maxPositions: fields.maxPositionEmbeddings))
        arch.experts = ExpertRouting(count: numLocalExperts, topK: numExpertsPerTok)
        return arch
    }
}
