import Foundation

/// `config.json` of a Hugging Face ViT checkpoint (`model_type: vit`), with the library's defaults.
public struct ViTConfig: Decodable, Sendable, Equatable {
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
    /// `layer_norm_eps`: ε of every LayerNorm (default 1e-12).
    public var layerNormEps: Float
    /// `image_size`: input height in pixels (default 224; `image_size` is one integer for a square
    /// input or a list `[height, width]`).
    public var imageHeight: Int
    /// `image_size`: input width in pixels (default 224).
    public var imageWidth: Int
    /// `patch_size`: side of a square patch in pixels, at most the height and the width (default
    /// 16; one integer, or a list `[p, p]` of two equal sides); edge pixels past the last whole
    /// patch are not read, as in transformers.
    public var patchSize: Int
    /// `num_channels`: input colour channels (default 3).
    public var numChannels: Int
    /// `qkv_bias`: biases on the query, key and value projections (default true).
    public var qkvBias: Bool
    /// Class names by index, from `id2label`.
    public var labels: [String]
    /// `pooler_act`: the activation of `ViTModel`'s pooler (default `tanh`); nil when written
    /// `null`. Only a model that builds the pooler reads it (``ViTLoader``).
    public var poolerAct: String?
    /// `pooler_output_size`: the pooler's output width (default, `null` or 0: `hidden_size`, as
    /// `ViTConfig` sets it).
    public var poolerOutputSize: Int

    enum CodingKeys: String, CodingKey {
        case hiddenDropoutProb = "hidden_dropout_prob"
        case hiddenSize = "hidden_size"
        case numHiddenLayers = "num_hidden_layers"
        case numAttentionHeads = "num_attention_heads"
        case intermediateSize = "intermediate_size"
        case hiddenAct = "hidden_act"
        case layerNormEps = "layer_norm_eps"
        case imageSize = "image_size"
        case patchSize = "patch_size"
        case numChannels = "num_channels"
        case qkvBias = "qkv_bias"
        case id2label
        case numLabels = "num_labels"
        case poolerAct = "pooler_act"
        case poolerOutputSize = "pooler_output_size"
    }

    /// Decodes `config.json`, filling absent keys with `transformers`' defaults, and checks it:
    /// sizes positive, heads dividing the width, a patch no larger than the image, a supported activation.
    /// Violations throw an error that loading reports as `LoadError.invalidConfig`.
    public init(from decoder: Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        try c.refuseNulls([.hiddenDropoutProb])   // unread, but transformers fails on their null
        hiddenSize = try c.value(refusingNull: .hiddenSize, default: 768)
        numHiddenLayers = try c.value(refusingNull: .numHiddenLayers, default: 12)
        numAttentionHeads = try c.value(refusingNull: .numAttentionHeads, default: 12)
        intermediateSize = try c.value(refusingNull: .intermediateSize, default: 3072)
        hiddenAct = try c.value(refusingNull: .hiddenAct, default: "gelu")
        layerNormEps = try c.value(refusingNull: .layerNormEps, default: 1e-12)
        let image = try c.value(refusingNull: .imageSize, default: ViTSize(side: 224))
        let patch = try c.value(refusingNull: .patchSize, default: ViTSize(side: 16))
        (imageHeight, imageWidth, patchSize) = (image.height, image.width, patch.height)
        numChannels = try c.value(refusingNull: .numChannels, default: 3)
        qkvBias = try c.value(.qkvBias, default: true)
        for (value, key) in [(hiddenSize, "hidden_size"), (numHiddenLayers, "num_hidden_layers"),
                             (numAttentionHeads, "num_attention_heads"), (intermediateSize, "intermediate_size"),
                             (imageHeight, "image_size"), (imageWidth, "image_size"), (patch.height, "patch_size"),
                             (patch.width, "patch_size"), (numChannels, "num_channels")] {
            try requirePositive(value, key)
        }
        try requireNormEpsilon(layerNormEps, "layer_norm_eps")
        guard hiddenSize % numAttentionHeads == 0 else {
            throw ConfigValidationError(key: "num_attention_heads",
                                        detail: "(\(numAttentionHeads)) must divide hidden_size (\(hiddenSize))")
        }
        // Rectangular patches would need every patch-grid user (embedding, relevance folding,
        // perturbation) to take two sides; no checkpoint is known to use them.
        guard patch.height == patch.width else {
            throw ConfigValidationError(key: "patch_size", detail: "is \(patch.written): patches with unequal sides are not supported; give one size")
        }
        // A patch size that does not divide the image is allowed: transformers' stride-P convolution
        // then drops the last `image mod P` rows and columns, a floor(H/P) × floor(W/P) grid
        // (`ImageGeometry`); a patch larger than the image leaves no patch at all.
        guard patchSize <= imageHeight && patchSize <= imageWidth else {
            throw ConfigValidationError(key: "patch_size", detail: "(\(patch.written)) is larger than image_size (\(image.written)): no patch fits")
        }
        _ = try configActivation(hiddenAct, key: "hidden_act")
        labels = try c.classLabels(id2label: .id2label, numLabels: .numLabels)
        poolerAct = try c.nullPlace(of: .poolerAct) != nil ? nil : try c.value(.poolerAct, default: "tanh")
        let pooledWidth = try c.value(.poolerOutputSize, default: 0)
        poolerOutputSize = pooledWidth == 0 ? hiddenSize : pooledWidth
    }

    /// Checks the fields `ViTModel`'s pooler reads (`ViTPooler`: `nn.Linear(hidden_size,
    /// pooler_output_size)`, `ACT2FN[pooler_act]`), for a model that builds it: a `null` activation
    /// fails in transformers (KeyError) and is refused; Glassbox's pooler is the default tanh on
    /// `hidden_size` outputs, so another activation or width is refused naming its key.
    func checkPooler(file: URL) throws {
        guard let poolerAct else {
            throw LoadError.invalidConfig(file: file.path, key: "pooler_act", detail: "is null; \(nullFailsInTransformers)")
        }
        guard poolerAct == "tanh" else {
            throw LoadError.invalidConfig(file: file.path, key: "pooler_act", detail: "is '\(poolerAct)': Glassbox runs ViTModel's pooler with its default tanh only")
        }
        guard poolerOutputSize == hiddenSize else {
            throw LoadError.invalidConfig(file: file.path, key: "pooler_output_size", detail:
                "(\(poolerOutputSize)) differs from hidden_size (\(hiddenSize)): Glassbox runs ViTModel's pooler at the residual width only")
        }
    }

    func architecture(head: HeadKind) -> Architecture {
        let headDim = hiddenSize / numAttentionHeads
        let geometry = ImageGeometry(height: imageHeight, width: imageWidth, channels: numChannels, patchSize: patchSize)
        return Architecture(
            modelType: "vit", layers: numHiddenLayers, dModel: hiddenSize, heads: numAttentionHeads,
            kvHeads: numAttentionHeads, headDim: headDim, dFF: intermediateSize, vocabSize: 0,
            contextLength: geometry.patchCount + 1, norm: .layerNorm(eps: layerNormEps), placement: .pre,
            position: .learned, mlp: .standard, activation: Activation(huggingFaceName: hiddenAct)!,
            mask: .bidirectional, attentionScale: 1 / Float(headDim).squareRoot(),
            scaleAttentionByInverseLayer: false, tokenTypes: 0, head: head, image: geometry)
    }
}
