import ArgumentParser
import Foundation
import Glassbox

/// The clean and corrupted inputs of `patch` (and `path`): texts or token ids, one of each.
struct PatchInputOptions: ParsableArguments {
    @Option(help: "The clean input text (tokenized with the model's tokenizer).") var clean: String?
    @Option(help: "The corrupted input text (same number of tokens as the clean one).") var corrupted: String?
    @Option(name: .customLong("clean-ids"), parsing: .unconditional,
            help: ArgumentHelp("The clean input as token ids, comma-separated.", valueName: "1,2,3")) var cleanIDs: String?
    @Option(name: .customLong("corrupted-ids"), parsing: .unconditional,
            help: ArgumentHelp("The corrupted input as token ids, comma-separated.", valueName: "1,2,3")) var corruptedIDs: String?

    func validate() throws {
        if clean != nil && cleanIDs != nil { throw ValidationError("give the clean input once: --clean or --clean-ids") }
        if corrupted != nil && corruptedIDs != nil { throw ValidationError("give the corrupted input once: --corrupted or --corrupted-ids") }
        if clean == nil && cleanIDs == nil { throw ValidationError("no clean input: give --clean TEXT or --clean-ids 1,2,3") }
        if corrupted == nil && corruptedIDs == nil { throw ValidationError("no corrupted input: give --corrupted TEXT or --corrupted-ids 1,2,3") }
    }

    /// Both inputs tokenized; different lengths are a `PatchingError.lengthMismatch` showing both
    /// tokenizations.
    func prepare(_ loaded: LoadedModel) throws -> (clean: PatchSide, corrupted: PatchSide) {
        let arch = loaded.model.architecture
        guard arch.image == nil else { throw InputProblem.textModelNeeded(arch.modelType, command: "patching") }
        let c = try PatchSide(loaded, text: clean, ids: cleanIDs)
        let r = try PatchSide(loaded, text: corrupted, ids: corruptedIDs)
        guard c.ids.count == r.ids.count else {
            throw PatchingError.lengthMismatch(clean: c.texts, corrupted: r.texts)
        }
        return (c, r)
    }
}

/// One tokenized input of a patching command.
struct PatchSide {
    let ids: [Int]
    let texts: [String]
    let types: [Int]?
    let spans: [TokenSpan]?

    init(_ loaded: LoadedModel, text: String?, ids given: String?) throws {
        let tokenized: TokenizedInput
        if let text {
            guard !text.isEmpty else { throw CLIError.emptyInput }
            let encoding = try loaded.context.encode(text)
            guard !encoding.isEmpty else { throw CLIError.promptWithoutTokens(text) }
            tokenized = TokenizedInput(ids: encoding.ids, encoding: encoding, prompt: text)
        } else {
            tokenized = TokenizedInput(ids: try InputOptions.parseIDs(given ?? ""), encoding: nil, prompt: nil)
        }
        ids = tokenized.ids
        texts = tokenized.texts(loaded)
        types = tokenized.encoding?.typeIDs
        spans = tokenized.encoding?.offsets
    }

    /// The `"tokens"` entries of the JSON result.
    var jsonTokens: [[String: Any]] {
        ids.indices.map { i in
            ["id": ids[i], "text": texts[i], "start": spans.map { $0[i].start as Any } ?? NSNull(),
             "end": spans.map { $0[i].end as Any } ?? NSNull()] as [String: Any]
        }
    }
}

/// The answer and wrong tokens of a patching metric.
struct PatchAnswerOptions: ParsableArguments {
    @Option(help: "The answer token (one token of the vocabulary, often with its leading space; a class label for classifiers).")
    var answer: String?
    @Option(name: .customLong("answer-id"), parsing: .unconditional, help: "The answer as a token id (or class index).")
    var answerID: Int?
    @Option(help: "The wrong token the logit difference is taken against.") var wrong: String?
    @Option(name: .customLong("wrong-id"), parsing: .unconditional, help: "The wrong token as an id.") var wrongID: Int?
    @Option(help: "The metric: logit-diff (the default; answer minus wrong), logprob or prob of the answer, or kl from the clean distribution.")
    var metric: PatchMetricOption?
    @Option(parsing: .unconditional, help: "The position whose prediction is measured (default: the last token; the first [MASK] for masked LMs).")
    var position: Int?

    func validate() throws {
        if answer != nil && answerID != nil { throw ValidationError("give the answer once: --answer or --answer-id") }
        if wrong != nil && wrongID != nil { throw ValidationError("give the wrong token once: --wrong or --wrong-id") }
        if metric == .kl && (answer != nil || answerID != nil || wrong != nil || wrongID != nil) {
            throw ValidationError("--metric kl compares whole distributions; leave out --answer and --wrong")
        }
        if let metric, metric != .logitDiff, wrong != nil || wrongID != nil {
            throw ValidationError("--wrong is for --metric logit-diff; leave it out with --metric \(metric.rawValue)")
        }
    }

    /// The metric, its position and the display texts of its tokens. Without tokens, the answer
    /// is the clean run's top prediction and the wrong token the corrupted run's (the clean
    /// runner-up when they coincide).
    func resolve(_ loaded: LoadedModel, clean: PatchSide, corrupted: PatchSide) throws
        -> (metric: PatchingMetric, position: Int, texts: [Int: String]) {
        let model = loaded.model, arch = model.architecture
        let n = clean.ids.count
        let labels = arch.head.classLabels
        guard arch.head != .none else { throw UsageMistake("this \(arch.modelType) checkpoint has no prediction head; patching measures a prediction") }
        if arch.head == .replacedTokenDetection { throw AnalysisError.oneLogitPerToken(arch.modelType, method: "patching") }
        let kind = metric ?? .logitDiff
        // One output: no second class, no softmax; prob and logprob read σ of it (the pipeline's score),
        // unless it is a regression score, which no metric reads.
        if labels?.count == 1, arch.classScores == ClassScoreFunction.none { throw CLIError.oneRegressionOutput(arch.modelType) }
        if labels?.count == 1, kind == .logitDiff || kind == .kl { throw CLIError.oneOutput(arch.modelType) }
        if self.position != nil, labels != nil {
            throw UsageMistake.positionOnClassifier(arch.modelType, role: "measured")
        }
        let position: Int
        if let p = self.position {
            position = p
        } else if arch.head == .maskedLanguageModel {
            let mask = ["[MASK]", "<mask>"].lazy.compactMap { loaded.vocabulary?.id(of: $0) }.first
            position = mask.flatMap { clean.ids.firstIndex(of: $0) } ?? n - 1
        } else {
            position = n - 1
        }
        guard position >= 0 && position < n else { throw CLIError.positionOutOfRange(position, length: n) }
        let row = labels == nil ? position : 0
        func logits(_ side: PatchSide) throws -> [Float] {
            try model.forward(.tokens(side.ids, types: side.types), logitRows: .positions([row])).logits!.storage
        }
        let count = labels?.count ?? arch.vocabSize
        var answer = try loaded.outputID(text: self.answer, id: answerID, option: "--answer", labels: labels, count: count)
        var wrong = try loaded.outputID(text: self.wrong, id: wrongID, option: "--wrong", labels: labels, count: count)
        if kind != .kl && answer == nil {
            let lc = try logits(clean)
            answer = lc.indices.max { lc[$0] < lc[$1] }!
        }
        if kind == .logitDiff && wrong == nil {
            let lr = try logits(corrupted)
            var top = lr.indices.max { lr[$0] < lr[$1] }!
            if top == answer {
                let lc = try logits(clean)
                guard let runnerUp = lc.indices.filter({ $0 != answer }).max(by: { lc[$0] < lc[$1] }) else {
                    throw CLIError.oneOutput(arch.modelType)                  // one output (checked above)
                }
                top = runnerUp
            }
            wrong = top
        }
        if kind == .logitDiff, answer == wrong { throw UsageMistake("--answer and --wrong are the same token; pick two different ones") }
        let text = { (id: Int) in labels?[id] ?? loaded.text(id) }
        var texts: [Int: String] = [:]
        for t in [answer, wrong].compactMap({ $0 }) { texts[t] = text(t) }
        let metric: PatchingMetric = switch kind {
        case .logitDiff: .logitDiff(answer: answer!, wrong: wrong!)
        case .logprob: .logProb(answer: answer!)
        case .prob: .prob(answer: answer!)
        case .kl: .kl
        }
        return (metric, position, texts)
    }
}

/// `--metric`.
enum PatchMetricOption: String, ExpressibleByArgument, CaseIterable {
    case logitDiff = "logit-diff", logprob, prob, kl
}
