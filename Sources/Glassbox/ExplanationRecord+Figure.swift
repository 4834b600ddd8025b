import Foundation

extension ExplanationRecord {
    /// Display names of the methods, for titles and colour-bar captions.
    static let methodNames = [
        "attnlrp": "AttnLRP", "cp-lrp": "CP-LRP", "grad-input": "gradient × input", "atman": "AtMan ΔCE",
        "rollout": "attention rollout", "flow": "attention flow", "gae": "GAE", "chefer": "Chefer et al. (∇A ⊙ R rollout)",
        "attention": "last-layer attention",
    ]

    /// The method as a caption names it: its display name, with "+ Gamma" when it ran with the Gamma
    /// rule (AttnLRP and CP-LRP on vision models: `parameters` has `convolutionGamma`); AtMan's names
    /// the score it recorded (`parameters["score"]`: ΔCE, or Δlogit for `delta-logit`).
    public var methodCaption: String {
        var name = Self.methodNames[method] ?? method
        if method == "atman", parameters["score"] == "delta-logit" { name = "AtMan Δlogit" }
        return parameters["convolutionGamma"] == nil ? name : name + " + Gamma"
    }

    /// The method as a title names it: the caption, with the Gamma values when there are any
    /// ("AttnLRP + Gamma (γ 0.25 conv, 0.05 linear)").
    public var methodTitle: String {
        guard let conv = parameters["convolutionGamma"], let linear = parameters["linearGamma"] else { return methodCaption }
        return "\(methodCaption) (γ \(conv) conv, \(linear) linear)"
    }

    /// The picture of this explanation: the input image with the patch scores on top for vision
    /// models (over `extra.patchRegion`, the rest of the image veiled), otherwise the tokens coloured by score with the explained target framed (for a
    /// causal LM the predicted token is appended after the input). `scoreLimit` chooses the end of
    /// the colour scale (see `ScoreLimit`; the picture's legend states it). With `top`, text
    /// explanations are drawn as the `top` highest-scoring tokens in context (`TopTokens`) instead
    /// of the whole strip: the view for long inputs.
    public func figure(scoreLimit: ScoreLimit = .robust, top: Int? = nil) throws -> any Figure {
        let name = methodCaption
        let title = "\(question) \(methodTitle) · \(URL(fileURLWithPath: model.name).lastPathComponent)"
        if let patches = extra.patches, let imagePath = extra.image {
            if top != nil { throw RenderError.invalidInput("--top draws the tokens of text explanations; this one is a patch grid over an image") }
            let image = try RGBImage.readPNG(URL(fileURLWithPath: imagePath))
            if let problem = extra.patchRegion?.problem(imageWidth: image.width, imageHeight: image.height) {
                throw ImageRegionProblem(detail: problem)
            }
            // Without `patchRegion` (older records) the grid covers the whole image, as it was drawn.
            return ImageOverlay(image: try PixelImage(width: image.width, height: image.height, channels: 3, pixels: image.pixels),
                                scores: try ScoreMatrix(patches.map { $0.map(Float.init) }), region: extra.patchRegion?.rect,
                                title: title, scoreLabel: name, scoreLimit: scoreLimit)
        }
        var texts = tokens.map(\.text)
        var scores = tokens.map(\.score)
        // Per word, no `targetIndex` means no entry holds the explained position: nothing framed.
        var marked: Int? = explainsSimilarity ? nil : extra.targetIndex ?? (extra.words == true ? nil : target.position)
        let appendsPrediction = appendsTarget && !explainsSimilarity
        if appendsPrediction {
            texts.append(target.text)
            scores.append(0)
            marked = texts.count - 1
        }
        if let top {
            // The appended prediction has no score: it is not listed, only framed in context.
            let listed = appendsPrediction ? scores.indices.map { $0 == texts.count - 1 ? Double.nan : scores[$0] } : scores
            var view = TopTokens(tokens: texts, scores: listed, k: top, target: marked, title: title, scoreLabel: name, scoreLimit: scoreLimit)
            view.appendsTarget = appendsPrediction
            return view
        }
        return TokenStrip(tokens: texts, scores: scores, target: marked, title: title, scoreLabel: name, scoreLimit: scoreLimit)
    }

    /// What the picture answers: why the target (rather than the contrast token), or which tokens
    /// make the input similar to the compared text.
    var question: String {
        if let compared = parameters["compare"] { return "Similar to “\(TokenText.visible(compared))”?" }
        let why = "Why “\(TokenText.visible(target.text))”"
        if let contrast = parameters["contrastText"] { return why + " rather than “\(TokenText.visible(contrast))”?" }
        return why + "?"
    }

    /// `--compare`: the similarity of two inputs' embeddings was explained, not a prediction.
    public var explainsSimilarity: Bool { parameters["compare"] != nil }

    /// Causal LMs predict the token after the explained position: it is not in the input.
    public var appendsTarget: Bool { ["gpt2", "llama", "mistral", "qwen2", "qwen3", "gpt_neox"].contains(model.architecture) }

}
