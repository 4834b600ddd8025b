import ArgumentParser
import Foundation
import Glassbox

/// `glassbox predict`: the model's top predictions for one input.
struct PredictCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict",
        abstract: "Top next tokens (causal LM), masked-token or class predictions (encoders).")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var input: InputOptions

    @Option(name: .long, help: PrecisionOption.help)
    var precision: PrecisionOption = .exact

    @Option(name: .long, parsing: .unconditional, help: "How many predictions to show.")
    var topK = 10

    @Option(name: .long, parsing: .unconditional, help: "Position to predict at (default: last token for causal LMs, the first mask token for masked LMs).")
    var position: Int?

    @Flag(name: .long, help: "Add the full logit vector of the predicted position.")
    var logits = false

    @Flag(name: .long, help: "Print `hook shape sum` for every hook point, in forward order, to stderr.")
    var trace = false

    @Flag(name: .long, help: "Print one JSON object on stdout.")
    var json = false

    @Option(name: .long, help: "Attention path: auto (blocked where no hook needs the pattern), blocked or unblocked.")
    var attention: AttentionPathOption = .auto

    @Flag(name: .long, help: "Run even when the memory estimate exceeds the memory available.")
    var force = false

    func validate() throws {
        if topK < 1 { throw ValidationError("--top-k must be at least 1, got \(topK)") }
        if trace && attention == .blocked {
            throw ValidationError("--trace prints every attention pattern, which --attention blocked never holds: use auto or unblocked")
        }
    }

    func run() throws {
        let memory = MemoryGate()
        let loaded = try modelOptions.load(image: input.image != nil)
        let prediction = try withProductPrecision(precision.value) { try predict(loaded, memory: memory) }
        if json {
            try Console.json(prediction.object)
            return
        }
        let arch = loaded.model.architecture
        let what = switch arch.head {
        case .languageModel: "next token after position \(prediction.position)"
        case .maskedLanguageModel: "masked token at position \(prediction.position)"
        case .sequenceClassification(_, .lastNonPad): "class (read at position \(prediction.position), the last non-pad token)"
        case .sequenceClassification(_, .mean): "class (read on the mean of every position)"
        case .replacedTokenDetection: "replaced-token detection at position \(prediction.position)"
        default: "class"
        }
        let prepared = prediction.prepared
        print("model  \(loaded.directory.url.path) (\(arch.modelType), \(arch.layers) layers, d \(arch.dModel))")
        print(prepared.imagePath.map { "input  \($0)" }
              ?? "input  \(prepared.ids.count) tokens: " + prepared.texts.map(\.debugDescription).joined(separator: " "))
        print("top \(prediction.top.count) predictions for the \(what):")
        let column = switch arch.classScores {
        case .some(.sigmoid): "sigmoid"
        case .some(.none): "  score"
        default: "   prob"
        }
        if let scores = arch.classScores, scores != .softmax {
            print(scores == .sigmoid ? "scores: a sigmoid per class (\(arch.problemType == .multiLabel ? "multi-label" : "one output"), as the pipeline)"
                                     : "scores: the raw regression output (problem_type regression, as the pipeline)")
        }
        print("rank  id      logit   \(column)    text")
        for (rank, entry) in prediction.top.enumerated() {
            print(String(format: "%4d  %-6d  %9.4f  %7.4f  ", rank + 1, entry.index, entry.logit, entry.probability)
                  + prediction.label(entry.index).debugDescription)
        }
        if logits { print("logits " + prediction.logitRow.map { String(format: "%.6g", $0) }.joined(separator: " ")) }
    }

    /// The top predictions for this command's input on `loaded`, and the `--json` object
    /// (also what `glassbox batch` writes per input).
    /// `memory` (read before the model loaded) refuses an input the memory would not hold.
    func predict(_ loaded: LoadedModel, memory: MemoryGate? = nil) throws -> Prediction {
        let model = loaded.model
        let prepared = try PreparedInput.prepare(loaded, input: input)
        try memory?.check(loaded.model, prepared, profile: trace ? .cachedForward : .forward, force: force)
        let ids = prepared.ids
        let arch = model.architecture
        guard arch.head != .none else { throw CLIError.noPredictionHead(arch.modelType) }
        if position != nil && !arch.head.scoresEachPosition {
            throw UsageMistake.positionOnClassifier(arch.modelType, role: "predicted")
        }

        let chosen = try predictedPosition(ids: ids, loaded: loaded)
        let rows: LogitRows = trace || !arch.head.predictsTokens ? .all : .positions([chosen ?? 0])
        let result = try model.forward(prepared.modelInput, capture: trace ? .all : .none, logitRows: rows,
                                       attention: attention.path)
        if trace { Self.printTrace(result.cache) }
        // Replaced-token detection without --position: the position most likely replaced.
        let target = chosen ?? result.logits.map { l in (0..<l.shape[0]).max { l[$0, 0] < l[$1, 0] } ?? 0 } ?? 0
        guard let allLogits = result.logits,
              let row = result.logitPositions.firstIndex(of: target) else {
            throw CLIError.noPredictionHead(arch.modelType)
        }
        let logitRow = allLogits.row(row).storage
        // Classifiers: the scores transformers' pipeline shows (softmax, a sigmoid per class, or the
        // raw regression output), ranked by logit as the pipeline ranks by score.
        let scoring = arch.classScores ?? .softmax
        let top = TopK.top(logitRow, k: topK, scores: scoring)
        let labels = arch.head.outputLabels
        let label = { (id: Int) in labels?[id] ?? loaded.text(id) }
        var object: [String: Any] = [
            "glassbox": GlassboxVersion.string, "command": "predict", "model": loaded.jsonDescription,
            "tokens": prepared.jsonTokens,
            "position": target,
            "top": top.map { entry in
                var item: [String: Any] = ["id": entry.index, "text": label(entry.index), "logit": Double(entry.logit)]
                if scoring == .none { item["score"] = Double(entry.probability) } else { item["prob"] = Double(entry.probability) }
                return item
            },
        ]
        if let scores = arch.classScores { object["scores"] = scores.rawValue }
        if arch.head == .replacedTokenDetection {                  // every position's logit and σ, in order
            object["positions"] = (0..<allLogits.shape[0]).map { p -> [String: Any] in
                let z = allLogits[p, 0]
                return ["position": result.logitPositions[p], "logit": Double(z), "prob": ClassScoreFunction.sigmoid(Double(z))]
            }
        }
        if logits { object["logits"] = logitRow.map { Double($0) } }
        if let chat = prepared.chat { object.merge(chat.json) { _, new in new } }
        return Prediction(object: object, prepared: prepared, position: target, top: top, logitRow: logitRow, label: label)
    }

    /// What `predict` computed: the JSON object and what the table shows.
    struct Prediction {
        let object: [String: Any]
        let prepared: PreparedInput
        /// The predicted position.
        let position: Int
        let top: [TopK.Entry]
        /// The logits of the predicted position (`[V]` or `[labels]`).
        let logitRow: [Float]
        /// An id's display text (the class label for classifiers).
        let label: (Int) -> String
    }

    /// The position whose prediction is shown; nil for replaced-token detection without
    /// `--position` (the most likely replaced position, known after the forward pass).
    private func predictedPosition(ids: [Int], loaded: LoadedModel) throws -> Int? {
        if let position {
            guard position >= 0 && position < ids.count else {
                throw CLIError.positionOutOfRange(position, length: ids.count)
            }
            return position
        }
        switch loaded.model.architecture.head {
        case .maskedLanguageModel:
            let mask = ["[MASK]", "<mask>"].lazy.compactMap { loaded.vocabulary?.id(of: $0) }.first
            guard let mask, let index = ids.firstIndex(of: mask) else { throw CLIError.noMaskToken }
            return index
        case .sequenceClassification: return loaded.model.architecture.classifierPosition(ids: ids) ?? 0   // [CLS], or a decoder's last non-pad token
        case .replacedTokenDetection: return nil
        default: return ids.count - 1
        }
    }

    /// `name [shape] sum` per hook. The sum leaves out only the −Inf of masked attention scores:
    /// a NaN anywhere prints `nan`, an infinity `inf` or `-inf` (never a quiet 0).
    static func printTrace(_ cache: ActivationCache) {
        var text = ""
        for (point, tensor) in cache.entries {
            let shape = "[" + tensor.shape.map(String.init).joined(separator: ",") + "]"
            text += "\(point.name) \(shape) \(String(format: "%.6g", traceSum(point, tensor)))\n"
        }
        Console.writeError(text)
    }

    /// The sum of every value, except −Inf in attention scores (the mask).
    static func traceSum(_ point: HookPoint, _ tensor: Tensor) -> Double {
        let isScores = if case .block(_, .attnScores) = point { true } else { false }
        return tensor.withUnsafeBufferPointer { values in
            var sum = 0.0
            for v in values where !(isScores && v == -.infinity) { sum += Double(v) }
            return sum
        }
    }
}
