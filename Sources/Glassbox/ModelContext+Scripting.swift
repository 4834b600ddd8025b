import Foundation

/// One output of a model's prediction at one position: a token (or class) with its logit and
/// softmax probability over all outputs.
public struct Prediction: Sendable, Equatable {
    /// Token id or class index.
    public let id: Int
    /// Display text of the token, or the class label.
    public let text: String
    /// The raw logit of this output.
    public let logit: Float
    /// Softmax probability over all outputs at this position, in [0, 1].
    public let probability: Float

    /// A prediction from its fields, as listed above.
    public init(id: Int, text: String, logit: Float, probability: Float) {
        (self.id, self.text, self.logit, self.probability) = (id, text, logit, probability)
    }
}

/// Small conveniences for scripts and notebooks: predictions, losses and pictures of token scores
/// without going through the CLI.
extension ModelContext {
    /// The display text of every output: class labels for classifiers (`replaced` for ELECTRA's
    /// discriminator), otherwise one string per token id (`text(_:)`). What the lens and projection
    /// analyses take as `tokenTexts`.
    public var outputTexts: [String] {
        if let labels = architecture.head.outputLabels { return labels }
        return (0..<architecture.vocabSize).map(text)
    }

    /// The `topK` most likely outputs at `position`, most likely first (ties: smaller id first).
    ///
    /// - Parameters:
    ///   - position: the position whose prediction is read; default: the last token (causal LMs),
    ///     position 0 otherwise (ELECTRA's discriminator reads `position` too). Classifiers always
    ///     read their single row.
    ///   - interventions: activation edits for this forward pass only (see `Interventions`).
    /// - Throws: `ScriptingError.topK` for `topK < 1` (as `LogitLens` refuses it);
    ///   `ScriptingError.noPredictionHead` for a model without an output layer; the runtime's
    ///   `InputError` for a bad input or position.
    public func predict(_ input: ModelInput, topK: Int = 5, position: Int? = nil,
                        interventions: Interventions = Interventions()) throws -> [Prediction] {
        guard topK >= 1 else { throw ScriptingError.topK(topK) }
        let logits = try logitRow(input, position: position, interventions: interventions)
        let top = max(logits.max() ?? 0, -Float.greatestFiniteMagnitude)
        let total = logits.reduce(0.0) { $0 + exp(Double($1 - top)) }
        let order = logits.indices.sorted { logits[$0] != logits[$1] ? logits[$0] > logits[$1] : $0 < $1 }
        // Replaced-token detection: σ(logit), the one output's own score (a softmax over it is 1).
        let sigmoid = architecture.head == .replacedTokenDetection
        return order.prefix(topK).map { i in
            Prediction(id: i, text: label(i), logit: logits[i],
                       probability: sigmoid ? Float(ClassScoreFunction.sigmoid(Double(logits[i])))
                                            : Float(exp(Double(logits[i] - top)) / total))
        }
    }

    /// The logits `[V]` (or `[labels]`) of one position.
    public func logitRow(_ input: ModelInput, position: Int? = nil,
                         interventions: Interventions = Interventions()) throws -> [Float] {
        let arch = architecture
        guard arch.head != .none else { throw ScriptingError.noPredictionHead(arch.modelType) }
        let classifier = !arch.head.scoresEachPosition
        var row = 0
        if !classifier, case .tokens(let ids, _) = input {
            row = position ?? (arch.mask == .causal ? ids.count - 1 : 0)
        }
        let result = try model.forward(input, interventions: interventions,
                                       logitRows: classifier ? .all : .positions([row]))
        guard let logits = result.logits else { throw ScriptingError.noPredictionHead(arch.modelType) }
        return logits.row(0).storage
    }

    /// The mean next-token loss (negative log-likelihood in nats) of a causal LM on `ids`: the
    /// prediction at position `p` scored against `ids[p + 1]`, averaged over `positions` (default:
    /// every position but the last).
    ///
    /// - Parameters:
    ///   - positions: the predicting positions, within `0..<ids.count - 1`.
    ///   - interventions: activation edits for this forward pass only (e.g. an ablated head).
    /// - Throws: `ScriptingError.notCausalLM` for encoders, classifiers and vision models (their
    ///   logits do not predict the next token); `ScriptingError.noLossPositions` for an empty or
    ///   out-of-range `positions` (checked before anything is allocated).
    public func nextTokenLoss(_ ids: [Int], positions: Range<Int>? = nil,
                              interventions: Interventions = Interventions()) throws -> Float {
        let arch = architecture
        guard arch.mask == .causal, arch.head == .languageModel, arch.image == nil else {
            throw ScriptingError.notCausalLM(arch.modelType)
        }
        let range = positions ?? 0..<max(ids.count - 1, 0)
        guard !range.isEmpty, range.lowerBound >= 0, range.upperBound < ids.count else {
            throw ScriptingError.noLossPositions(ids.count)
        }
        let rows = Array(range)
        let result = try model.forward(.tokens(ids, types: nil), interventions: interventions, logitRows: .positions(rows))
        guard let logits = result.logits else { throw ScriptingError.noPredictionHead(architecture.modelType) }
        var total = 0.0
        for (r, p) in rows.enumerated() {
            let row = logits.row(r).storage
            let top = Double(row.max() ?? 0)
            let logSum = top + log(row.reduce(0.0) { $0 + exp(Double($1) - top) })
            total += logSum - Double(row[ids[p + 1]])
        }
        return Float(total / Double(rows.count))
    }

    /// A picture of one explanation's scores: the tokens coloured by score (`TokenStrip`) for
    /// text, or the patch scores over the image (`ImageOverlay`) for vision models, in which case
    /// `image` must be the PNG the input was made from (the scores cover the part of it the model
    /// saw, `patchRegion`).
    ///
    /// - Parameters:
    ///   - predicted: the explained output of a causal LM (the next token): drawn after the input,
    ///     unscored, and framed. Without it the explained position is framed.
    ///   - scoreLabel: the colour bar's caption (default: the method's name).
    ///
    /// ```swift
    /// let lrp = try Relevance.explain(gpt.model, input)
    /// try gpt.figure(lrp.tokenScores(image: nil), for: input, predicted: gpt.text(lrp.target.ids[0]))
    ///     .render(to: URL(fileURLWithPath: "lrp.png"), scale: 2)
    /// ```
    public func figure(_ scores: TokenScores, for input: ModelInput, image: URL? = nil, predicted: String? = nil,
                       title: String? = nil, scoreLabel: String? = nil) throws -> any Figure {
        let label = scoreLabel ?? scores.method
        if let grid = scores.patchGrid {
            guard let image else { throw ScriptingError.imageNeeded }
            let png = try RGBImage.readPNG(image)
            return ImageOverlay(image: try PixelImage(width: png.width, height: png.height, channels: 3, pixels: png.pixels),
                                scores: try ScoreMatrix(grid), region: patchRegion(imageWidth: png.width, imageHeight: png.height)?.rect,
                                title: title, scoreLabel: label)
        }
        var texts = tokens(input), values = scores.scores.map(Double.init)
        var marked = scores.position
        if let predicted {
            texts.append(predicted)
            values.append(0)
            marked = texts.count - 1
        }
        return TokenStrip(tokens: texts, scores: values, target: marked, title: title, scoreLabel: label)
    }
}

/// Why a scripting convenience cannot answer.
public enum ScriptingError: Error, LocalizedError, Equatable {
    /// The model (its `model_type` given) has no output layer: an encoder without a head.
    case noPredictionHead(String)
    /// No valid predicting position in a sequence of this many tokens (fewer than two, or
    /// `positions` outside `0..<count - 1`).
    case noLossPositions(Int)
    /// A next-token loss asked of a model (its `model_type` given) that is not a causal language
    /// model: an encoder, a classifier or a vision model.
    case notCausalLM(String)
    /// `predict` was asked for fewer than one prediction.
    case topK(Int)
    /// A picture of patch scores was asked for without the image the input came from.
    case imageNeeded

    /// One readable line saying what is missing.
    public var errorDescription: String? {
        switch self {
        case .noPredictionHead(let type): "this \(type) model has no output layer to predict with"
        case .noLossPositions(let n): "no next-token positions to score in \(n) tokens (positions must lie in 0..<\(max(n - 1, 0)))"
        case .notCausalLM(let type):
            "this \(type) model is not a causal language model, so it has no next-token loss (use a decoder such as GPT-2 or Llama)"
        case .topK(let k): "topK must be at least 1, got \(k)"
        case .imageNeeded: "a picture of patch scores needs the image the input was made from (pass image:)"
        }
    }
}
