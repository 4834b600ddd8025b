/// `config.json` of a Hugging Face BERT checkpoint (`model_type: bert`), with the library's defaults.
public struct BertConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 30522).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 768).
    public var hiddenSize: Int
    /// `num_hidden_layers`: number of blocks (default 12).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: heads per layer, dividing `hiddenSize` (default 12).
    public var numAttentionHeads: Int
    /// `intermediate_size`: MLP width `dff` (default 3072).
    public var intermediateSize: Int
    /// `hidden_act`: the activation's Hugging Face name (default `gelu`).
    public var hiddenAct: String
    /// `max_position_embeddings`: rows of the position table, the longest input (default 512).
    public var maxPositionEmbeddings: Int
    /// `type_vocab_size`: number of token types (segments), ≥ 0 (default 2).
    public var typeVocabSize: Int
    /// `layer_norm_eps`: ε of every LayerNorm (default 1e-12).
    public var layerNormEps: Float
    /// Class names by index, from `id2label` (`LABEL_i` where absent).
    public var labels: [String]

    enum CodingKeys: String, CodingKey {
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case hiddenDropoutProb = "hidden_dropout_prob"
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
        case id2label
        case numLabels = "num_labels"
        case isDecoder = "is_decoder"
    }

    /// The sizes a config class fills in where `config.json` leaves them out: BertConfig's
    /// (768 wide, 12 layers of 12 heads) or ElectraConfig's (256 wide, 12 layers of 4 heads).
    struct Defaults {
        /// `hidden_size`, `num_attention_heads`, `intermediate_size` defaults.
        var hiddenSize: Int, numAttentionHeads: Int, intermediateSize: Int
        /// BertConfig's (and RobertaConfig's) defaults.
        static let bert = Defaults(hiddenSize: 768, numAttentionHeads: 12, intermediateSize: 3072)
        /// ElectraConfig's defaults (its `embedding_size` default, 128, is ElectraConfig's own field).
        static let electra = Defaults(hiddenSize: 256, numAttentionHeads: 4, intermediateSize: 1024)
    }

    /// Decodes `config.json`, filling absent keys with `transformers`' defaults, and checks it:
    /// sizes positive, ε > 0, heads dividing the width, a supported activation, absolute positions, not a
    /// decoder. Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        try self.init(from: decoder, defaults: .bert)
    }

    /// Decodes and checks `config.json` as ``init(from:)`` does, absent sizes taken from `defaults`.
    init(from decoder: Decoder, defaults: Defaults) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.attentionProbsDropoutProb, .hiddenDropoutProb])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 30522)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: defaults.hiddenSize)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 12)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: defaults.numAttentionHeads)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: defaults.intermediateSize)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "gelu")
        maxPositionEmbeddings = try c.value(refusingNull: .maxPositionEmbeddings, default: 512)
        typeVocabSize = try c.value(refusingNull: .typeVocabSize, default: 2)
        layerNormEps = try c.value(refusingNull: .layerNormEps, default: 1e-12)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"),
                             (numHiddenLayers, "num_hidden_layers"), (numAttentionHeads, "num_attention_heads"),
                             (intermediateSize, "intermediate_size"), (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEps, "layer_norm_eps")
        guard typeVocabSize >= 0 else {
            throw ConfigValidationError(key: "type_vocab_size", detail: "must not be negative")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads",
                                        detail: "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize))")
        }
        _ = try configActivation(hiddenAct, key: "hidden_act")
        let positions = try c.value(.positionEmbeddingType, default: "absolute", refusingNull:
            "transformers then adds no position embeddings, which is not supported; supported: absolute")
        guard positions == "absolute" else {
            throw ConfigValidationError(key: "position_embedding_type",
                                        detail: "'\(positions)' is not supported; supported: absolute")
        }
        if try c.value(.isDecoder, default: false) {
            throw ConfigValidationError(key: "is_decoder", detail: "is true; BERT-architecture models (BERT, RoBERTa, XLM-R, CamemBERT, ELECTRA) as decoders are not supported")
        }
        labels = try c.classLabels(id2label: .id2label, numLabels: .numLabels)
    }

    func architecture(head: HeadKind) -> Architecture {
        let headDim = hiddenSize / numAttentionHeads
        return Architecture(
            modelType: "bert", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numAttentionHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .layerNorm(eps: layerNormEps), placement: .post,
            position: .learned, mlp: .standard, activation: Activation(huggingFaceName: hiddenAct)!,
            mask: .bidirectional, attentionScale: 1 / Float(headDim).squareRoot(),
            scaleAttentionByInverseLayer: false, tokenTypes: typeVocabSize, head: head)
    }
}
