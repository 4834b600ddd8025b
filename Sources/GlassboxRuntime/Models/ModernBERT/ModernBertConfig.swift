import Foundation

/// `config.json` of a ModernBERT checkpoint (`model_type` `modernbert`: answerdotai/ModernBERT-base,
/// -large and their fine-tunes), with the defaults of transformers 4.53.3's `ModernBertConfig`.
///
/// The computation (`modeling_modernbert.py`, eager attention): `tok_embeddings`, then the embedding
/// LayerNorm `norm` (no positions); pre-norm layers whose `attn_norm` is `nn.Identity` in layer 0
/// and a LayerNorm elsewhere; a fused `Wqkv` (q rows, then k, then v), rotary embeddings on the
/// whole head (`rotate_half`) with θ `global_rope_theta` in global layers and `local_rope_theta` in
/// local ones (`layer_id % global_attn_every_n_layers != 0`), where query `i` sees keys with
/// `|i − j| ≤ local_attention // 2` (`_update_attention_mask`); `Wo`; `mlp_norm`, then
/// `Wo(act(input) * gate)` with `input, gate = Wi(x).chunk(2)`; `final_norm`. Every LayerNorm has a
/// bias iff `norm_bias`. Dropouts (`*_dropout`) are inactive at inference; `reference_compile`,
/// `deterministic_flash_attn`, `sparse_prediction`, `sparse_pred_ignore_index` and
/// `repad_logits_with_grad` change nothing in an eager float32 forward without labels.
public struct ModernBertConfig: Decodable, Sendable, Equatable {
    /// `vocab_size` (default 50368).
    public var vocabSize: Int
    /// `hidden_size` `d` (default 768).
    public var hiddenSize: Int
    /// `intermediate_size`: the MLP width `dff`; `Wi` is `d → 2·dff` (default 1152).
    public var intermediateSize: Int
    /// `num_hidden_layers` (default 22).
    public var numHiddenLayers: Int
    /// `num_attention_heads`, dividing `hidden_size` (default 12).
    public var numAttentionHeads: Int
    /// `hidden_activation`, through `ACT2FN` (default `gelu`).
    public var hiddenActivation: String
    /// `max_position_embeddings` (default 8192, also for null): the longest input Glassbox runs (the
    /// eager rotary tables themselves have no limit, and transformers' eager path never reads it).
    public var maxPositionEmbeddings: Int
    /// `norm_eps`: ε of every LayerNorm (default 1e-5).
    public var normEps: Float
    /// `norm_bias`: the LayerNorms have a bias (default false).
    public var normBias: Bool
    /// `global_rope_theta` (default 160000).
    public var globalRopeTheta: Double
    /// `local_rope_theta` (default 10000; null: the global θ, as `ModernBertAttention` falls back).
    public var localRopeTheta: Double
    /// `attention_bias`: biases on `Wqkv` and `attn.Wo` (default false).
    public var attentionBias: Bool
    /// `global_attn_every_n_layers`: layer `l` is global iff `l % n == 0` (default 3).
    public var globalAttnEveryNLayers: Int
    /// `local_attention`: the local window; keys within `local_attention // 2` either side (default 128).
    public var localAttention: Int
    /// `mlp_bias`: biases on `Wi` and `mlp.Wo` (default false).
    public var mlpBias: Bool
    /// `decoder_bias`: the MLM decoder has a bias (default true).
    public var decoderBias: Bool
    /// `classifier_bias`: the prediction head's `dense` has a bias (default false).
    public var classifierBias: Bool
    /// `classifier_activation`: the prediction head's activation (default `gelu`).
    public var classifierActivation: String
    /// `classifier_pooling`: `cls` or `mean` (default `cls`; anything else fails in the config).
    public var classifierPooling: String
    /// The classifier's pooling: `cls` reads `final_norm`'s row 0, `mean` averages its rows
    /// (`ClassifierPooling.mean`).
    var pooling: ClassifierPooling { classifierPooling == "mean" ? .mean : .firstToken }
    /// `tie_word_embeddings`: the MLM decoder's weight is `tok_embeddings` (default true).
    public var tieWordEmbeddings: Bool
    /// The classes of `ModernBertForSequenceClassification` (`id2label`, else `num_labels`, default 2).
    public var labels: [String]
    /// `classifier_dropout` (default 0.0; nil when written `null`): only the classifiers read it,
    /// `torch.nn.Dropout(classifier_dropout)`, which raises for null or outside `[0, 1]`
    /// (``ModernBertLoader`` refuses those for a classifier; the masked LM never reads it).
    var classifierDropout: Double?

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case intermediateSize = "intermediate_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case hiddenActivation = "hidden_activation"
        case maxPositionEmbeddings = "max_position_embeddings"
        case normEps = "norm_eps"
        case normBias = "norm_bias"
        case globalRopeTheta = "global_rope_theta"
        case localRopeTheta = "local_rope_theta"
        case attentionBias = "attention_bias"
        case globalAttnEveryNLayers = "global_attn_every_n_layers"
        case localAttention = "local_attention"
        case mlpBias = "mlp_bias"
        case decoderBias = "decoder_bias"
        case classifierBias = "classifier_bias"
        case classifierActivation = "classifier_activation"
        case classifierPooling = "classifier_pooling"
        case tieWordEmbeddings = "tie_word_embeddings"
        case ropeScaling = "rope_scaling"
        case attentionDropout = "attention_dropout"
        case embeddingDropout = "embedding_dropout"
        case mlpDropout = "mlp_dropout"
        case classifierDropout = "classifier_dropout"
        case id2label
        case numLabels = "num_labels"
        }

    /// Decodes `config.json` with `ModernBertConfig`'s defaults and checks it: sizes positive, heads
    /// dividing the width (`ModernBertAttention` raises otherwise), ε > 0, supported activations,
    /// `classifier_pooling` `cls` or `mean` (the config raises otherwise), `global_attn_every_n_layers`
    /// positive (0 divides by zero; a negative one is refused too, though Python's `%` would run it),
    /// `local_attention` not negative (−1 and −2 would make `local_attention // 2` the flash-attention
    /// "no window" −1 and the layer global; below, every key is masked), and no `rope_scaling` other
    /// than the default type (`ModernBertRotaryEmbedding` calls the init function without the config,
    /// so every other type fails on it). A null where transformers multiplies or indexes is refused.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.attentionDropout, .embeddingDropout, .mlpDropout])   // classifier_dropout: the classifier's only
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50368)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 768)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: 1152)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 22)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 12)
        hiddenActivation = try c.value(refusingNull: .hiddenActivation, default: "gelu")
        maxPositionEmbeddings = try c.value(.maxPositionEmbeddings, default: 8192)   // null: the default (eager never reads it)
        normEps = try c.value(refusingNull: .normEps, default: 1e-5)
        normBias = try c.value(.normBias, default: false)
        globalRopeTheta = try c.value(refusingNull: .globalRopeTheta, default: 160000)
        localRopeTheta = try c.decodeIfPresent(Double.self, forKey: .localRopeTheta) ?? (
            c.contains(.localRopeTheta) ? globalRopeTheta : 10000)
        attentionBias = try c.value(.attentionBias, default: false)
        globalAttnEveryNLayers = try c.value(refusingNull: .globalAttnEveryNLayers, default: 3)
        localAttention = try c.value(refusingNull: .localAttention, default: 128)
        mlpBias = try c.value(.mlpBias, default: false)
        decoderBias = try c.value(.decoderBias, default: true)
        classifierBias = try c.value(.classifierBias, default: false)
        classifierActivation = try c.value(refusingNull: .classifierActivation, default: "gelu")
        classifierPooling = try c.value(.classifierPooling, default: "cls", refusingNull:
            "ModernBertConfig raises ValueError: it should be either \"cls\" or \"mean\"")
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)
        labels = try c.classLabels(id2label: .id2label, numLabels: .numLabels)
        classifierDropout = try c.nullPlace(of: .classifierDropout) != nil ? nil : try c.value(.classifierDropout, default: 0.0)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"),
                             (intermediateSize, "intermediate_size"), (numHiddenLayers, "num_hidden_layers"),
                             (numAttentionHeads, "num_attention_heads"),
                             (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads", detail:
                "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize)); ModernBertAttention raises ValueError otherwise")
        }
        try requireNormEpsilon(normEps, "norm_eps")
        try requirePositive(globalRopeTheta, "global_rope_theta")
        try requirePositive(localRopeTheta, "local_rope_theta")
        guard globalAttnEveryNLayers > 0 else {
            throw ConfigValidationError(key: "global_attn_every_n_layers", detail:
                "must be positive, got \(globalAttnEveryNLayers) (0 divides by zero in ModernBertAttention; a negative period is not supported)")
        }
        guard localAttention >= 0 else {
            throw ConfigValidationError(key: "local_attention", detail:
                "must not be negative, got \(localAttention) (a window of local_attention // 2 keys either side)")
        }
        guard ["cls", "mean"].contains(classifierPooling) else {
            throw ConfigValidationError(key: "classifier_pooling", detail:
                "'\(classifierPooling)' is invalid; ModernBertConfig raises ValueError: it should be either \"cls\" or \"mean\"")
        }
        _ = try configActivation(hiddenActivation, key: "hidden_activation")
        _ = try configActivation(classifierActivation, key: "classifier_activation")
        if let scaling = try c.decodeIfPresent([String: JSONValue].self, forKey: .ropeScaling) {
            let type = scaling["rope_type"] ?? scaling["type"]
            guard type == .string("default") else {
                throw ConfigValidationError(key: "rope_scaling", detail:
                    "is not supported for modernbert unless its type is 'default': ModernBertRotaryEmbedding calls the rope init function without the config, so any other type fails in transformers")
            }
        }
    }

    /// The field only `ModernBertForSequenceClassification` reads that can fail, checked when
    /// loading one: `classifier_dropout` null or outside `[0, 1]` (`torch.nn.Dropout` raises).
    func checkClassifier(file: URL) throws {
        guard let dropout = classifierDropout else {
            throw LoadError.invalidConfig(file: file.path, key: "classifier_dropout", detail:
                "is null; ModernBertForSequenceClassification builds torch.nn.Dropout(classifier_dropout), which fails on it")
        }
        guard (0...1).contains(dropout) else {
            throw LoadError.invalidConfig(file: file.path, key: "classifier_dropout", detail:
                "is \(configNumber(dropout)); torch.nn.Dropout raises ValueError outside [0, 1]")
        }
    }

    /// Whether layer `l` attends locally (`ModernBertAttention`: `layer_id % global_attn_every_n_layers != 0`).
    func isLocal(layer l: Int) -> Bool { l % globalAttnEveryNLayers != 0 }

    /// Pre-LayerNorm blocks with an embedding norm, rotary embeddings on the whole head (θ per layer
    /// kind: `position` the global table, `slidingRotary` the local one), bidirectional attention with
    /// a window of radius `local_attention // 2` in local layers, a gated MLP, scale `1/√dh`.
    func architecture(head: HeadKind) -> Architecture {
        let headDim = hiddenSize / numAttentionHeads
        func rope(_ theta: Double) -> RotaryEmbedding {
            RotaryEmbedding(dimensions: headDim, base: theta, scaling: .none, maxPositions: maxPositionEmbeddings)
        }
        var arch = Architecture(
            modelType: "modernbert", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numAttentionHeads, headDim: headDim, dFF: intermediateSize, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .layerNorm(eps: normEps), placement: .pre,
            position: .rotary(rope(globalRopeTheta)), mlp: .gated,
            activation: Activation(huggingFaceName: hiddenActivation)!, mask: .bidirectional,
            attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false, tokenTypes: 0,
            head: head)
        arch.slidingWindows = (0..<numHiddenLayers).map { isLocal(layer: $0) ? localAttention / 2 : nil }
        if arch.slidingWindows.contains(where: { $0 != nil }) { arch.slidingRotary = rope(localRopeTheta) }
        return arch
    }
}
