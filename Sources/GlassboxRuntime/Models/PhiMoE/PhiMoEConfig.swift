import Foundation

/// `config.json` of PhiMoE (`model_type` `phimoe`, microsoft/Phi-3.5-MoE-instruct), with transformers
/// 4.53.3's defaults (`PhimoeConfig`): Mixtral's layout (grouped-query attention with rotary
/// embeddings and a sliding window in every layer when `sliding_window` is set; `block_sparse_moe`
/// with a router `gate` and `w1`/`w3`/`w2` experts) with `nn.LayerNorm`s WITH bias (ε
/// `rms_norm_eps`), q/k/v/o biases iff `attention_bias`, an `lm_head` bias iff `lm_head_bias`, the
/// `sparsemixer` router (`RoutingKind.sparseMixer`: always two experts, `num_experts_per_tok` not
/// read by the forward) and LongRoPE whose cos/sin are scaled by `short_mscale` / `long_mscale`
/// (`PhimoeRotaryEmbedding`) instead of the attention factor. `input_jitter_noise`,
/// `router_aux_loss_coef` and `output_router_logits` act only in training or on the loss.
public struct PhiMoEConfig: Decodable, Sendable, Equatable {
    /// The fields shared with the Llama block (`intermediate_size` is each expert's width;
    /// `rms_norm_eps` is the LayerNorms' ε). Defaults: `V` 32064, `d` 4096, `dff` 6400, 32 layers,
    /// 32 heads, `Hkv` 8 (null: `H`), 131072 positions, ε 1e-5, θ 1e6, untied.
    public var fields: RotaryDecoderFields
    /// `rope_scaling`: none, or LongRoPE (its attention factor `short_mscale`); the long factors past
    /// the top-level `original_max_position_embeddings` when written (PretrainedConfig sets it after
    /// PhimoeConfig copies rope_scaling's), else rope_scaling's.
    public var ropeScaling: RopeScaling
    /// `rope_scaling.short_mscale` / `long_mscale` past `rope_scaling.original_max_position_embeddings`
    /// (nil without scaling).
    public var mscale: RotaryMscale?
    /// `num_local_experts`: `E`, experts per layer, at least 2 (default 16).
    public var numLocalExperts: Int
    /// `router_jitter_noise`: sparsemixer's relative threshold `ε` (a logit more than `2ε` below
    /// the maximum, relative to `max(|s|, max)`, is masked), non-negative (default 0.01).
    public var routerJitterNoise: Double
    /// `attention_bias`: biases on q, k, v and o (default false).
    public var attentionBias: Bool
    /// `lm_head_bias`: a bias on `lm_head` (default false).
    public var lmHeadBias: Bool

    enum CodingKeys: String, CodingKey {
        case ropeScaling = "rope_scaling"
        case maxPositionEmbeddings = "max_position_embeddings"
        case numLocalExperts = "num_local_experts"
        case numExpertsPerTok = "num_experts_per_tok"
        case outputRouterLogits = "output_router_logits"
        case routerJitterNoise = "router_jitter_noise"
        case attentionBias = "attention_bias"
        case lmHeadBias = "lm_head_bias"
        case attentionDropout = "attention_dropout"
        case useSlidingWindow = "use_sliding_window"
        case numKeyValueHeads = "num_key_value_heads"
        case headDim = "head_dim"
        case originalMaxPositionEmbeddings = "original_max_position_embeddings"
    }

    /// Decodes `config.json` with PhiMoE's defaults and checks it as transformers builds and runs
    /// it (each failure a `ConfigValidationError` naming the key).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // PhimoeAttention's eager softmax dropout: F.dropout compares p with 0 and 1 even in eval.
        try c.refuseNulls([.attentionDropout])
        if c.contains(.attentionDropout) {
            let dropout = try c.decode(JSONValue.self, forKey: .attentionDropout)
            guard let p = dropout.pythonNumber, p >= 0, p <= 1 else {
                throw ConfigValidationError(key: "attention_dropout", detail:
                    "must be a number in [0, 1], got \(dropout.written) (transformers' eager attention passes it to F.dropout, which fails on it)")
            }
        }
        numLocalExperts = try c.value(refusingNull: .numLocalExperts, default: 16)
        routerJitterNoise = try c.value(refusingNull: .routerJitterNoise, default: 0.01)
        attentionBias = try c.value(.attentionBias, default: false)
        lmHeadBias = try c.value(.lmHeadBias, default: false)
        // PhimoeConfig: "for backward compatibility" a null num_key_value_heads is num_attention_heads
        // (an absent one 8).
        let kvHeadsNull = try c.nullPlace(of: .numKeyValueHeads) != nil
        fields = try RotaryDecoderFields(
            from: decoder, defaults: .init(vocab: 32064, hidden: 4096, intermediate: 6400, layers: 32, heads: 32,
                                           kvHeads: kvHeadsNull ? nil : 8, positions: 4096 * 32, theta: 1e6),
            sizes: [(numLocalExperts, "num_local_experts")], headDim: .orDerived)
        // `getattr(text_config, "use_sliding_window", True)` in the causal mask: a falsy key drops the window.
        if !(try c.value(.useSlidingWindow, default: true)) { fields.slidingWindow = nil }
        guard numLocalExperts >= 2 else {   // sparsemixer's second round has no expert left: NaN
            throw ConfigValidationError(key: "num_local_experts", detail:
                "must be at least 2, got \(numLocalExperts) (sparsemixer always picks two experts; with one, transformers' second softmax is over nothing and its logits are NaN)")
        }
        guard routerJitterNoise >= 0, routerJitterNoise.isFinite else {
            throw ConfigValidationError(key: "router_jitter_noise", detail:
                "must be a non-negative number, got \(configNumber(routerJitterNoise)) (sparsemixer masks a logit when its relative distance to the maximum exceeds 2·router_jitter_noise; below 0 it masks every logit and transformers' logits are NaN)")
        }
        // num_experts_per_tok: sparsemixer is called with its default top_k = 2, so the forward does
        // not read it; only the auxiliary loss does, with output_router_logits (torch.topk fails past E).
        // Read by Python's truthiness (`if output_router_logits:`), any spelling.
        if try c.decodeIfPresent(JSONValue.self, forKey: .outputRouterLogits)?.isTruthy ?? false {
            let k = try c.value(refusingNull: .numExpertsPerTok, default: 2)
            guard k >= 0, k <= numLocalExperts else {
                throw ConfigValidationError(key: "num_experts_per_tok", detail:
                    "(\(k)) must be in 0...num_local_experts (\(numLocalExperts)) with output_router_logits: transformers' load_balancing_loss_func takes torch.topk of it and fails")
            }
        }
        // PhimoeAttention sizes its heads as hidden_size // num_attention_heads; the rotary tables
        // read a head_dim key first, so any other value is refused.
        try requireRotaryOnlyHeadDim(fields.headDim, hidden: fields.hiddenSize, heads: fields.numAttentionHeads,
                                     attention: "PhimoeAttention")
        (ropeScaling, mscale) = try Self.ropeScaling(c, fields: fields)
        try c.refuseDerivedHeadDim(.headDim, reading: .orDerived, under: ropeScaling)
    }

    /// `rope_scaling` as `PhimoeConfig` and `PhimoeRotaryEmbedding` read it: `short_mscale` and
    /// `long_mscale` numbers (ValueError otherwise), `rope_type` before `type`, then only `longrope`
    /// is supported here (transformers also builds the other tables, each scaled by the mscales);
    /// `rope_scaling.original_max_position_embeddings` is required (the rotary forward indexes it)
    /// and sets the mscale's threshold; the factors' is the config attribute
    /// `original_max_position_embeddings`: rope_scaling's copied by PhimoeConfig, then a top-level
    /// key's set over it by PretrainedConfig. Returns the scaling (its attention factor
    /// `short_mscale`, unused) and the mscales.
    private static func ropeScaling(_ c: KeyedDecodingContainer<CodingKeys>, fields: RotaryDecoderFields)
        throws -> (RopeScaling, RotaryMscale?) {
        guard var raw = try c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling) else { return (.none, nil) }
        func mscale(_ key: String) throws -> Float {
            guard let value = raw[key]?.pythonNumber, Float(value).isFinite else {
                throw ConfigValidationError(key: "rope_scaling.\(key)", detail:
                    "must be a number, got \(raw[key]?.written ?? "nothing") (PhimoeConfig raises a ValueError)")
            }
            return Float(value)
        }
        let (short, long) = (try mscale("short_mscale"), try mscale("long_mscale"))
        let original = raw["original_max_position_embeddings"]
        // A top-level key is the attribute the factors compare with (max / None: TypeError on null).
        try c.refuseNulls([.originalMaxPositionEmbeddings])
        let topLevel = try c.decodeIfPresent(JSONValue.self, forKey: .originalMaxPositionEmbeddings)
        // A given attention_factor is returned and then replaced by the mscales: its value is never used.
        if let given = raw["attention_factor"], given != .null { raw["attention_factor"] = .number(1) }
        let scaling = try RopeScaling.read(raw, typeKeys: .ropeTypeFirst, modelType: "phimoe",
                                           maxPositions: fields.maxPositionEmbeddings,
                                           maxPositionsNullKey: try c.nullPlace(of: .maxPositionEmbeddings),
                                           rotatedDimensions: fields.headDim, originalMaxPositions: topLevel ?? original,
                                           base: (fields.ropeTheta, "rope_theta"), types: ["longrope"])
        guard case .longrope(let s, let l, let threshold, _) = scaling else { return (scaling, nil) }
        // `seq_len > rope_scaling["original_max_position_embeddings"]` (KeyError when absent; a
        // TypeError unless a number), compared as the factors' threshold is.
        guard let written = original?.pythonNumber else {
            throw ConfigValidationError(key: "rope_scaling.original_max_position_embeddings", detail:
                "must be a number for phimoe, got \(original?.written ?? "nothing") (PhimoeRotaryEmbedding.forward compares the length with it: KeyError or TypeError)")
        }
        let mscaleThreshold = Int(min(max(floor(written), -1), Double(fields.maxPositionEmbeddings)))
        return (.longrope(short: s, long: l, originalMaxPositions: threshold, attentionFactor: short),
                RotaryMscale(short: short, long: long, originalMaxPositions: mscaleThreshold))
    }

    /// Pre-LayerNorm (with bias), the sparsemixer mixture in every layer, the window in every layer
    /// when set, rotary embeddings over the whole head.
    func architecture() -> Architecture {
        var rope = RotaryEmbedding(dimensions: fields.headDim, base: fields.ropeTheta, scaling: ropeScaling,
                                   maxPositions: fields.maxPositionEmbeddings)
        rope.mscale = mscale
        var arch = fields.architecture(modelType: "phimoe", rope: rope)
        arch.norm = .layerNorm(eps: fields.rmsNormEps)
        var routing = ExpertRouting(count: numLocalExperts, topK: 2)
        routing.renormalizes = false
        routing.kind = .sparseMixer(jitter: routerJitterNoise)
        arch.experts = routing
        return arch
    }
}
