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
    /// `d → dff` (the gate in gated MLPs, whose activation is applied).
    public let input: Linear
    /// `d → dff`, the up projection of gated MLPs.
    public let up: Linear?
    /// `dff → d`.
    public let output: Linear
}

/// One transformer block.
public struct BlockWeights: Sendable {
    /// Pre-norm: the norm before attention. Post-norm (BERT): the norm after the attention
    /// residual add.
    public let ln1: Norm
    /// The self-attention projections.
    public let attention: AttentionWeights
    /// Pre-norm: the norm before the MLP. Post-norm (BERT): the norm after the MLP residual
    /// add, the block's output.
    public let ln2: Norm
    /// The feed-forward projections.
    public let mlp: MLPWeights
}

/// What sits on top of the blocks.
public struct HeadWeights: Sendable {
    /// Final norm of pre-norm models.
    public let finalNorm: Norm?
    /// BERT pooler `d → d` (tanh), on the first position.
    public let pooler: Linear?
    /// BERT MLM head transform `d → d`, its activation and its LayerNorm.
    public let transform: Linear?
    /// BERT MLM head: the LayerNorm after `transform` and its activation.
    public let transformNorm: Norm?
    /// The output layer: `d → V` (LM / MLM decoder) or `d → labels` (classifier).
    public let unembed: Linear?
}

/// All weights of a model: a read-only view analyses may use.
public struct TransformerWeights: Sendable {
    /// Token, position, token-type and patch embeddings.
    public let embeddings: EmbeddingWeights
    /// One entry per layer, in order (`architecture.layers` of them).
    public let blocks: [BlockWeights]
    /// Final norm, pooler, MLM transform and output layer.
    public let head: HeadWeights
}
