import Foundation
import GlassboxTensor

/// `config.json` of GPT-J (`model_type` `gptj`: GPT-J-6B and its tiny relatives), with the defaults
/// of transformers 4.53.3's `GPTJConfig`: one LayerNorm (`ln_1`) feeding attention and MLP in
/// parallel (`x + attn(ln_1(x)) + mlp(ln_1(x))`, `GPTJBlock`), q/k/v/out projections without biases,
/// rotary embeddings in GPT-J's interleaved convention (`rotate_every_two`: dims `(2i, 2i+1)` rotate
/// by frequency `i`, base 10000, not configurable) on the first `rotary_dim` dimensions of each
/// head, a standard MLP (`fc_in`, `activation_function`, `fc_out`, with biases), a final LayerNorm
/// and an `lm_head` with a bias. `resid_pdrop`, `embd_pdrop` and `attn_pdrop` are dropout, inactive
/// at inference.
///
/// transformers' `attribute_map` aliases (`hidden_size`, `num_attention_heads`, `num_hidden_layers`,
/// `max_position_embeddings`) are set after the own keys, so an alias present wins, as here.
public struct GPTJConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50400).
    public var vocabSize: Int
    /// `n_positions` (alias `max_position_embeddings`): rows of the sin/cos table, the longest input
    /// (default 2048).
    public var nPositions: Int
    /// `n_embd` (alias `hidden_size`): residual width `d` (default 4096).
    public var nEmbd: Int
    /// `n_layer` (alias `num_hidden_layers`): number of blocks (default 28).
    public var nLayer: Int
    /// `n_head` (alias `num_attention_heads`): heads `H`, dividing `d` (default 16).
    public var nHead: Int
    /// `rotary_dim`: rotated dimensions of each head, even, at most `dh` (default 64). `null` rotates
    /// a table of `n_embd` dimensions, which transformers can apply only when that is the head (`H`
    /// = 1).
    public var rotaryDim: Int
    /// `n_inner`: MLP width; `null` means `4·n_embd` (default `null`).
    public var nInner: Int?
    /// `activation_function`: the MLP activation, Hugging Face name (default `gelu_new`).
    public var activationFunction: String
    /// `layer_norm_epsilon`: ε of every LayerNorm (default 1e-5).
    public var layerNormEpsilon: Float
    /// `tie_word_embeddings`: `lm_head.weight` is the token embedding table; its bias stays its own
    /// (default false).
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
        case rotaryDim = "rotary_dim"
        case nInner = "n_inner"
        case activationFunction = "activation_function"
        case layerNormEpsilon = "layer_norm_epsilon"
        case tieWordEmbeddings = "tie_word_embeddings"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenSize = "hidden_size"
        case numAttentionHeads = "num_attention_heads"
        case numHiddenLayers = "num_hidden_layers"
        case useCache = "use_cache"
    }

    /// Decodes `config.json` with `GPTJConfig`'s defaults (an alias over its own key) and checks
    /// it: sizes positive, `n_head` dividing `n_embd` (`GPTJAttention` raises otherwise), a supported
    /// activation, ε > 0, and a `rotary_dim` transformers can apply (`GPTJAttention.forward` fails on
    /// the shape mismatch otherwise): positive, even, at most `dh`; `null` only with one head; a
    /// `use_cache` transformers can run (`refuseTruthyOtherThanTrue`). Violations throw an error that
    /// loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.attnPdrop, .embdPdrop, .residPdrop])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50400)
        nPositions = try c.value(alias: .maxPositionEmbeddings, over: .nPositions, default: 2048)
        nEmbd = try c.value(alias: .hiddenSize, over: .nEmbd, default: 4096)
        nLayer = try c.value(alias: .numHiddenLayers, over: .nLayer, default: 28)
        nHead = try c.value(alias: .numAttentionHeads, over: .nHead, default: 16)
        nInner = try c.decodeIfPresent(Int.self, forKey: .nInner)
        activationFunction = try c.value(refusingNull: .activationFunction, default: "gelu_new")
        layerNormEpsilon = try c.value(refusingNull: .layerNormEpsilon, default: 1e-5)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: false)

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

        let headDim = nEmbd / nHead
        if c.contains(.rotaryDim), try c.decodeNil(forKey: .rotaryDim) {
            // transformers builds an n_embd-wide table and applies it to each dh-wide head.
            guard nHead == 1 else {
                throw ConfigValidationError(key: "rotary_dim", detail:
                    "is null, which makes transformers build a rotary table of n_embd (\(nEmbd)) dimensions for heads of \(headDim): a size mismatch in apply_rotary_pos_emb; give an even number of rotated dimensions ≤ \(headDim)")
            }
            rotaryDim = nEmbd
        } else {
            rotaryDim = try c.value(.rotaryDim, default: 64)
            guard rotaryDim > 0, rotaryDim % 2 == 0, rotaryDim <= headDim else {
                throw ConfigValidationError(key: "rotary_dim", detail:
                    "must be even, positive and at most the head width (\(headDim)): transformers fails on the size mismatch in apply_rotary_pos_emb otherwise, got \(rotaryDim)")
            }
        }
        try c.refuseTruthyOtherThanTrue(.useCache, forward: "GPTJModel")
    }

    /// Per-head width `dh = d / H`.
    var headDim: Int { nEmbd / nHead }

    /// The typed architecture: GPT-NeoX's parallel pre-LayerNorm block (the one norm is both `ln1`
    /// and `ln2`, see `GPTJLoader`), interleaved partial rotary embeddings with base 10000
    /// (`create_sinusoidal_positions`), a standard MLP, causal attention scaled by `1/√dh`, an LM head.
    /// `modelType`: `codegen` for CodeGen, whose block this is (`CodeGenConfig`).
    func architecture(modelType: String = "gptj") -> Architecture {
        let rope = RotaryEmbedding(dimensions: rotaryDim, base: 10000, scaling: .none, maxPositions: nPositions,
                                   layout: .interleaved)
        return Architecture(
            modelType: modelType, layers: nLayer, dModel: nEmbd, heads: nHead,
            kvHeads: nHead, headDim: headDim, dFF: nInner ?? 4 * nEmbd, vocabSize: vocabSize,
            contextLength: nPositions,
            norm: .layerNorm(eps: layerNormEpsilon), placement: .pre,
            position: .rotary(rope), mlp: .standard, activation: Activation(huggingFaceName: activationFunction)!,
            mask: .causal, attentionScale: 1 / Float(headDim).squareRoot(), scaleAttentionByInverseLayer: false,
            tokenTypes: 0, head: .languageModel, parallelResidual: true)
    }
}
