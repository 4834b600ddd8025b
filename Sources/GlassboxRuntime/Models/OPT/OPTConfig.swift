import Foundation

/// `config.json` of OPT (`model_type` `opt`: facebook/opt-125m … opt-66b), with the defaults of
/// transformers 4.53.3's `OPTConfig`. `OPTDecoderLayer` is a pre-LayerNorm block
/// (`do_layer_norm_before`, the default; opt-125m, 1.3b, …) or a post-LayerNorm one (opt-350m):
/// `self_attn_layer_norm` after the attention residual add and the layer's `final_layer_norm`
/// after the MLP's, as BERT's block. The MLP is `fc1`, `activation_function`, `fc2`; every linear of
/// a block has a bias iff `enable_bias`; LayerNorms (ε 1e-5, `nn.LayerNorm`'s default) have
/// `γ` and `β`. Positions are a learned table read 2 rows on
/// (`OPTLearnedPositionalEmbedding.offset`). Token embeddings are `word_embed_proj_dim` wide, with
/// `project_in` / `project_out` (no bias) to and from `hidden_size` when the two differ. `dropout`,
/// `attention_dropout` and `layerdrop` are inactive at inference.
public struct OPTConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50272).
    public var vocabSize: Int
    /// `hidden_size`: residual width `d` (default 768).
    public var hiddenSize: Int
    /// `word_embed_proj_dim`: width of the token table and of `lm_head`'s input (default, and when
    /// null, `hidden_size`).
    public var wordEmbedProjDim: Int
    /// `num_hidden_layers`: number of blocks (default 12).
    public var numHiddenLayers: Int
    /// `num_attention_heads`: heads `H`, dividing `d` (default 12).
    public var numAttentionHeads: Int
    /// `ffn_dim`: MLP width `dff` (default 3072).
    public var ffnDim: Int
    /// `max_position_embeddings`: the longest input; the table has 2 rows more (default 2048).
    public var maxPositionEmbeddings: Int
    /// `activation_function`: the MLP activation, Hugging Face name (default `relu`).
    public var activationFunction: String
    /// `do_layer_norm_before`: pre-LayerNorm blocks and a final LayerNorm (default true); false:
    /// post-LayerNorm blocks, no final LayerNorm.
    public var doLayerNormBefore: Bool
    /// `enable_bias`: the attention and MLP linears have biases (default true).
    public var enableBias: Bool
    /// `tie_word_embeddings`: `lm_head.weight` is `embed_tokens.weight` (default true).
    public var tieWordEmbeddings: Bool

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case wordEmbedProjDim = "word_embed_proj_dim"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case ffnDim = "ffn_dim"
        case maxPositionEmbeddings = "max_position_embeddings"
        case activationFunction = "activation_function"
        case doLayerNormBefore = "do_layer_norm_before"
        case removeFinalLayerNorm = "_remove_final_layer_norm"
        case enableBias = "enable_bias"
        case layerNormElementwiseAffine = "layer_norm_elementwise_affine"
        case tieWordEmbeddings = "tie_word_embeddings"
        case dropout
        case attentionDropout = "attention_dropout"
        case layerdrop
    }

    /// Decodes `config.json` with `OPTConfig`'s defaults and refuses, naming the key: sizes that are
    /// not positive; `num_attention_heads` not dividing `hidden_size` (`OPTAttention` raises);
    /// an activation outside `ACT2FN`'s fixed functions; `layer_norm_elementwise_affine` false or
    /// null (LayerNorms without parameters: not supported); `_remove_final_layer_norm` true with
    /// pre-LayerNorm blocks (checkpoints fine-tuned before transformers 4.20.1, whose pre-norm
    /// stack ends without a final LayerNorm: not in Glassbox's runtime); a null `dropout`
    /// (`OPTDecoderLayer` passes it to `nn.functional.dropout`, which fails).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.dropout])   // unread, but OPTDecoderLayer's nn.functional.dropout fails on None
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50272)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 768)
        // OPTConfig: word_embed_proj_dim if word_embed_proj_dim is not None else hidden_size.
        wordEmbedProjDim = try c.decodeIfPresent(Int.self, forKey: .wordEmbedProjDim) ?? hiddenSize
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 12)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 12)
        ffnDim = try c.value(refusingNull: .ffnDim, default: 3072)
        maxPositionEmbeddings = try c.value(refusingNull: .maxPositionEmbeddings, default: 2048)
        activationFunction = try c.value(refusingNull: .activationFunction, default: "relu")
        doLayerNormBefore = try c.value(.doLayerNormBefore, default: true)
        enableBias = try c.value(.enableBias, default: true)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)

        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, "hidden_size"),
                             (wordEmbedProjDim, "word_embed_proj_dim"), (numHiddenLayers, "num_hidden_layers"),
                             (numAttentionHeads, "num_attention_heads"), (ffnDim, "ffn_dim"),
                             (maxPositionEmbeddings, "max_position_embeddings")] {
            try requirePositive(value, key)
        }
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads",
                                        detail: "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize))")
        }
        _ = try configActivation(activationFunction, key: "activation_function")
        // false or null: LayerNorms without γ and β. transformers builds them only through
        // from_pretrained (a fresh model fails in _init_weights) and then ignores the stored γ and β.
        // (One message for every spelling read as false: BooleanFieldTests asks them to act alike.)
        if try !c.value(.layerNormElementwiseAffine, default: true) {
            throw ConfigValidationError(key: "layer_norm_elementwise_affine", detail:
                "reads as false: LayerNorms without a weight and bias (from_pretrained then ignores the stored ones) are not supported")
        }
        // Read in every config (an ambiguous spelling is refused as elsewhere), acted on only before LN.
        let removeFinalLayerNorm = try c.value(.removeFinalLayerNorm, default: false)
        if doLayerNormBefore, removeFinalLayerNorm {
            throw ConfigValidationError(key: "_remove_final_layer_norm", detail:
                "is true: a pre-LayerNorm OPT without its final LayerNorm (checkpoints fine-tuned before transformers 4.20.1) is not supported")
        }
    }

    /// Per-head width `dh = d / H` (`OPTAttention.head_dim`).
    var headDim: Int { hiddenSize / numAttentionHeads }

    /// Whether the token table is narrower or wider than the residual stream (`project_in`,
    /// `project_out` exist).
    var projects: Bool { wordEmbedProjDim != hiddenSize }

    /// The typed architecture: pre- or post-LayerNorm blocks (`do_layer_norm_before`), learned
    /// positions, a standard MLP, causal attention scaled by `1/√dh` (`OPTAttention.scaling`, which
    /// transformers multiplies into the queries before the product), an LM head.
    func architecture() -> Architecture {
        Architecture(
            modelType: "opt", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numAttentionHeads, headDim: headDim, dFF: ffnDim, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .layerNorm(eps: 1e-5),
            placement: doLayerNormBefore ? .pre : .post, position: .learned, mlp: .standard,
            activation: Activation(huggingFaceName: activationFunction)!, mask: .causal,
            attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel)
    }
}
