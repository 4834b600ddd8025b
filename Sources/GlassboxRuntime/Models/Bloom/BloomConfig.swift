import Foundation

/// `config.json` of BLOOM (`model_type` `bloom`: bigscience/bloom-560m … bloom-176b, bloomz), with
/// the defaults of transformers 4.53.3's `BloomConfig`. Pre-LayerNorm blocks
/// (`input_layernorm`, `post_attention_layernorm`), a LayerNorm right after the token embedding
/// (`word_embeddings_layernorm`), no position embedding but ALiBi biases on the attention scores
/// (`build_alibi_tensor`), a fused `query_key_value` in the `[H, 3, dh]` layout, an MLP of width
/// `4·d` with the tanh GELU (`bloom_gelu_forward`), every linear with a bias, a tied `lm_head`.
/// `hidden_dropout` and `attention_dropout` are dropout, inactive at inference;
/// `pretraining_tp` > 1 with `slow_but_exact` splits the `dense` / `dense_4h_to_h` products into
/// `pretraining_tp` column slices of bias-free `F.linear` calls summed in turn: the summation order is
/// not reproduced, but the two output biases are dropped as there (``dropsOutputBiases``).
public struct BloomConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 250880).
    public var vocabSize: Int
    /// `hidden_size` (or `n_embed`, which wins when not null): residual width `d` (default 64).
    public var hiddenSize: Int
    /// `n_layer` (`num_hidden_layers`, its `attribute_map` alias, wins): number of blocks (default 2).
    public var nLayer: Int
    /// `n_head` (`num_attention_heads` wins): attention heads `H`, dividing `d` (default 8).
    public var nHead: Int
    /// `layer_norm_epsilon`: ε of every LayerNorm (default 1e-5).
    public var layerNormEpsilon: Float
    /// `tie_word_embeddings`: `lm_head.weight` is the token embedding table (default true).
    public var tieWordEmbeddings: Bool
    /// `pretraining_tp` > 1 and `slow_but_exact` (defaults 1, false): `BloomAttention` and
    /// `BloomMLP` then compute `dense` and `dense_4h_to_h` as sliced `F.linear(x, W)` without the
    /// layers' biases, which the checkpoint still stores (and `num_parameters()` counts).
    public var dropsOutputBiases: Bool

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case hiddenSize = "hidden_size"
        case nEmbed = "n_embed"
        case nLayer = "n_layer"
        case numHiddenLayers = "num_hidden_layers"
        case nHead = "n_head"
        case numAttentionHeads = "num_attention_heads"
        case layerNormEpsilon = "layer_norm_epsilon"
        case applyResidualConnectionPostLayernorm = "apply_residual_connection_post_layernorm"
        case hiddenDropout = "hidden_dropout"
        case attentionDropout = "attention_dropout"
        case pretrainingTP = "pretraining_tp"
        case slowButExact = "slow_but_exact"
        case tieWordEmbeddings = "tie_word_embeddings"
    }

    /// Decodes `config.json` with `BloomConfig`'s defaults and its `attribute_map`
    /// (`num_hidden_layers` → `n_layer`, `num_attention_heads` → `n_head`, set after the own keys,
    /// so they win) and refuses, naming the key: `apply_residual_connection_post_layernorm` true
    /// (the residual taken from the normed input: not a block shape of the runtime; every released
    /// BLOOM checkpoint sets false); `H` not dividing `d` (`BloomAttention` raises); null in the
    /// fields transformers computes with (`hidden_dropout`, `attention_dropout`, `pretraining_tp`).
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        if try c.value(.applyResidualConnectionPostLayernorm, default: false) {
            throw ConfigValidationError(key: "apply_residual_connection_post_layernorm", detail:
                "is true: BloomBlock then takes each residual from the LayerNorm's output, a block shape Glassbox's runtime does not have (released BLOOM checkpoints set false)")
        }
        try c.refuseNulls([.hiddenDropout, .attentionDropout, .pretrainingTP])
        vocabSize = try c.value(refusingNull: .vocabSize, default: 250880)
        let hiddenArgument = try c.value(refusingNull: .hiddenSize, default: 64)
        hiddenSize = try c.value(.nEmbed, default: hiddenArgument)        // kwargs.pop("n_embed", None)
        nLayer = try c.value(alias: .numHiddenLayers, over: .nLayer, default: 2)
        nHead = try c.value(alias: .numAttentionHeads, over: .nHead, default: 8)
        layerNormEpsilon = try c.value(refusingNull: .layerNormEpsilon, default: 1e-5)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)
        dropsOutputBiases = try c.value(.pretrainingTP, default: 1) > 1 && c.value(.slowButExact, default: false)

        let hiddenKey = (try? c.decodeIfPresent(Int.self, forKey: .nEmbed)) != nil ? "n_embed" : "hidden_size"
        for (value, key) in [(vocabSize, "vocab_size"), (hiddenSize, hiddenKey),
                             (nLayer, c.keyRead(alias: .numHiddenLayers, over: .nLayer)),
                             (nHead, c.keyRead(alias: .numAttentionHeads, over: .nHead))] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEpsilon, "layer_norm_epsilon")
        guard hiddenSize % nHead == 0 else {
            throw ConfigValidationError(key: c.keyRead(alias: .numAttentionHeads, over: .nHead),
                                        detail: "(\(nHead)) must divide hidden_size (\(hiddenSize))")
        }
    }

    /// Per-head width `dh = d / H` (`BloomAttention.head_dim`).
    var headDim: Int { hiddenSize / nHead }

    /// The typed architecture: pre-LayerNorm blocks, ALiBi positions (`PositionKind.alibiSlopes`),
    /// a standard MLP of width `4·d` with the tanh GELU, causal attention scaled by
    /// `inv_norm_factor = 1/√dh` (computed in double, as Python does), an LM head. No position
    /// table bounds the input: the context is unlimited (`Int.max`), as in transformers.
    func architecture() -> Architecture {
        Architecture(
            modelType: "bloom", layers: nLayer, dModel: hiddenSize, heads: nHead, kvHeads: nHead, headDim: headDim,
            dFF: 4 * hiddenSize, vocabSize: vocabSize, contextLength: Int.max,
            norm: .layerNorm(eps: layerNormEpsilon), placement: .pre,
            position: .alibi(slopes: PositionKind.alibiSlopes(heads: nHead)), mlp: .standard, activation: .geluTanh,
            mask: .causal, attentionScale: Float(1 / Double(headDim).squareRoot()), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel)
    }
}
