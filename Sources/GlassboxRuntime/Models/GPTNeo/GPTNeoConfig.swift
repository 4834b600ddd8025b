/// `config.json` of a GPT-Neo checkpoint (`model_type` `gpt_neo`: EleutherAI/gpt-neo-125M…2.7B,
/// the TinyStories models), with the defaults of transformers 4.53.3's `GPTNeoConfig`: GPT-2's
/// sequential pre-LayerNorm block with learned positions, `nn.Linear` projections (q/k/v without
/// bias, `out_proj` and the MLP with bias), attention scores NOT scaled by `1/√dh`, and per-layer
/// global or local (sliding-window) attention from `attention_types` / `attention_layers`.
/// `embed_dropout`, `resid_dropout`, `attention_dropout` and `classifier_dropout` are dropout,
/// inactive at inference.
public struct GPTNeoConfig: Decodable, Sendable, Equatable {
    /// `vocab_size`: token vocabulary size `V` (default 50257).
    public var vocabSize: Int
    /// `max_position_embeddings`: rows of `wpe`, the longest input (default 2048).
    public var maxPositionEmbeddings: Int
    /// `hidden_size`: residual width `d` (default 2048).
    public var hiddenSize: Int
    /// Number of blocks: the `num_hidden_layers` alias when given, else `num_layers` (default 24).
    public var numLayers: Int
    /// Heads per layer, dividing `hidden_size`: the `num_attention_heads` alias when given, else
    /// `num_heads` (default 16).
    public var numHeads: Int
    /// `intermediate_size`: MLP width; `null` (the default) means `4·hidden_size` (`GPTNeoBlock`).
    public var intermediateSize: Int?
    /// `window_size`: keys a local layer's query sees, itself included (default 256).
    public var windowSize: Int?
    /// `activation_function`: the MLP activation, Hugging Face name (default `gelu_new`).
    public var activationFunction: String
    /// `layer_norm_epsilon`: ε of every LayerNorm (default 1e-5).
    public var layerNormEpsilon: Float
    /// `tie_word_embeddings`: `lm_head.weight` is `wte` (default true).
    public var tieWordEmbeddings: Bool
    /// Each layer's attention, `global` or `local`, as the model reads `config.attention_layers`.
    public var attentionLayers: [GPTNeoAttentionType]

    enum CodingKeys: String, CodingKey {
        case vocabSize = "vocab_size"
        case attentionDropout = "attention_dropout"
        case embedDropout = "embed_dropout"
        case residDropout = "resid_dropout"
        case maxPositionEmbeddings = "max_position_embeddings"
        case hiddenSize = "hidden_size"
        case numLayers = "num_layers"
        case numHeads = "num_heads"
        case intermediateSize = "intermediate_size"
        case windowSize = "window_size"
        case activationFunction = "activation_function"
        case layerNormEpsilon = "layer_norm_epsilon"
        case tieWordEmbeddings = "tie_word_embeddings"
        case attentionTypes = "attention_types"
        case attentionLayers = "attention_layers"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
    }

    /// Decodes `config.json` with `GPTNeoConfig`'s defaults and checks it as transformers does:
    /// sizes positive, `num_heads` dividing `hidden_size` (`GPTNeoSelfAttention` raises), a supported
    /// activation, ε > 0, `attention_types` expanding to `num_layers` entries (`GPTNeoConfig` raises),
    /// every layer type `global` or `local` (`GPTNeoAttention` raises), and a positive `window_size`
    /// when some layer is local. The aliases `num_hidden_layers` / `num_attention_heads` win over
    /// `num_layers` / `num_heads`, as transformers sets them after checking `attention_types` against
    /// `num_layers` (so the model may read fewer layer types than were checked, or more: an
    /// IndexError, refused). Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.attentionDropout, .embedDropout, .residDropout])   // unread, but transformers fails on their null
        vocabSize = try c.value(refusingNull: .vocabSize, default: 50257)
        maxPositionEmbeddings = try c.value(refusingNull: .maxPositionEmbeddings, default: 2048)
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 2048)
        // attention_types is checked against num_layers itself; then PretrainedConfig sets the
        // aliases (attribute_map: num_hidden_layers → num_layers, num_attention_heads → num_heads),
        // which the model reads. A null alias reaches range() / the head split (TypeError).
        let ownLayers = try c.value(refusingNull: .numLayers, default: 24)
        numLayers = try c.value(.numHiddenLayers, default: ownLayers,
                                refusingNull: "transformers sets num_layers to it (TypeError in range)")
        // num_layers null fails the attention_types count check whatever the alias (ValueError);
        // num_heads null is only read when no num_attention_heads overrides it.
        let ownHeads = c.contains(.numAttentionHeads) ? try c.value(.numHeads, default: 16)
                                                      : try c.value(refusingNull: .numHeads, default: 16)
        numHeads = try c.value(.numAttentionHeads, default: ownHeads,
                               refusingNull: "transformers sets num_heads to it (TypeError)")
        intermediateSize = try c.decodeIfPresent(Int.self, forKey: .intermediateSize)
        activationFunction = try c.value(refusingNull: .activationFunction, default: "gelu_new")
        layerNormEpsilon = try c.value(refusingNull: .layerNormEpsilon, default: 1e-5)
        tieWordEmbeddings = try c.value(.tieWordEmbeddings, default: true)

        let layersKey = c.keyRead(alias: .numHiddenLayers, over: .numLayers)
        let headsKey = c.keyRead(alias: .numAttentionHeads, over: .numHeads)
        for (value, key) in [(vocabSize, "vocab_size"), (maxPositionEmbeddings, "max_position_embeddings"),
                             (hiddenSize, "hidden_size"), (ownLayers, "num_layers"), (numLayers, layersKey),
                             (numHeads, headsKey)] {
            try requirePositive(value, key)
        }
        if let inner = intermediateSize { try requirePositive(inner, "intermediate_size") }
        guard hiddenSize % numHeads == 0 else {
            throw ConfigValidationError(key: headsKey, detail: "(\(numHeads)) must divide hidden_size (\(hiddenSize))")
        }
        _ = try configActivation(activationFunction, key: "activation_function")
        try requireNormEpsilon(layerNormEpsilon, "layer_norm_epsilon")
        attentionLayers = try GPTNeoAttentionType.layers(c, types: .attentionTypes, layers: .attentionLayers,
                                                          count: ownLayers, modelLayers: numLayers)

        // Absent gives 256; null reaches torch.tril(bias, -None) in a local layer (TypeError).
        windowSize = c.contains(.windowSize) ? try c.decodeIfPresent(Int.self, forKey: .windowSize) : 256
        if attentionLayers.contains(.local) {
            guard let window = windowSize else {
                throw ConfigValidationError(key: "window_size", detail: "is null, but a layer is local: transformers builds its mask from it (TypeError)")
            }
            // window ≤ 0: bias ^ tril(bias, -window) leaves no key of a local layer unmasked;
            // transformers still runs, its softmax uniform over the causal keys. Not a window: refused.
            try requirePositive(window, "window_size")
        }
    }

    /// The typed architecture: GPT-2's pre-LayerNorm block with learned positions, a standard MLP,
    /// causal attention with unscaled scores (`GPTNeoSelfAttention._attn` has no `1/√dh`), and
    /// local layers as sliding windows of `window_size` keys (`bias ^ tril(bias, -window_size)`
    /// keeps key `j` of query `i` when `i − window_size < j ≤ i`, the runtime's `.slidingWindow`).
    func architecture() -> Architecture {
        Architecture(
            modelType: "gpt_neo", layers: numLayers, dModel: hiddenSize, heads: numHeads, kvHeads: numHeads,
            headDim: hiddenSize / numHeads, dFF: intermediateSize ?? 4 * hiddenSize, vocabSize: vocabSize,
            contextLength: maxPositionEmbeddings, norm: .layerNorm(eps: layerNormEpsilon), placement: .pre,
            position: .learned, mlp: .standard, activation: Activation(huggingFaceName: activationFunction)!,
            mask: .causal, attentionScale: 1, scaleAttentionByInverseLayer: false, tokenTypes: 0,
            head: .languageModel,
            slidingWindows: attentionLayers.contains(.local) ? attentionLayers.map { $0 == .local ? windowSize : nil } : [])
    }
}
