import Foundation
import GlassboxTensor

/// The embedding tables.
public struct EmbeddingWeights: Sendable {
    /// `[V, d]`, in the checkpoint's dtype (rows are converted as they are looked up).
    public let token: WeightMatrix
    /// `[contextLength, d]` for learned positions.
    public let position: Tensor?
    /// `[tokenTypes, d]` (BERT segments).
    public let tokenType: Tensor?
    /// LayerNorm over the embedding sum (BERT).
    public let norm: Norm?
    /// Vision: the patch projection `C·P·P → d` (a stride-P convolution, weight `[d, C·P·P]`).
    public let patch: Linear?
    /// Vision: the `[CLS]` embedding `[d]`, prepended to the patches.
    public let classToken: Tensor?
    /// Gemma: the token rows are multiplied by this (`√d` rounded to the checkpoint's dtype) before
    /// `hook_embed`; `nil` elsewhere.
    public var scale: Float? = nil
    /// RoBERTa's `padding_idx` (the pad token id): token `i` then takes position row
    /// `paddingIndex + (non-pad tokens among 0…i)`, a pad token row `paddingIndex`; `nil`: row `i`.
    public var paddingIndex: Int? = nil
    /// A linear map `E → d` (weight `[d, E]`) after the embedding norm, when the tables are `E` wide
    /// and the residual stream `d` (ELECTRA's `embeddings_project` where `embedding_size ≠ hidden_size`,
    /// ALBERT's `embedding_hidden_mapping_in`): the first residual stream (`blocks.0.hook_resid_pre`) is
    /// its output. `nil` elsewhere.
    public var projection: Linear? = nil

    /// Embedding tables from their parts, as listed above (shapes not checked; the loaders
    /// check them against the config).
    public init(token: WeightMatrix, position: Tensor?, tokenType: Tensor?, norm: Norm?,
                patch: Linear? = nil, classToken: Tensor? = nil) {
        (self.token, self.position, self.tokenType, self.norm) = (token, position, tokenType, norm)
        (self.patch, self.classToken) = (patch, classToken)
    }

    /// Embedding tables with an f32 token table `[V, d]` (see the other initialiser).
    public init(token: Tensor, position: Tensor?, tokenType: Tensor?, norm: Norm?,
                patch: Linear? = nil, classToken: Tensor? = nil) {
        self.init(token: WeightMatrix(token), position: position, tokenType: tokenType, norm: norm,
                  patch: patch, classToken: classToken)
    }
}

/// One attention layer's projections, each in the checkpoint's layout.
public struct AttentionWeights: Sendable {
    /// `d → H·dh`.
    public let query: Linear
    /// `d → Hkv·dh`.
    public let key: Linear
    /// `d → Hkv·dh`.
    public let value: Linear
    /// `H·dh → d`.
    public let output: Linear
    /// QK-norm (Qwen3): an RMSNorm over each query head's `dh` values, before the rotary
    /// embedding (`γ [dh]`); `nil` in models without it.
    public var queryNorm: Norm? = nil
    /// QK-norm on each key head, as `queryNorm`.
    public var keyNorm: Norm? = nil
}

/// One MLP's projections.
public struct MLPWeights: Sendable {
    /// `d → dff` (the gate in gated MLPs, whose activation is applied). In a mixture of experts,
    /// expert 0's (read `mixture` for all of them).
    public let input: Linear
    /// `d → dff`, the up projection of gated MLPs (mixture: expert 0's).
    public let up: Linear?
    /// `dff → d` (mixture: expert 0's).
    public let output: Linear
    /// A sparse mixture of experts (Mixtral) replacing this MLP; `nil` for a dense one.
    public var mixture: MixtureWeights? = nil
}

/// A sparse mixture of experts: a router and `E` gated MLPs, and optionally a shared expert
/// every position runs (Qwen2-MoE).
public struct MixtureWeights: Sendable {
    /// `d → E`, the router (Mixtral's `gate`), no bias.
    public let router: Linear
    /// `E` gated MLPs: `input` = `w1` (activated), `up` = `w3`, `output` = `w2`.
    public let experts: [MLPWeights]
    /// `k`, the experts each position uses (`Architecture.experts.topK`).
    public let topK: Int
    /// Whether the chosen experts' probabilities are divided by their sum (Mixtral always; Qwen MoE
    /// with `norm_topk_prob`); otherwise they weight the experts as the softmax gave them.
    public var renormalizes: Bool = true
    /// How the experts are chosen and weighted (`ExpertRouting.kind`; PhiMoE's `.sparseMixer`).
    public var kind: RoutingKind = .softmaxTopK
    /// Qwen2-MoE's `shared_expert` and its gate; `nil` elsewhere.
    public var shared: SharedExpertWeights? = nil
}

/// The shared expert of transformers' `Qwen2MoeSparseMoeBlock`: a gated MLP (`shared_expert`,
/// its own width) on every position, its output times `σ(shared_expert_gate·x)`; GraniteMoeShared's
/// `shared_mlp` has no gate (its output is added as it is). A class (immutable),
/// since a value type holding an `MLPWeights` inside `MLPWeights.mixture` would contain itself.
public final class SharedExpertWeights: Sendable {
    /// `gate_proj` (activated), `up_proj`, `down_proj`: `d → dffShared → d`.
    public let mlp: MLPWeights
    /// `shared_expert_gate`, `d → 1`, no bias (Qwen2-MoE); `nil`: no gate (GraniteMoeShared).
    public let gate: Linear?

    /// A shared expert from its MLP and gate (shapes not checked; the loader checks them).
    public init(mlp: MLPWeights, gate: Linear?) { (self.mlp, self.gate) = (mlp, gate) }
}

/// One transformer block.
public struct BlockWeights: Sendable {
    /// Pre-norm: the norm before attention. Post-norm (BERT): the norm after the attention
    /// residual add. Branch-output (OLMo 2): the norm on the attention output (`ln1_post`).
    public let ln1: Norm
    /// The self-attention projections.
    public let attention: AttentionWeights
    /// Pre-norm: the norm before the MLP. Post-norm (BERT): the norm after the MLP residual
    /// add, the block's output. Branch-output (OLMo 2): the norm on the MLP output (`ln2_post`).
    public let ln2: Norm
    /// The feed-forward projections.
    public let mlp: MLPWeights
    /// Sandwich blocks (Gemma 2, 3): the norm on the attention output, before the residual add
    /// (`ln1_post`); `nil` elsewhere.
    public var ln1Post: Norm? = nil
    /// Sandwich blocks: the norm on the MLP output (`ln2_post`); `nil` elsewhere.
    public var ln2Post: Norm? = nil
}

/// What sits on top of the blocks.
public struct HeadWeights: Sendable {
    /// Final norm of pre-norm models.
    public let finalNorm: Norm?
    /// BERT pooler `d → d` (tanh), on the first position; also RoBERTa's classifier `dense` and
    /// DistilBERT's `pre_classifier` (ReLU).
    public let pooler: Linear?
    /// BERT MLM head transform `d → d`, its activation and its LayerNorm.
    public let transform: Linear?
    /// BERT MLM head: the LayerNorm after `transform` and its activation.
    public let transformNorm: Norm?
    /// The output layer: `d → V` (LM / MLM decoder) or `d → labels` (classifier).
    public let unembed: Linear?
    /// The non-linearity after `pooler`.
    public var poolerActivation: PoolerActivation = .tanh
    /// A LayerNorm after the pooler's activation (ModernBERT's classifier: `ModernBertPredictionHead`'s
    /// `norm(act(dense(pooled)))`); nil elsewhere.
    public var poolerNorm: Norm? = nil
    /// The MLM head's activation when it is not the MLP's (RoBERTa's `lm_head` always uses GELU).
    public var transformActivation: Activation? = nil
    /// The checkpoint's Linears that `unembed` multiplies together, in the order they run (OPT:
    /// `project_out`, then `lm_head`); nil when `unembed` is the checkpoint's own layer. Rules
    /// that are not linear in the weights (Chefer's α1β0) take them one by one.
    public var unembedFactors: [Linear]? = nil
}

/// The non-linearity of a classifier's pooling layer on the first token.
public enum PoolerActivation: Sendable, Equatable {
    /// BERT's pooler and RoBERTa's classification head.
    case tanh
    /// DistilBERT's `pre_classifier`.
    case relu
    /// A model activation (ModernBERT's `classifier_activation`, through `ACT2FN`).
    case model(Activation)

    /// The function's name as the lens describes it: `tanh`, `ReLU`, or the activation's `ACT2FN` key.
    public var name: String {
        switch self {
        case .tanh: "tanh"
        case .relu: "ReLU"
        case .model(let activation): activation.rawValue
        }
    }

    /// Applies the function in place to `x` (any shape).
    public func apply(_ x: inout Tensor) {
        if case .model(let activation) = self { return activation.apply(&x) }
        x.withUnsafeMutableBufferPointer { buf in
            switch self {
            case .tanh: for i in buf.indices { buf[i] = tanhf(buf[i]) }
            case .relu, .model: for i in buf.indices { buf[i] = max(buf[i], 0) }
            }
        }
    }
}

/// All weights of a model: a read-only view analyses may use.
public struct TransformerWeights: Sendable {
    /// Token, position, token-type and patch embeddings.
    public let embeddings: EmbeddingWeights
    /// One entry per layer, in order (`architecture.layers` of them).
    public let blocks: [BlockWeights]
    /// Final norm, pooler, MLM transform and output layer.
    public let head: HeadWeights
    /// What `parameterCount` adds to the count of the tensors held, where a loader folded or
    /// reshaped the checkpoint's parameters (OPT: `project_in` / `project_out` multiplied into the
    /// token table and the output layer, the position table's 2 offset rows dropped); 0 elsewhere.
    public var parameterCountAdjustment: Int = 0
}
