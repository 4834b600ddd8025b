/// `config.json` of a Hugging Face GPT-2 checkpoint (`model_type: gpt2`), with the library's defaults.
public struct GPT2Config: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50257).
    public var vocabSize: Int
    /// `n_positions`: rows of the position table, the longest input (default 1024).
    public var nPositions: Int
    /// `n_embd`: residual width `d` (default 768).
    public var nEmbd: Int
    /// `n_layer`: number of blocks (default 12).
    public var nLayer: Int
    /// `n_head`: heads per layer, dividing `nEmbd` (default 12).
    public var nHead: Int
    /// MLP width; `null` means `4·n_embd`.
    public var nInner: Int?
    /// `activation_function`: the activation's Hugging Face name (default `gelu_new`).
    public var activationFunction: String
    /// `layer_norm_epsilon`: ε of every LayerNorm, > 0 (default 1e-5).
    public var layerNormEpsilon: Float
    /// `tie_word_embeddings`: the output layer reuses the token embeddings (default true).
    public var tieWordEmbeddings: Bool
    /// `scale_attn_weights`: divide scores by `√dh` (default true).
    public var scaleAttnWeights: Bool
    /// `scale_attn_by_inverse_layer_idx`: further divide layer `l`'s scores by `l + 1`
    /// (default false).
    public var scaleAttnByInverseLayerIdx: Bool

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case attnPdrop = "attn_pdrop"
        case embdPdrop = "embd_pdrop"
        case residPdrop = "resid_pdrop"
        case nPositions = "n_positions"
        case nEmbd = "n_embd"
        case nLayer = "n_layer"
        case nHead = "n_head"
        case nInner = "n_inner"
        case activationFunction = "activation_function"
        case layerNormEpsilon = "layer_norm_epsilon"
        case tieWordEmbeddings = "tie_word_embeddings"
        case scaleAttnWeights = "scale_attn_weights"
        case scaleAttnByInverseLayerIdx = "scale_attn_by_inverse_layer_idx"
        case addCrossAttention = "add_cross_attention"
        case hiddenSize = "hidden_size"
        case maxPositionEmbeddings = "max_position_embeddings"
        case numAttentionHeads = "num_attention_heads"
        case numHiddenLayers = "num_hidden_layers"
    }

    /// Decodes `config.json`, filling absent keys with `transformers`' defaults, and checks it:
    /// sizes positive, heads dividing the width, a supported activation, ε > 0, no cross-attention.
    /// `hidden_size`, `max_position_embeddings`, `num_attention_heads` and `num_hidden_layers` win
    /// over `n_embd`, `n_positions`, `n_head` and `n_layer`, as `GPT2Config.attribute_map` makes them.
    /// Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.attnPdrop, .embdPdrop, .residPdrop])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50257)
        // GPT2Config.attribute_map: the aliases win over n_positions, n_embd, n_layer, n_head.
        nPositions = try c.value(alias: .maxPositionEmbeddings, over: .nPositions, default: 1024)
        nEmbd = try c.value(alias: .hiddenSize, over: .nEmbd, default: 768)
        nLayer = try c.value(alias: .numHiddenLayers, over: .nLayer, default: 12)
        nHead = try c.value(alias: .numAttentionHeads, over: .nHead, default: 12)
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        activationFunction = try c.value(refusingNull: .activationFunction, default: "gelu_new")
        layerNormEpsilon = try c.value(refusingNull: .layerNormEpsilon, default: 1e-5)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)
        scaleAttnWeights = try c.value(.scaleAttnWeights, default: true)
        scaleAttnByInverseLayerIdx = try c.value(.scaleAttnByInverseLayerIdx, default: false)

        for (value, key) in [(vocabSize, "vocab_size"), (nPositions, "n_positions"), (nEmbd, "n_embd"),
                             (nLayer, "n_layer"), (nHead, "n_head")] {
            try requirePositive(value, key)
        }
        if let inner = nInner { try requirePositive(inner, "n_inner") }
        guard nEmbd % nHead == 0 else {
            throw ConfigValidationError(key: "n_head", detail: "(\(nHead)) must divide n_embd (\(nEmbd))")
        }
        _ = try configActivation(activationFunction, key: "activation_function")
        try requireNormEpsilon(layerNormEpsilon, "layer_norm_epsilon")
        if try c.value(.addCrossAttention, default: false) {
            throw ConfigValidationError(key: "add_cross_attention", detail: "is true; encoder-decoder GPT-2 is not supported")
        }
    }

    /// The typed architecture this config describes.
    func architecture(head: HeadKind) -> Architecture {
        let headDim = nEmbd / nHead
        return Architecture(
            modelType: "gpt2", layers: nLayer, dModel: nEmbd, heads: nHead, kvHeads: nHead, headDim: headDim,
            dFF: nInner ?? 4 * nEmbd, vocabSize: vocabSize, contextLength: nPositions,
            norm: .layerNorm(eps: layerNormEpsilon), placement: .pre, position: .learned, mlp: .standard,
            activation: Activation(huggingFaceName: activationFunction)!, mask: .causal,
            attentionScale: scaleAttnWeights ? 1 / Float(headDim).squareRoot() : 1,
            scaleAttentionByInverseLayer: scaleAttnByInverseLayerIdx, tokenTypes: 0, head: head)
    }
}
