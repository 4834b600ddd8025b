import Foundation

/// `config.json` of Qwen2-MoE and Qwen3-MoE (`model_type` `qwen2_moe`, `qwen3_moe`), with
/// transformers 4.53.3's defaults (`Qwen2MoeConfig`, `Qwen3MoeConfig`): Qwen2's attention (q/k/v
/// biases, `qkv_bias`) or Qwen3's (QK-norm, `attention_bias` on all four projections), and per layer
/// either a sparse mixture (`Qwen2MoeSparseMoeBlock` / `Qwen3MoeSparseMoeBlock`: router `gate`,
/// softmax over all experts, top `num_experts_per_tok`, divided by their sum iff `norm_topk_prob`;
/// Qwen2-MoE adds a shared expert times `σ(shared_expert_gate·x)`) or a dense MLP
/// (`intermediate_size`) in `mlp_only_layers`, where `(l + 1) % decoder_sparse_step ≠ 0`, or
/// everywhere when `num_experts` is 0.
public struct QwenMoEConfig: Decodable, Sendable, Equatable {
    /// The two `model_type`s; they pick the defaults and the attention.
    public enum Family: String, Sendable, Equatable, CaseIterable { case qwen2Moe = "qwen2_moe", qwen3Moe = "qwen3_moe" }

    /// Which of the two the config is.
    public var family: Family
    /// The fields shared with the Llama block (`intermediate_size` is the dense layers' width).
    /// Defaults: `V` 151936, `d` 2048, 24 layers, 32768 positions, ε 1e-6, θ 10000; Qwen2-MoE
    /// `dff` 5632, 16 heads, `Hkv` 16; Qwen3-MoE `dff` 6144, 32 heads, `Hkv` 4.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: as Qwen2's (default none).
    public var ropeScaling: RopeScaling
    /// `num_experts`: `E` (default 60; Qwen3-MoE 128); 0 makes every layer dense.
    public var numExperts: Int
    /// `num_experts_per_tok`: `k`, `1 ≤ k ≤ E` (default 4; Qwen3-MoE 8).
    public var numExpertsPerTok: Int
    /// `moe_intermediate_size`: each expert's width (default 1408; Qwen3-MoE 768).
    public var moeIntermediateSize: Int
    /// `shared_expert_intermediate_size`: Qwen2-MoE's shared expert width (default 5632); `nil` for Qwen3-MoE.
    public var sharedExpertIntermediateSize: Int?
    /// `norm_topk_prob`: the chosen probabilities divided by their sum (default false in both).
    public var normTopKProb: Bool
    /// Per layer: whether it holds the mixture (else a dense MLP).
    public var sparseLayers: [Bool]
    /// Biases on q, k, v (Qwen2-MoE `qkv_bias`, default true; Qwen3-MoE `attention_bias`).
    public var qkvBias: Bool
    /// Bias on the output projection (Qwen3-MoE `attention_bias`; never in Qwen2-MoE).
    public var outputBias: Bool

    enum CodingKeys: String, CodingKey {
        case modelType = "model_type"
        case numExperts = "num_experts"
        case numExpertsPerTok = "num_experts_per_tok"
        case moeIntermediateSize = "moe_intermediate_size"
        case sharedExpertIntermediateSize = "shared_expert_intermediate_size"
        case normTopKProb = "norm_topk_prob"
        case decoderSparseStep = "decoder_sparse_step"
        case mlpOnlyLayers = "mlp_only_layers"
        case qkvBias = "qkv_bias"
        case attentionBias = "attention_bias"
        case useSlidingWindow = "use_sliding_window"
        case slidingWindow = "sliding_window"
        case headDim = "head_dim"
        case hiddenSize = "hidden_size"
        case numAttentionHeads = "num_attention_heads"
        case attentionDropout = "attention_dropout"
        case numKeyValueHeads = "num_key_value_heads"
    }

    /// Decodes `config.json` with the family's defaults and checks it (`RotaryDecoderFields`' checks,
    /// positive expert sizes, `1 ≤ k ≤ E`, a positive `decoder_sparse_step` when there are experts,
    /// Qwen2-MoE's `head_dim · H = d`, a supported `rope_scaling`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let type = try c.value(.modelType, default: "qwen2_moe")
        guard let family = Family(rawValue: type) else {
            throw ConfigValidationError(key: "model_type", detail: "'\(type)' is not qwen2_moe or qwen3_moe")
        }
        self.family = family
        let qwen2 = family == .qwen2Moe
        // head_dim null: getattr finds None and nn.Linear cannot multiply it (TypeError).
        // num_key_value_heads null: the attention divides by it (TypeError).
        try c.refuseNulls([.headDim, .numKeyValueHeads])
        if qwen2 { try c.refuseNulls([.attentionDropout]) }   // Qwen2MoeAttention's eager dropout reads it
        numExperts = try c.value(refusingNull: .numExperts, default: qwen2 ? 60 : 128)
        numExpertsPerTok = try c.value(refusingNull: .numExpertsPerTok, default: qwen2 ? 4 : 8)
        moeIntermediateSize = try c.value(refusingNull: .moeIntermediateSize, default: qwen2 ? 1408 : 768)
        sharedExpertIntermediateSize = qwen2 ? try c.value(refusingNull: .sharedExpertIntermediateSize, default: 5632) : nil
        normTopKProb = try c.value(.normTopKProb, default: false)
        var sizes: [(Int, String)] = []
        if numExperts > 0 {
            sizes = [(numExpertsPerTok, "num_experts_per_tok"), (moeIntermediateSize, "moe_intermediate_size")]
                + (sharedExpertIntermediateSize.map { [($0, "shared_expert_intermediate_size")] } ?? [])
        }
        fields = try RotaryDecoderFields(
            from: decoder,
            defaults: .init(vocab: 151936, hidden: 2048, intermediate: qwen2 ? 5632 : 6144, layers: 24, heads: qwen2 ? 16 : 32,
                            kvHeads: qwen2 ? 16 : 4, positions: 32768, theta: 10000, eps: 1e-6),
            sizes: sizes, readsSlidingWindow: false)
        guard numExperts >= 0 else {
            throw ConfigValidationError(key: "num_experts", detail: "must be 0 (no experts) or positive, got \(numExperts)")
        }
        guard numExperts == 0 || numExpertsPerTok <= numExperts else {
            throw ConfigValidationError(key: "num_experts_per_tok",
                                        detail: "(\(numExpertsPerTok)) must be at most num_experts (\(numExperts))")
        }
        // `(layer_idx + 1) % decoder_sparse_step`, read only when there are experts.
        let step = numExperts > 0 ? try c.value(refusingNull: .decoderSparseStep, default: 1) : 1
        if numExperts > 0 { try requirePositive(step, "decoder_sparse_step") }
        let mlpOnly = try c.value(.mlpOnlyLayers, default: [Int]())
        let experts = numExperts
        sparseLayers = (0..<fields.numHiddenLayers).map { l in !mlpOnly.contains(l) && experts > 0 && (l + 1) % step == 0 }
        if qwen2 {
            qkvBias = try c.value(.qkvBias, default: true)
            outputBias = false
            // Qwen2MoeAttention refuses head_dim · H ≠ d (ValueError) and reshapes its output to d.
            guard fields.headDim * fields.numAttentionHeads == fields.hiddenSize else {
                throw ConfigValidationError(key: "head_dim", detail:
                    "(\(fields.headDim)) times num_attention_heads (\(fields.numAttentionHeads)) must be hidden_size (\(fields.hiddenSize)) in qwen2_moe, as transformers' Qwen2MoeAttention requires")
            }
        } else {
            let bias = try c.value(.attentionBias, default: false)
            (qkvBias, outputBias) = (bias, bias)
        }
        // Eager and SDPA attention (Qwen2MoeModel's mask, Qwen3MoeModel's sliding mask) slide in every
        // layer when use_sliding_window is set and sliding_window is not null; max_window_layers is
        // read only by flash attention.
        let windowIsNull = c.contains(.slidingWindow) ? try c.decodeNil(forKey: .slidingWindow) : false
        if try c.value(.useSlidingWindow, default: false), !windowIsNull {
            let window = try c.value(.slidingWindow, default: 4096)
            try requirePositive(window, "sliding_window")
            fields.slidingWindow = window
        }
        ropeScaling = try fields.ropeScaling(from: decoder, typeKeys: .typeOverridesRopeType, modelType: family.rawValue)
    }

    /// Whether Qwen3-MoE's QK-norm is present.
    var qkNorm: Bool { family == .qwen3Moe }

    func architecture() -> Architecture {
        var arch = fields.architecture(modelType: family.rawValue, rope: RotaryEmbedding(
            dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling, maxPositions: fields.maxPositionEmbeddings))
        if sparseLayers.contains(true) {
            arch.dFF = moeIntermediateSize
            var routing = ExpertRouting(count: numExperts, topK: numExpertsPerTok)
            routing.renormalizes = normTopKProb
            routing.sharedExpert = sharedExpertIntermediateSize != nil
            routing.denseLayers = sparseLayers.indices.filter { !sparseLayers[$0] }
            arch.experts = routing
        }
        return arch
    }
}
