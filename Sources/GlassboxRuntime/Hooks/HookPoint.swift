/// A named point in the forward pass where an activation can be captured or replaced.
///
/// Names follow TransformerLens exactly (`blocks.3.attn.hook_pattern`), and so does what each name
/// holds (docs/methods.md §0.5; every name checked against TransformerLens 2.18 on every GPT-2
/// fixture and on llama-gqa); `HookPoint(name:)` parses only full names and `name` prints them back. Shapes are for one sequence: TransformerLens's shape
/// with its leading `batch` axis dropped and the other axes in the same order (`[batch, pos,
/// head_index, d_head]` → `[n, H, dh]`, `[batch, head_index, query_pos, key_pos]` → `[H, n, n]`,
/// `[batch, pos, d_model]` → `[n, d]`). `n` positions, `d` model width, `H` query heads, `Hkv`
/// key/value heads, `dh` head width, `dff` MLP width, `V` outputs.
public enum HookPoint: Hashable, Sendable {
    /// `hook_embed` `[n, d]`: token embedding rows.
    case embed
    /// `hook_pos_embed` `[n, d]`: learned position embedding rows.
    case posEmbed
    /// `hook_token_type_embed` `[n, d]`: segment (token type) embedding rows (BERT).
    case tokenTypeEmbed
    /// `embed_ln.hook_scale|hook_normalized`: the embedding LayerNorm (BERT), on the embedding sum.
    case embedLN(NormSite)
    /// `blocks.{layer}.…`: a point inside one transformer block.
    case block(Int, BlockSite)
    /// `ln_final.hook_scale|hook_normalized`: the final norm of pre-norm models.
    case lnFinal(NormSite)
    /// `pooler.hook_out` `[1, d]`: `tanh(dense(h[CLS]))` (BERT pooler).
    case poolerOut
    /// `mlm_head.hook_transform` `[n, d]`: `act(dense(h))` inside BERT's MLM head, before its LayerNorm
    /// (`[n, E]` in ELECTRA's generator; in ELECTRA's discriminator the input of `dense_prediction`).
    case mlmTransform
    /// `mlm_head.ln.hook_scale|hook_normalized`: the MLM head's LayerNorm.
    case mlmLN(NormSite)
    /// `unembed.hook_in` `[rows, d]`: the input of the output layer (LM head, MLM decoder, classifier).
    /// Glassbox only: TransformerLens's `unembed` has no hook points.
    case unembedIn
    /// `unembed.hook_out` `[rows, V]`: the logits. Glassbox only.
    case unembedOut
}

/// The two points every normalisation exposes (TransformerLens convention).
public enum NormSite: String, Hashable, Sendable, CaseIterable {
    /// `hook_scale` `[n, 1]`: `sqrt(mean((x-μ)²) + ε)` for LayerNorm, `sqrt(mean(x²) + ε)` for RMSNorm
    /// (TransformerLens `[batch, pos, 1]`).
    case scale = "hook_scale"
    /// `hook_normalized` `[n, d]`, as TransformerLens fires it: LayerNorm, the norm's output
    /// `γ·(x-μ)/scale + β` (after the affine weight and bias, its `LayerNorm`); RMSNorm, `x/scale`
    /// before the weight `γ` (its `RMSNorm`). An edit here is what the next layer reads (RMSNorm: times
    /// `γ`). A LayerNorm's `(x-μ)/scale` itself has no hook point: recompute it from the norm's input
    /// with `Norm.normalize` (docs/methods.md §0.5).
    case normalized = "hook_normalized"
}

/// The points of one expert's gated MLP in a sparse mixture (TransformerLens's `MoEGatedMLP`).
public enum ExpertSite: String, Hashable, Sendable, CaseIterable {
    /// `hook_gate` `[n, dff]`: `w1·x`, before the activation.
    case gate = "hook_gate"
    /// `hook_pre` `[n, dff]`: `w3·x`, the linear factor.
    case pre = "hook_pre"
    /// `hook_post` `[n, dff]`: `act(gate) ⊙ pre`, the input of `w2`.
    case post = "hook_post"
}

/// Points inside block `l`, in the order they fire.
public enum BlockSite: Hashable, Sendable {
    /// `hook_resid_pre` `[n, d]`: the block input.
    case residPre
    /// `ln1.*`: pre-norm: before attention; post-norm (BERT): after attention, on `resid_mid`.
    case ln1(NormSite)
    /// `attn.hook_q` `[n, H, dh]`: the query projection (bias included), **before** any rotary
    /// embedding (TransformerLens `[batch, pos, head_index, d_head]`).
    case q
    /// `attn.hook_k` `[n, Hkv, dh]`: the key projection, before any rotary embedding. With
    /// grouped-query attention only the `Hkv` key heads (TransformerLens's default, ungrouped off).
    case k
    /// `attn.hook_v` `[n, Hkv, dh]`: the value projection.
    case v
    /// `attn.q_norm.hook_scale` `[n, H, 1]` / `attn.q_norm.hook_normalized` `[n, H, dh]`: QK-norm
    /// models only (Qwen3, Gemma 3): the RMSNorm over each query head's `dh` values of `hook_q`
    /// (OLMo 2: over all `H·dh` values of a position, so `hook_scale` is `[n, 1]`), with
    /// TransformerLens's RMSNorm convention (`hook_normalized` is `q/scale` before `γ`). Fired after
    /// `hook_v`, before `hook_rot_q` (which rotates `γ ⊙ hook_normalized`).
    case qNorm(NormSite)
    /// `attn.k_norm.hook_scale` `[n, Hkv, 1]` / `attn.k_norm.hook_normalized` `[n, Hkv, dh]`: the
    /// QK-norm of each key head, as `qNorm`.
    case kNorm(NormSite)
    /// `attn.hook_rot_q` `[n, H, dh]`: `hook_q` after the rotary embedding — the queries the scores
    /// use. Rotary models only (Llama, Mistral, Qwen2, Qwen3, GPT-NeoX, Phi-3, Mixtral); GPT-2, BERT and ViT have no
    /// such point. After QK-norm where the model has one (Qwen3).
    case rotQ
    /// `attn.hook_rot_k` `[n, Hkv, dh]`: `hook_k` after the rotary embedding. Rotary models only.
    case rotK
    /// `attn.hook_attn_scores` `[H, n, n]`: scaled `q·kᵀ` (of the rotated `q`, `k` in rotary models)
    /// with masked entries set to `-inf`, before softmax (TransformerLens `[batch, head_index,
    /// query_pos, key_pos]`).
    case attnScores
    /// `attn.hook_pattern` `[H, n, n]`: softmax of the scores; rows are queries, columns keys.
    case pattern
    /// `attn.hook_z` `[n, H, dh]`: `pattern · v` per head.
    case z
    /// `attn.hook_result` `[n, H, d]`: each head's output `z_h · W_O^h`, without the output bias
    /// (TransformerLens `[batch, pos, head_index, d_model]`, with `use_attn_result`).
    /// Computed only when captured or intervened on.
    case result
    /// `ln1_post.hook_scale` `[n, 1]` / `ln1_post.hook_normalized` `[n, d]`: Gemma 2 / 3 and OLMo 2
    /// only: the RMSNorm on the attention output `Σ_h result_h + b_O`, before the residual add
    /// (TransformerLens's `ln1_post`; RMSNorm convention, `hook_normalized` before `γ`).
    case ln1Post(NormSite)
    /// `hook_attn_out` `[n, d]`: the attention output `Σ_h result_h + b_O`; in models with
    /// `ln1_post`, that norm's output (what is added to the residual stream).
    case attnOut
    /// `hook_resid_mid` `[n, d]`: `resid_pre + attn_out`.
    case residMid
    /// `ln2.*`: pre-norm: before the MLP; post-norm (BERT): after the MLP, on `resid_post`.
    case ln2(NormSite)
    /// `mlp.hook_pre` `[n, dff]`: the MLP's first linear map (the gate's, in gated MLPs), before the activation.
    case mlpPre
    /// `mlp.hook_pre_linear` `[n, dff]`: the up projection of a gated MLP.
    case mlpPreLinear
    /// `mlp.hook_post` `[n, dff]`: the input of the MLP's output projection.
    case mlpPost
    /// `mlp.hook_router_logits` `[n, E]`: sparse mixture of experts (Mixtral) only: the router's
    /// logits over the `E` experts. Glassbox only (TransformerLens's MoE has no such point).
    case routerLogits
    /// `mlp.hook_expert_weights` `[n, E]`: mixture only: softmax of the router logits over all
    /// experts, before the top-k (what TransformerLens 2.18's `MoE.hook_expert_weights` holds).
    case expertWeights
    /// `mlp.hook_expert_indices` `[n, k]`: mixture only: the chosen experts of each position, in
    /// `torch.topk`'s order (ties broken as it breaks them), as floats (TransformerLens's
    /// `hook_expert_indices`). An edit replaces the choice (values rounded; each must name an expert).
    case expertIndices
    /// `mlp.hook_routing_weights` `[n, k]`: mixture only: the chosen experts' softmax weights divided
    /// by their sum — the factors their outputs are multiplied by. Glassbox only.
    case routingWeights
    /// `mlp.experts.{e}.hook_gate|hook_pre|hook_post` `[n, dff]`: mixture only: expert `e`'s MLP,
    /// TransformerLens's `MoEGatedMLP` names. Rows of positions not routed to `e` are 0 (TransformerLens
    /// keeps only the routed rows; an edit there has no effect, their weight being 0).
    case expert(Int, ExpertSite)
    /// `mlp.shared_expert.hook_gate|hook_pre|hook_post` `[n, dffShared]`: Qwen2-MoE's shared expert
    /// (`Qwen2MoeSparseMoeBlock.shared_expert`, a gated MLP every position runs), fired after the
    /// routed experts with `ExpertSite`'s meanings. Glassbox only.
    case sharedExpert(ExpertSite)
    /// `mlp.hook_shared_expert_gate` `[n, 1]`: `shared_expert_gate·x`, the logit whose sigmoid
    /// multiplies the shared expert's output (fired after its points; an edit changes the logit).
    /// Glassbox only.
    case sharedExpertGate
    /// `ln2_post.hook_scale` `[n, 1]` / `ln2_post.hook_normalized` `[n, d]`: Gemma 2 / 3 and OLMo 2
    /// only: the RMSNorm on the MLP output, before the residual add (TransformerLens's `ln2_post`).
    case ln2Post(NormSite)
    /// `hook_mlp_out` `[n, d]`: the MLP output, bias included; in models with `ln2_post`, that
    /// norm's output.
    case mlpOut
    /// `hook_resid_post` `[n, d]`: pre-norm: the block output; post-norm: `ln1(resid_mid) + mlp_out`.
    case residPost
    /// `hook_normalized_resid_post` `[n, d]`: post-norm only: the block output `ln2(resid_post)`
    /// (the tensor `ln2.hook_normalized` holds, fired after it).
    case normalizedResidPost

    var suffix: String {
        switch self {
        case .residPre: "hook_resid_pre"
        case .ln1(let s): "ln1.\(s.rawValue)"
        case .q: "attn.hook_q"
        case .k: "attn.hook_k"
        case .v: "attn.hook_v"
        case .qNorm(let s): "attn.q_norm.\(s.rawValue)"
        case .kNorm(let s): "attn.k_norm.\(s.rawValue)"
        case .rotQ: "attn.hook_rot_q"
        case .rotK: "attn.hook_rot_k"
        case .attnScores: "attn.hook_attn_scores"
        case .pattern: "attn.hook_pattern"
        case .z: "attn.hook_z"
        case .result: "attn.hook_result"
        case .ln1Post(let s): "ln1_post.\(s.rawValue)"
        case .attnOut: "hook_attn_out"
        case .residMid: "hook_resid_mid"
        case .ln2(let s): "ln2.\(s.rawValue)"
        case .mlpPre: "mlp.hook_pre"
        case .mlpPreLinear: "mlp.hook_pre_linear"
        case .mlpPost: "mlp.hook_post"
        case .routerLogits: "mlp.hook_router_logits"
        case .expertWeights: "mlp.hook_expert_weights"
        case .expertIndices: "mlp.hook_expert_indices"
        case .routingWeights: "mlp.hook_routing_weights"
        case .expert(let e, let site): "mlp.experts.\(e).\(site.rawValue)"
        case .sharedExpert(let site): "mlp.shared_expert.\(site.rawValue)"
        case .sharedExpertGate: "mlp.hook_shared_expert_gate"
        case .ln2Post(let s): "ln2_post.\(s.rawValue)"
        case .mlpOut: "hook_mlp_out"
        case .residPost: "hook_resid_post"
        case .normalizedResidPost: "hook_normalized_resid_post"
        }
    }

    static let all: [BlockSite] = [
        .residPre, .ln1(.scale), .ln1(.normalized), .q, .k, .v, .qNorm(.scale), .qNorm(.normalized),
        .kNorm(.scale), .kNorm(.normalized), .rotQ, .rotK, .attnScores, .pattern, .z,
        .result, .ln1Post(.scale), .ln1Post(.normalized), .attnOut, .residMid, .ln2(.scale), .ln2(.normalized),
        .mlpPre, .mlpPreLinear, .mlpPost, .routerLogits, .expertWeights, .expertIndices, .routingWeights,
        .sharedExpert(.gate), .sharedExpert(.pre), .sharedExpert(.post), .sharedExpertGate,
        .ln2Post(.scale), .ln2Post(.normalized), .mlpOut, .residPost, .normalizedResidPost,
    ]

    /// Parses a block suffix (`hook_resid_pre`, `mlp.experts.3.hook_gate`); `nil` for anything else.
    static func parse(_ suffix: Substring) -> BlockSite? {
        if let site = all.first(where: { $0.suffix == suffix }) { return site }
        let parts = suffix.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "mlp", parts[1] == "experts", let e = Int(parts[2]), e >= 0,
              String(e) == parts[2], let site = ExpertSite(rawValue: String(parts[3])) else { return nil }
        return .expert(e, site)
    }
}

extension HookPoint: CustomStringConvertible {
    /// The TransformerLens-style full name, e.g. `blocks.0.attn.hook_pattern`.
    public var name: String {
        switch self {
        case .embed: "hook_embed"
        case .posEmbed: "hook_pos_embed"
        case .tokenTypeEmbed: "hook_token_type_embed"
        case .embedLN(let s): "embed_ln.\(s.rawValue)"
        case .block(let l, let site): "blocks.\(l).\(site.suffix)"
        case .lnFinal(let s): "ln_final.\(s.rawValue)"
        case .poolerOut: "pooler.hook_out"
        case .mlmTransform: "mlm_head.hook_transform"
        case .mlmLN(let s): "mlm_head.ln.\(s.rawValue)"
        case .unembedIn: "unembed.hook_in"
        case .unembedOut: "unembed.hook_out"
        }
    }

    /// The full name (`name`).
    public var description: String { name }

    /// Parses a full hook name; `nil` for anything else (no aliases, no partial names).
    public init?(name: String) {
        let fixed: [HookPoint] = [
            .embed, .posEmbed, .tokenTypeEmbed, .embedLN(.scale), .embedLN(.normalized),
            .lnFinal(.scale), .lnFinal(.normalized), .poolerOut, .mlmTransform, .mlmLN(.scale),
            .mlmLN(.normalized), .unembedIn, .unembedOut,
        ]
        if let point = fixed.first(where: { $0.name == name }) {
            self = point
            return
        }
        let parts = name.split(separator: ".", maxSplits: 2, omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0] == "blocks", let layer = Int(parts[1]), layer >= 0,
              String(layer) == parts[1],
              let site = BlockSite.parse(parts[2])
        else { return nil }
        self = .block(layer, site)
    }

    /// The layer of a block point, `nil` elsewhere.
    public var layer: Int? {
        if case .block(let l, _) = self { return l }
        return nil
    }
}
