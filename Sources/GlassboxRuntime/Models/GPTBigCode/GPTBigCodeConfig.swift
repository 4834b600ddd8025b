import Foundation

/// `config.json` of GPT-BigCode (`model_type` `gpt_bigcode`: StarCoder, StarCoderBase, SantaCoder's
/// transformers port, WizardCoder, tiny_starcoder), with the defaults of transformers 4.53.3's
/// `GPTBigCodeConfig`. `GPTBigCodeBlock` is GPT-2's pre-LayerNorm block (`ln_1`, attention, `ln_2`,
/// MLP `c_fc`, `activation_function`, `c_proj`) with `nn.Linear` weights and biases everywhere;
/// `GPTBigCodeAttention` has one key/value head (`multi_query`, the default) or one per query head.
/// `attention_softmax_in_fp32` and `scale_attention_softmax_in_fp32` only act on a half-precision
/// forward: `_attn` then divides the scores by `layer_idx + 1` before the float32 upcast and multiplies
/// them back inside it (`upcast_softmax`), which cancels in exact arithmetic; Glassbox computes in
/// float32, where transformers does not upcast and the factor is 1. Both are read only so that an
/// ambiguous spelling (`0.0`, `"false"`) is refused as for every other flag. `resid_pdrop`,
/// `embd_pdrop` and `attn_pdrop` are dropout, inactive at inference.
public struct GPTBigCodeConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50257).
    public var vocabSize: Int
    /// `n_positions` (alias `max_position_embeddings`, which wins): rows of the position table, the
    /// longest input (default 1024).
    public var nPositions: Int
    /// `n_embd` (alias `hidden_size`): residual width `d` (default 768).
    public var nEmbd: Int
    /// `n_layer` (alias `num_hidden_layers`): number of blocks (default 12).
    public var nLayer: Int
    /// `n_head` (alias `num_attention_heads`): query heads `H`, dividing `n_embd` (default 12).
    public var nHead: Int
    /// `n_inner`: MLP width; `null` (the default) means `4·n_embd` (`GPTBigCodeBlock.inner_dim`).
    public var nInner: Int?
    /// `activation_function`: the MLP activation, Hugging Face name (default `gelu_pytorch_tanh`).
    public var activationFunction: String
    /// `layer_norm_epsilon`: ε of every LayerNorm, > 0 (default 1e-5).
    public var layerNormEpsilon: Float
    /// `scale_attn_weights`: divide scores by `√dh` (default true).
    public var scaleAttnWeights: Bool
    /// `multi_query`: one key/value head shared by every query head (default true).
    public var multiQuery: Bool
    /// `tie_word_embeddings`: `lm_head.weight` is `wte.weight` (default true).
    public var tieWordEmbeddings: Bool

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
        case scaleAttnWeights = "scale_attn_weights"
        case multiQuery = "multi_query"
        case attentionSoftmaxInFp32 = "attention_softmax_in_fp32"
        case scaleAttentionSoftmaxInFp32 = "scale_attention_softmax_in_fp32"
        case tieWordEmbeddings = "tie_word_embeddings"
        case addCrossAttention = "add_cross_attention"
        case hiddenSize = "hidden_size"
        case maxPositionEmbeddings = "max_position_embeddings"
        case numAttentionHeads = "num_attention_heads"
        case numHiddenLayers = "num_hidden_layers"
    }

    /// Decodes `config.json` with `GPTBigCodeConfig`'s defaults and refuses, naming the key: sizes
    /// that are not positive; `n_head` not dividing `n_embd` (`GPTBigCodeAttention` raises); an
    /// activation outside `ACT2FN`'s fixed functions; ε ≤ 0; a null dropout probability
    /// (`nn.Dropout(None)` fails); `add_cross_attention` (encoder-decoder use, not supported;
    /// transformers itself refuses it with `multi_query`). `hidden_size`, `max_position_embeddings`,
    /// `num_attention_heads` and `num_hidden_layers` win over `n_embd`, `n_positions`, `n_head` and
    /// `n_layer`, as `GPTBigCodeConfig.attribute_map` makes them. Violations throw an error that
    /// loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.attnPdrop, .embdPdrop, .residPdrop])   // unread, but nn.Dropout fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50257)
        nPositions = try c.value(alias: .maxPositionEmbeddings, over: .nPositions, default: 1024)
        nEmbd = try c.value(alias: .hiddenSize, over: .nEmbd, default: 768)
        nLayer = try c.value(alias: .numHiddenLayers, over: .nLayer, default: 12)
        nHead = try c.value(alias: .numAttentionHeads, over: .nHead, default: 12)
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        activationFunction = try c.value(refusingNull: .activationFunction, default: "gelu_pytorch_tanh")
        layerNormEpsilon = try c.value(refusingNull: .layerNormEpsilon, default: 1e-5)
        scaleAttnWeights = try c.value(.scaleAttnWeights, default: true)
        multiQuery = try c.value(.multiQuery, default: true)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)
        // No effect in float32 (see above); read so that 0.0 or "false" is refused as elsewhere.
        _ = try c.value(.attentionSoftmaxInFp32, default: true)
        _ = try c.value(.scaleAttentionSoftmaxInFp32, default: true)

        for (value, key) in [(vocabSize, "vocab_size"), (nPositions, c.keyRead(alias: .maxPositionEmbeddings, over: .nPositions)),
                             (nEmbd, c.keyRead(alias: .hiddenSize, over: .nEmbd)),
                             (nLayer, c.keyRead(alias: .numHiddenLayers, over: .nLayer)),
                             (nHead, c.keyRead(alias: .numAttentionHeads, over: .nHead))] {
            try requirePositive(value, key)
        }
        if let inner = nInner { try requirePositive(inner, "n_inner") }
        guard nEmbd % nHead == 0 else {
            throw ConfigValidationError(key: c.keyRead(alias: .numAttentionHeads, over: .nHead),
                                        detail: "(\(nHead)) must divide n_embd (\(nEmbd))")
        }
        _ = try configActivation(activationFunction, key: "activation_function")
        try requireNormEpsilon(layerNormEpsilon, "layer_norm_epsilon")
        if try c.value(.addCrossAttention, default: false) {
            throw ConfigValidationError(key: "add_cross_attention", detail:
                "is true; encoder-decoder GPT-BigCode (cross-attention blocks) is not supported")
        }
    }

    /// Per-head width `dh = d / H` (`GPTBigCodeAttention.head_dim`).
    var headDim: Int { nEmbd / nHead }

    /// Key/value heads: 1 with `multi_query`, else `H` (`GPTBigCodeAttention.kv_heads`).
    var keyValueHeads: Int { multiQuery ? 1 : nHead }

    /// The typed architecture: GPT-2's pre-LayerNorm block with learned positions, a standard MLP,
    /// causal attention over `keyValueHeads` key/value heads scaled by `1/√dh` when
    /// `scale_attn_weights` (else unscaled), an LM head.
    func architecture() -> Architecture {
        Architecture(
            modelType: "gpt_bigcode", layers: nLayer, dModel: nEmbd, heads: nHead, kvHeads: keyValueHeads,
            headDim: headDim, dFF: nInner ?? 4 * nEmbd, vocabSize: vocabSize, contextLength: nPositions,
            norm: .layerNorm(eps: layerNormEpsilon), placement: .pre, position: .learned, mlp: .standard,
            activation: Activation(huggingFaceName: activationFunction)!, mask: .causal,
            attentionScale: scaleAttnWeights ? 1 / Float(headDim).squareRoot() : 1,
            scaleAttentionByInverseLayer: false, tokenTypes: 0, head: .languageModel)
    }
}
