import GlassboxTensor

/// The typed variations between transformer families. Shared components switch on these, never
/// on model names; each architecture file maps its config onto them.
public struct Architecture: Sendable, Equatable {
    /// `model_type` of the checkpoint (`gpt2`, `bert`, …), for display and provenance only.
    public var modelType: String
    /// Number of transformer blocks.
    public var layers: Int
    /// Residual width `d`.
    public var dModel: Int
    /// Query heads `H`.
    public var heads: Int
    /// Key/value heads `Hkv` (`H` without grouped-query attention).
    public var kvHeads: Int
    /// Per-head width `dh`.
    public var headDim: Int
    /// MLP width `dff`.
    public var dFF: Int
    /// Token vocabulary size (rows of the embedding table).
    public var vocabSize: Int
    /// Longest input the position scheme allows.
    public var contextLength: Int
    /// LayerNorm or RMSNorm, with ε, used by every norm of the model.
    public var norm: NormKind
    /// Pre-norm or post-norm blocks.
    public var placement: NormPlacement
    /// Learned table, rotary, ALiBi biases, or none.
    public var position: PositionKind
    /// Standard or gated feed-forward block.
    public var mlp: MLPKind
    /// The MLP non-linearity (also the BERT MLM head's).
    public var activation: Activation
    /// Causal (decoders) or bidirectional (encoders) attention.
    public var mask: AttentionMask
    /// Multiplier of `q·kᵀ`, usually `1/√dh`.
    public var attentionScale: Float
    /// Extra division of attention scores by `layer + 1` (GPT-2's `scale_attn_by_inverse_layer_idx`).
    public var scaleAttentionByInverseLayer: Bool
    /// Rows of the token-type table (BERT segments); 0 when the model has none.
    public var tokenTypes: Int
    /// What sits on top of the last block.
    public var head: HeadKind
    /// A classifier's `problem_type` from `config.json` (nil when absent; see `classScores`).
    public var problemType: ProblemType? = nil
    /// Per-layer sliding attention windows (`nil`: full attention); empty means none. Causal models:
    /// the window `w` (`.slidingWindow`); bidirectional ones (ModernBERT's local layers): the radius
    /// `r`, keys at most `r` positions away on either side (`.bidirectionalWindow`).
    public var slidingWindows: [Int?] = []
    /// Image geometry of vision models (`nil` for text models).
    public var image: ImageGeometry? = nil
    /// GPT-NeoX's `use_parallel_residual`: attention and MLP both read the block input,
    /// `post = x + attn(ln1(x)) + mlp(ln2(x))`, and `hook_resid_mid` does not exist (pre-norm only).
    public var parallelResidual: Bool = false
    /// Gemma 2's `attn_logit_softcapping`: scores become `cap·tanh(s/cap)` before the mask
    /// (`nil`: no cap).
    public var attentionSoftCap: Float? = nil
    /// Gemma 2's `final_logit_softcapping`: logits become `cap·tanh(z/cap)` (`nil`: no cap).
    public var finalSoftCap: Float? = nil
    /// How AttnLRP and CP-LRP pass relevance back through `finalSoftCap` (docs/methods.md §2.5e).
    public var finalSoftCapRelevance: SoftCapRelevance = .activationRule
    /// Gemma 3: the rotary embedding of sliding-window layers (`rope_local_base_freq`); `nil`
    /// when every layer uses `position`.
    public var slidingRotary: RotaryEmbedding? = nil
    /// The layers of a rotary model that rotate nothing ("NoPE" layers: SmolLM3's `no_rope_layers`
    /// zeros, `SmolLM3Attention.use_rope` false): their queries and keys enter the scores as
    /// projected, in every attention path; empty when every layer rotates.
    public var unrotatedLayers: Set<Int> = []
    /// The class of the checkpoint when the model is only its text part
    /// (`Gemma3ForConditionalGeneration`: the vision tower and projector are neither loaded nor
    /// run); `nil` when the model is the whole checkpoint.
    public var textModelOf: String? = nil
    /// What a QK-norm normalises over (only read when the attention weights have one).
    public var qkNormScope: QKNormScope = .perHead
    /// `clip_qkv`: q, k and v are clamped to `[−c, c]` before the head split, at `qkvClipPoint`
    /// (`OlmoAttention.forward`, `OlmoeAttention.forward`); `nil`: no clamp (`Architecture.clipQKV`).
    public var qkvClip: Float? = nil
    /// Where `qkvClip` clamps q and k: the projections' outputs (OLMo) or the QK-norm's (OLMoE);
    /// v, which has no norm, is clamped as projected either way.
    public var qkvClipPoint: QKVClipPoint = .projection
    /// The norms have no weight or bias (OLMo's `OlmoLayerNorm`: held as `γ = 1`, no `β`, and not
    /// counted as parameters).
    public var parameterFreeNorms: Bool = false
    /// Where ALiBi counts key positions from (`.lastKey`: MPT), for the scores `hook_attn_scores`
    /// holds; paths that only need the pattern add `slope · j` (the same softmax up to rounding).
    public var alibiOrigin: ALiBiOrigin = .firstKey

    /// The rotary embedding layer `layer` uses: `slidingRotary` in sliding-window layers where
    /// there is one, else `position`'s; `nil` in `unrotatedLayers` and in models without RoPE.
    public func rotary(layer: Int) -> RotaryEmbedding? {
        if unrotatedLayers.contains(layer) { return nil }
        if let slidingRotary, layer < slidingWindows.count, slidingWindows[layer] != nil { return slidingRotary }
        if case .rotary(let rope) = position { return rope }
        return nil
    }
    /// A sparse mixture of experts in place of the MLP (Mixtral): how many experts and how many each
    /// position uses; `nil` for a dense MLP. The experts are gated MLPs (`mlp` is `.gated`).
    public var experts: ExpertRouting? = nil

    /// The mask layer `layer` applies to its attention scores.
    public func attentionMask(layer: Int) -> AttentionMaskKind {
        switch mask {
        case .bidirectional:
            if layer < slidingWindows.count, let radius = slidingWindows[layer] { return .bidirectionalWindow(radius) }
            return .none
        case .causal:
            if layer < slidingWindows.count, let window = slidingWindows[layer] { return .slidingWindow(window) }
            return .causal
        }
    }

    /// The score scale of layer `layer`: `attentionScale`, further `/(layer+1)` where the config asks.
    public func attentionScale(layer: Int) -> Float {
        scaleAttentionByInverseLayer ? attentionScale / Float(layer + 1) : attentionScale
    }
}

/// How a relevance method passes relevance through the final logit soft-cap `c·tanh(z/c)`.
public enum SoftCapRelevance: Sendable, Equatable {
    /// The method's rule for elementwise non-linearities (AttnLRP, CP-LRP: the identity rule, so
    /// relevance is conserved through the cap): Gemma 2, whose reference is built from LXT's rules
    /// since LXT 2.1 has no Gemma 2 map.
    case activationRule
    /// The true derivative `1 − tanh²(z/c)`: LXT 2.1's Gemma 3 map (`lxt/efficient/models/gemma3.py`)
    /// patches nothing in `Gemma3ForCausalLM.forward`, so the cap there keeps its gradient.
    case gradient
}

/// Normalisation layers.
public enum NormKind: Sendable, Equatable {
    /// `γ·(x-μ)/√(var+ε) + β`.
    case layerNorm(eps: Float)
    /// `γ·x/√(mean(x²)+ε)`.
    case rmsNorm(eps: Float)
    /// No normalisation: `x` as it is (ModernBERT's layer-0 `attn_norm`, an `nn.Identity`); only a
    /// `Norm`'s kind, never an architecture's. Its `x̂` is `x`, its scale 1, and `γ` is ones.
    case identity

    /// The ε added to the variance (or mean square) before the square root.
    public var eps: Float {
        switch self {
        case .layerNorm(let eps), .rmsNorm(let eps): eps
        case .identity: 0
        }
    }
}

/// Where the block's norms sit.
public enum NormPlacement: Sendable, Equatable {
    /// GPT-2, Llama, ViT: `x + attn(ln1(x))`, then `x + mlp(ln2(x))`, and a final norm.
    case pre
    /// BERT: `ln1(x + attn(x))`, then `ln2(h + mlp(h))`; no final norm.
    case post
    /// Gemma 2 and 3: pre-norms and a norm on each branch output, `x + ln1_post(attn(ln1(x)))`, then
    /// `mid + ln2_post(mlp(ln2(mid)))`, and a final norm (TransformerLens
    /// `use_normalization_before_and_after`).
    case sandwich
    /// OLMo 2: a norm on each branch output only, `x + ln1_post(attn(x))`, then
    /// `mid + ln2_post(mlp(mid))`, and a final norm. `ln1` / `ln2` hold these two norms.
    case branchOutput
}

/// What a QK-norm normalises over.
public enum QKNormScope: Sendable, Equatable {
    /// Each head's `dh` values (Qwen3, Gemma 3): `γ [dh]`.
    case perHead
    /// The whole projection, `H·dh` (or `Hkv·dh`) values, before the head split (OLMo 2): `γ [H·dh]`.
    case wholeProjection
}

/// Where `clip_qkv` clamps the queries and keys (`Architecture.qkvClipPoint`).
public enum QKVClipPoint: Sendable, Equatable {
    /// The q/k projections' outputs, before any QK-norm (`OlmoAttention.forward`).
    case projection
    /// The QK-norm's outputs `γ ⊙ x̂` (`OlmoeAttention.forward`: `q_norm(q_proj(x))`, then `clamp_`).
    case afterQKNorm
}

/// How positions enter the model.
public enum PositionKind: Sendable, Equatable {
    /// A learned table added to the token embeddings.
    case learned
    /// Rotary embeddings applied to queries and keys in every layer.
    case rotary(RotaryEmbedding)
    /// ALiBi (BLOOM; Press et al. 2022): no position embedding; head `h`'s pre-softmax score of key
    /// position `j` gains `slopes[h] · j` in every layer and every attention path (full, blocked,
    /// suffix and KV cache, the relevance sweeps' recomputed patterns), as transformers'
    /// `build_alibi_tensor` adds it; `hook_attn_scores` holds the biased scores (`[H]` slopes,
    /// `PositionKind.alibiSlopes(heads:)`).
    case alibi(slopes: [Float])
    /// No positional signal.
    case none
}

/// The patch grid of a vision transformer.
public struct ImageGeometry: Sendable, Equatable {
    /// Input height and width in pixels.
    public var height: Int
    /// Input width in pixels.
    public var width: Int
    /// Colour channels of the input (3 for RGB).
    public var channels: Int
    /// Side of the square patches.
    public var patchSize: Int

    /// A geometry from its fields, as listed above. Sizes need not be multiples of `patchSize`:
    /// the grid is `floor(height/P) × floor(width/P)` and the pixels past it are never read (the
    /// stride-P convolution of transformers drops them too).
    public init(height: Int, width: Int, channels: Int, patchSize: Int) {
        (self.height, self.width, self.channels, self.patchSize) = (height, width, channels, patchSize)
    }

    /// Patch rows, `height / patchSize` (rounded down).
    public var gridRows: Int { height / patchSize }
    /// Patch columns, `width / patchSize` (rounded down).
    public var gridColumns: Int { width / patchSize }
    /// Number of patches, `gridRows · gridColumns` (the sequence is one longer, with `[CLS]`).
    public var patchCount: Int { gridRows * gridColumns }
    /// The pixels the patches read, from the input's top-left corner: `gridRows · patchSize` ×
    /// `gridColumns · patchSize` (the whole input when `patchSize` divides both sides).
    public var coveredSize: (height: Int, width: Int) { (gridRows * patchSize, gridColumns * patchSize) }
}

/// The feed-forward block.
public enum MLPKind: Sendable, Equatable {
    /// `down(act(up(x)))`.
    case standard
    /// `down(act(gate(x)) ⊙ up(x))`.
    case gated
}

/// Top-k routing of a sparse mixture of experts (Mixtral's `num_local_experts`, `num_experts_per_tok`).
public struct ExpertRouting: Sendable, Equatable {
    /// `E`, the experts per layer.
    public var count: Int
    /// `k`, the experts each position is sent to (`1 ≤ k ≤ E`; GraniteMoE also 0: no expert runs).
    public var topK: Int

    /// Whether the chosen probabilities are divided by their sum (Mixtral; Qwen MoE's `norm_topk_prob`).
    public var renormalizes: Bool = true
    /// Qwen2-MoE: a shared expert, gated by a sigmoid, runs beside the routed ones.
    public var sharedExpert: Bool = false
    /// Whether the shared expert's output is scaled by `σ(shared_expert_gate·x)` (Qwen2-MoE) rather
    /// than added as it is (GraniteMoeShared's `shared_mlp`).
    public var sharedExpertGated: Bool = true
    /// Qwen MoE: the layers with a dense MLP (`intermediate_size` wide) instead of the mixture
    /// (`mlp_only_layers`, `decoder_sparse_step`); empty elsewhere.
    public var denseLayers: [Int] = []
    /// How the experts are chosen and weighted (`.softmaxTopK` but PhiMoE's `.sparseMixer`).
    public var kind: RoutingKind = .softmaxTopK

    /// A routing from its two sizes (not checked; the config checks them).
    public init(count: Int, topK: Int) { (self.count, self.topK) = (count, topK) }
}

/// How a sparse mixture turns its router logits into chosen experts and their weights.
public enum RoutingKind: Sendable, Equatable {
    /// `softmax` over all experts, the top `k` (`torch.topk`), divided by their sum when
    /// `renormalizes` (Mixtral's `MixtralSparseMoeBlock`, Qwen MoE, OLMoE, GraniteMoE's order).
    case softmaxTopK
    /// transformers' `sparsemixer(scores, jitter_eps, training=False)` (`PhimoeSparseMoeBlock`):
    /// always two experts; the first the arg-max logit, weighted by a softmax over the logits within
    /// `2·jitter` (relative) of it; the second the same over the rest (SparseMixer.swift).
    /// `jitter` is `router_jitter_noise`.
    case sparseMixer(jitter: Double)
}

/// Elementwise non-linearities, by Hugging Face's `hidden_act` / `activation_function` names
/// (transformers' `ACT2FN`; every entry but the learnable `prelu`).
public enum Activation: String, Sendable, Equatable, CaseIterable {
    /// GELU with erf (`gelu`, `gelu_python`).
    case gelu = "gelu"
    /// GELU, tanh approximation (`gelu_new`, `gelu_pytorch_tanh`, `gelu_fast`, `gelu_accurate`:
    /// the same function; `gelu_fast` writes √(2/π) as 0.7978845608).
    case geluTanh = "gelu_new"
    /// `x·σ(1.702x)`.
    case quickGelu = "quick_gelu"
    /// `max(x, 0)`.
    case relu = "relu"
    /// `x·σ(x)` (`silu`, `swish`).
    case silu = "silu"
    /// GELU (erf) clipped to [−10, 10].
    case gelu10 = "gelu_10"
    /// `0.5·(1 + erf((x − 0.707107)/(0.282095·√2)))` (MEGA).
    case laplace = "laplace"
    /// `x` for x > 0, else `0.01·x`.
    case leakyRelu = "leaky_relu"
    /// The identity.
    case linear = "linear"
    /// `x·tanh(softplus(x))`.
    case mish = "mish"
    /// `max(x, 0)²`.
    case relu2 = "relu2"
    /// `min(max(x, 0), 6)`.
    case relu6 = "relu6"
    /// `σ(x)`.
    case sigmoid = "sigmoid"
    /// `tanh(x)`.
    case tanh = "tanh"

    /// Maps a config string; `nil` when unsupported.
    public init?(huggingFaceName name: String) {
        switch name {
        case "gelu", "gelu_python": self = .gelu
        case "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate": self = .geluTanh
        case "swish": self = .silu
        default:
            guard let activation = Activation(rawValue: name) else { return nil }
            self = activation
        }
    }

    /// The config strings `init(huggingFaceName:)` accepts.
    public static let huggingFaceNames = [
        "gelu", "gelu_python", "gelu_new", "gelu_pytorch_tanh", "gelu_fast", "gelu_accurate", "gelu_10",
        "quick_gelu", "relu", "relu2", "relu6", "leaky_relu", "silu", "swish", "mish", "laplace", "linear",
        "sigmoid", "tanh",
    ]

    /// Why a config's activation name is refused, one line: `prelu` (a learnable nn.PReLU with a
    /// weight of its own, not a fixed function) gets its own reason; any other name lists the
    /// supported ones.
    public static func refusal(of name: String) -> String {
        if name == "prelu" {
            return "'prelu' is not supported: it is a learnable nn.PReLU module with its own weight, not a fixed function"
        }
        return "'\(name)' is not supported; supported: \(huggingFaceNames.joined(separator: ", "))"
    }
}

/// Which keys a query may see.
public enum AttentionMask: Sendable, Equatable {
    /// Only keys at or before the query (decoders).
    case causal
    /// Every key (encoders).
    case bidirectional
}

/// The output layer on top of the blocks.
public enum HeadKind: Sendable, Equatable {
    /// Next-token logits at every position, `[n, V]`.
    case languageModel
    /// BERT's masked-LM head: dense, activation, LayerNorm, decoder (tied) plus bias, `[n, V]`.
    case maskedLanguageModel
    /// One pooled position → class logits `[1, labels]`, with names from `id2label`: the first
    /// token for encoders (`[CLS]`), the last non-pad token for decoders (`ClassifierPooling`).
    case sequenceClassification(labels: [String], pooling: ClassifierPooling = .firstToken)
    /// ELECTRA's discriminator (`ElectraForPreTraining`, replaced-token detection; Clark et al.
    /// 2020 §2): dense, `hidden_act`, `dense_prediction` → one logit per token, `[n, 1]` (above 0:
    /// the token is judged replaced).
    case replacedTokenDetection
    /// An encoder without a prediction head (sentence-embedding models).
    case none

    /// True when the head predicts over the token vocabulary.
    public var predictsTokens: Bool {
        switch self {
        case .languageModel, .maskedLanguageModel: true
        case .sequenceClassification, .replacedTokenDetection, .none: false
        }
    }

    /// True when the head scores every position on its own (LM, masked LM, replaced-token
    /// detection), so a position can be chosen to predict or explain; false for a pooled classifier.
    public var scoresEachPosition: Bool {
        switch self {
        case .languageModel, .maskedLanguageModel, .replacedTokenDetection: true
        case .sequenceClassification, .none: false
        }
    }

    /// A classifier's class names (`config.json`'s `id2label`, in index order); nil for other heads.
    public var classLabels: [String]? {
        if case .sequenceClassification(let labels, _) = self { labels } else { nil }
    }

    /// The names of the outputs that are not tokens: a classifier's ``classLabels``, and
    /// `["replaced"]`, the one output of replaced-token detection; nil for token heads and none.
    public var outputLabels: [String]? {
        self == .replacedTokenDetection ? ["replaced"] : classLabels
    }
}
