import GlassboxTensor

/// The embedding tables.
public struct EmbeddingWeights: Sendable {
    /// `[V, d]`.
    public let token: Tensor
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

    public init(token: Tensor, position: Tensor?, tokenType: Tensor?, norm: Norm?,
                patch: Linear? = nil, classToken: Tensor? = nil) {
        (self.token, self.position, self.tokenType, self.norm) = (token, position, tokenType, norm)
        (self.patch, self.classToken) = (patch, classToken)
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
    public let ln1: Norm
    public let attention: AttentionWeights
    public let ln2: Norm
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
    public let transformNorm: Norm?
    /// The output layer: `d → V` (LM / MLM decoder) or `d → labels` (classifier).
    public let unembed: Linear?
}

/// All weights of a model: a read-only view analyses may use.
public struct TransformerWeights: Sendable {
    public let embeddings: EmbeddingWeights
    public let blocks: [BlockWeights]
    public let head: HeadWeights
}
