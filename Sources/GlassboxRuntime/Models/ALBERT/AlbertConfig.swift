/// `config.json` of a Hugging Face ALBERT checkpoint (`model_type: albert`; Lan et al. 2020, "ALBERT:
/// A Lite BERT"), with `AlbertConfig`'s defaults (transformers 4.53.3). ALBERT is BERT's post-LN
/// encoder with two parameter reductions: the embedding tables are `embedding_size` (`E`) wide and
/// mapped to `hidden_size` (`d`) by one linear layer (factorised embeddings, §3.1), and the layers are
/// shared across depth: `num_hidden_layers` applications of `num_hidden_groups` groups of
/// `inner_group_num` layers each (cross-layer sharing, §3.1).
public struct AlbertConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 30000).
    public var vocabSize: Int
    /// `embedding_size`: width `E` of the embedding tables and the MLM head's LayerNorm (default 128).
    public var embeddingSize: Int
    /// `hidden_size`: residual width `d` (default 4096).
    public var hiddenSize: Int
    /// `num_hidden_layers`: applications of a layer group (default 12).
    public var numHiddenLayers: Int
    /// `num_hidden_groups`: distinct layer groups (default 1).
    public var numHiddenGroups: Int
    /// `inner_group_num`: layers in each group (default 1).
    public var innerGroupNum: Int
    /// `num_attention_heads`: heads per layer, dividing `hiddenSize` (default 64).
    public var numAttentionHeads: Int
    /// `intermediate_size`: FFN width (default 16384).
    public var intermediateSize: Int
    /// `hidden_act`: the FFN's and the MLM head's activation (default `gelu_new`).
    public var hiddenAct: String
    /// `max_position_embeddings`: rows of the position table, the longest input (default 512).
    public var maxPositionEmbeddings: Int
    /// `type_vocab_size`: number of token types (default 2).
    public var typeVocabSize: Int
    /// `layer_norm_eps`: ε of every LayerNorm (default 1e-12).
    public var layerNormEps: Float
    /// Class names by index, from `id2label` (`LABEL_i` where absent).
    public var labels: [String]
    /// `classifier_dropout_prob` is written as null: `AlbertForSequenceClassification` fails building
    /// its `nn.Dropout` on it (the other classes never read it), so the classifier head refuses it.
    public var classifierDropoutIsNull: Bool
    /// `initializer_range` is written as null: `AlbertForMaskedLM` fails loading (`from_pretrained`
    /// initialises the decoder's bias, `normal_(std=None)`), so the masked-LM head refuses it.
    public var initializerRangeIsNull: Bool

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case embeddingSize = "embedding_size"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numHiddenGroups = "num_hidden_groups"
        case innerGroupNum = "inner_group_num"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case maxPositionEmbeddings = "max_position_embeddings"
        case typeVocabSize = "type_vocab_size"
        case layerNormEps = "layer_norm_eps"
        case positionEmbeddingType = "position_embedding_type"
        case hiddenDropoutProb = "hidden_dropout_prob"
        case attentionProbsDropoutProb = "attention_probs_dropout_prob"
        case classifierDropoutProb = "classifier_dropout_prob"
        case initializerRange = "initializer_range"
        case id2label
        case numLabels = "num_labels"
    }

    /// Decodes `config.json`, filling absent keys with `transformers`' defaults, and checks it: sizes
    /// positive, ε > 0, heads dividing `hidden_size` (AlbertAttention's output `dense` takes `d`
    /// inputs, so other counts fail in transformers' forward), a supported activation, absolute
    /// positions. Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        // Unread, but transformers fails building nn.Dropout on a null one (classifier_dropout_prob:
        // the classifier's only, AlbertLoader).
        try c.refuseNulls([.hiddenDropoutProb, .attentionProbsDropoutProb])
        vocabSize = try c.value(refusingNull: .vocabSize, default: 30000)
        embeddingSize = try c.value(refusingNull: .embeddingSize, default: 128)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 4096)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 12)
        numHiddenGroups = try c.value(refusingNull: .numHiddenGroups, default: 1)
        innerGroupNum = try c.value(refusingNull: .innerGroupNum, default: 1)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 64)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: 16384)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "gelu_new")
        maxPositionEmbeddings = try c.value(refusingNull: .maxPositionEmbeddings, default: 512)
        typeVocabSize = try c.value(refusingNull: .typeVocabSize, default: 2)
        layerNormEps = try c.value(refusingNull: .layerNormEps, default: 1e-12)

        let sizes = [("vocab_size", vocabSize), ("embedding_size", embeddingSize), ("hidden_size", hiddenSize),
                     ("num_hidden_layers", numHiddenLayers), ("num_hidden_groups", numHiddenGroups),
                     ("inner_group_num", innerGroupNum), ("num_attention_heads", numAttentionHeads),
                     ("intermediate_size", intermediateSize), ("max_position_embeddings", maxPositionEmbeddings)]
        for (key, value) in sizes { try requirePositive(value, key) }
        try requireNormEpsilon(layerNormEps, "layer_norm_eps")
        guard typeVocabSize >= 0 else {
            throw ConfigValidationError(key: "type_vocab_size", detail: "must not be negative")
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads", detail:
                "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize)); AlbertAttention's dense takes hidden_size inputs")
        }
        _ = try configActivation(hiddenAct, key: "hidden_act")
        let positions = try c.value(.positionEmbeddingType, default: "absolute", refusingNull:
            "transformers then adds no position embeddings, which is not supported; supported: absolute")
        guard positions == "absolute" else {
            throw ConfigValidationError(key: "position_embedding_type", detail: "'\(positions)' is not supported; supported: absolute")
        }
        labels = try c.classLabels(id2label: .id2label, numLabels: .numLabels)
        classifierDropoutIsNull = try c.contains(.classifierDropoutProb) && c.decodeNil(forKey: .classifierDropoutProb)
        initializerRangeIsNull = try c.contains(.initializerRange) && c.decodeNil(forKey: .initializerRange)
        // Applications are not stored tensors (CheckpointCounts cannot bound them): a hostile count
        // must not size a huge layer array.
        guard numHiddenLayers <= Self.maxLayers / innerGroupNum else {
            throw ConfigValidationError(key: "num_hidden_layers", detail:
                "(\(numHiddenLayers)) times inner_group_num (\(innerGroupNum)) is more than the \(Self.maxLayers) shared-layer applications Glassbox runs")
        }
        try checkHeadMaskSlices()
    }

    /// `AlbertTransformer.forward` hands group `g` the entries `[g·k, (g+1)·k)` of its per-layer
    /// head mask (`k = int(num_hidden_layers / num_hidden_groups)`, `num_hidden_layers` entries) and
    /// `AlbertLayerGroup` indexes one per inner layer: transformers fails (IndexError) when a group
    /// that runs gets fewer than `inner_group_num` of them, so such configs are refused.
    private func checkHeadMaskSlices() throws {
        let perGroup = numHiddenLayers / numHiddenGroups
        for g in Set((0..<numHiddenLayers).map(group(ofApplication:))).sorted() {
            let slice = max(0, min((g + 1) * perGroup, numHiddenLayers) - g * perGroup)
            guard innerGroupNum <= slice else {
                throw ConfigValidationError(key: "inner_group_num", detail:
                    "(\(innerGroupNum)) is more than the \(slice) head-mask entries transformers gives layer group \(g) "
                    + "(int(num_hidden_layers / num_hidden_groups) = int(\(numHiddenLayers) / \(numHiddenGroups)) per group), "
                    + "where AlbertLayerGroup fails with an IndexError")
            }
        }
    }

    /// The most layer applications (`num_hidden_layers · inner_group_num`) a config may ask for
    /// (albert-xxlarge runs 12).
    public static let maxLayers = 4096

    /// The group application `i` (of `num_hidden_layers`) runs, as `AlbertTransformer.forward`
    /// computes it: `int(i / (num_hidden_layers / num_hidden_groups))` in floating point.
    public func group(ofApplication i: Int) -> Int {
        Int(Double(i) / (Double(numHiddenLayers) / Double(numHiddenGroups)))
    }

    /// The typed architecture: one Glassbox layer per application of a shared `AlbertLayer`
    /// (`num_hidden_layers · inner_group_num` of them), post-LN, learned positions.
    func architecture(head: HeadKind) -> Architecture {
        let headDim = hiddenSize / numAttentionHeads
        return Architecture(
            modelType: "albert", layers: numHiddenLayers * innerGroupNum, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numAttentionHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .layerNorm(eps: layerNormEps), placement: .post,
            position: .learned, mlp: .standard, activation: Activation(huggingFaceName: hiddenAct)!,
            mask: .bidirectional, attentionScale: 1 / Float(headDim).squareRoot(),
            scaleAttentionByInverseLayer: false, tokenTypes: typeVocabSize, head: head)
    }
}
