/// `config.json` of a Hugging Face DistilBERT checkpoint (`model_type: distilbert`), with the
/// library's defaults. DistilBERT names its sizes `dim`, `hidden_dim`, `n_layers`, `n_heads`; every
/// LayerNorm has ε = 1e-12 (fixed in `modeling_distilbert`), and there are no token types. Its
/// `attribute_map` aliases `hidden_size`, `num_attention_heads` and `num_hidden_layers` win over
/// `dim`, `n_heads` and `n_layers` when present, as `PretrainedConfig` sets them last.
public struct DistilBertConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 30522).
    public var vocabSize: Int
    /// `dim`: residual width `d` (default 768).
    public var dim: Int
    /// `n_layers`: number of blocks (default 6).
    public var layers: Int
    /// `n_heads`: heads per layer, dividing `dim` (default 12).
    public var heads: Int
    /// `hidden_dim`: MLP width `dff` (default 3072).
    public var hiddenDim: Int
    /// `activation`: the MLP and MLM-head activation's Hugging Face name (default `gelu`).
    public var activation: String
    /// `max_position_embeddings`: rows of the position table, the longest input (default 512).
    public var maxPositionEmbeddings: Int
    /// `sinusoidal_pos_embds`: the position table is the fixed sinusoid of Vaswani et al. (2017)
    /// rather than learned (default false); checkpoints store it either way.
    public var sinusoidalPositions: Bool
    /// Class names by index, from `id2label` (`LABEL_i` where absent).
    public var labels: [String]
    /// Whether `seq_classif_dropout` is written `null`: `DistilBertForSequenceClassification`
    /// builds `nn.Dropout` from it (a TypeError), the other heads never read it (``DistilBertLoader``).
    var classifierDropoutIsNull: Bool

    /// DistilBERT's LayerNorm ε (`nn.LayerNorm(dim, eps=1e-12)` throughout the model).
    static let layerNormEps: Float = 1e-12

    enum CodingKeys: String, CodingKey {
        case attentionDropout = "attention_dropout"
        case dropout = "dropout"
        case seqClassifDropout = "seq_classif_dropout"
        case vocabSize = "vocab_size"
        case dim
        case layers = "n_layers"
        case heads = "n_heads"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case hiddenDim = "hidden_dim"
        case activation
        case maxPositionEmbeddings = "max_position_embeddings"
        case sinusoidalPositions = "sinusoidal_pos_embds"
        case id2label
        case numLabels = "num_labels"
    }

    /// Decodes `config.json`, filling absent keys with `transformers`' defaults, and checks it:
    /// sizes positive, heads dividing the width, a supported activation. Violations throw an
    /// error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.attentionDropout, .dropout])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 30522)
        dim = try c.value(alias: .hiddenSize, over: .dim, default: 768)
        layers = try c.value(alias: .numHiddenLayers, over: .layers, default: 6)
        heads = try c.value(alias: .numAttentionHeads, over: .heads, default: 12)
        hiddenDim = try c.value(refusingNull: .hiddenDim, default: 3072)
        activation = try c.value(refusingNull: .activation, default: "gelu")
        maxPositionEmbeddings = try c.value(refusingNull: .maxPositionEmbeddings, default: 512)
        sinusoidalPositions = try c.value(.sinusoidalPositions, default: false)
        let dimKey = c.keyRead(alias: .hiddenSize, over: .dim)
        let layersKey = c.keyRead(alias: .numHiddenLayers, over: .layers)
        let headsKey = c.keyRead(alias: .numAttentionHeads, over: .heads)
        for (value, key) in [(vocabSize, "vocab_size"), (dim, dimKey), (layers, layersKey), (heads, headsKey),
                             (hiddenDim, "hidden_dim"), (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        guard dim % heads == 0 else {
            throw ConfigValidationError(key: headsKey, detail: "(\(heads)) must divide \(dimKey) (\(dim))")
        }
        _ = try configActivation(activation, key: "activation")
        labels = try c.classLabels(id2label: .id2label, numLabels: .numLabels)
        classifierDropoutIsNull = try c.nullPlace(of: .seqClassifDropout) != nil
    }

    /// The typed architecture: BERT's post-LN encoder without token types.
    func architecture(head: HeadKind) -> Architecture {
        let headDim = dim / heads
        return Architecture(
            modelType: "distilbert", layers: layers, dModel: dim, heads: heads, kvHeads: heads, headDim: headDim,
            dFF: hiddenDim, vocabSize: vocabSize, contextLength: maxPositionEmbeddings,
            norm: .layerNorm(eps: Self.layerNormEps), placement: .post, position: .learned, mlp: .standard,
            activation: Activation(huggingFaceName: activation)!, mask: .bidirectional,
            attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false, tokenTypes: 0,
            head: head)
    }
}
