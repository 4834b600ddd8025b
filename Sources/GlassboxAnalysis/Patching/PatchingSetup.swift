import Foundation
import GlassboxRuntime
import GlassboxTensor

extension ActivationPatching {
    /// The checked inputs of an experiment and the metric it scores runs with.
    struct Setup {
        let model: TransformerModel
        let options: PatchingOptions
        let cleanInput: ModelInput
        let corruptedInput: ModelInput
        /// The metric position (`[CLS]`, i.e. 0, for classifiers).
        let position: Int
        let firstDifference: Int
        let causal: Bool
        /// How `prob` and `logprob` read the answer's probability: softmax, or the sigmoid of its
        /// logit for multi-label and one-output classifiers (`Architecture.probabilityScores`).
        let scores: ClassScoreFunction
        /// Log-softmax of the clean logits at `position` (filled by `runs`; KL only).
        var cleanLogProbs: [Double] = []

        /// The input patched runs start from: corrupted when denoising, clean when noising.
        var baseInput: ModelInput { options.direction == .denoise ? corruptedInput : cleanInput }
        /// The input activations are taken from.
        var sourceInput: ModelInput { options.direction == .denoise ? cleanInput : corruptedInput }

        init(_ model: TransformerModel, clean: [Int], corrupted: [Int], options: PatchingOptions) throws {
            let arch = model.architecture
            guard clean.count == corrupted.count else {
                throw PatchingError.lengthMismatch(clean: clean.map(String.init), corrupted: corrupted.map(String.init))
            }
            guard let first = clean.indices.first(where: { clean[$0] != corrupted[$0] }) else {
                throw PatchingError.identicalInputs
            }
            let outputs: Int
            switch arch.head {
            case .languageModel, .maskedLanguageModel: outputs = arch.vocabSize
            case .sequenceClassification(let labels, _): outputs = labels.count
            case .none: throw AnalysisError.invalidOption("this \(arch.modelType) model has no prediction head; patching needs logits")
            case .replacedTokenDetection: throw AnalysisError.oneLogitPerToken(arch.modelType, method: "patching")
            }
            switch options.metric {
            case .logitDiff: scores = .softmax
            case .kl:
                // Sigmoid classes are independent yes/no probabilities: no one distribution to compare.
                try arch.requireSoftmaxClasses(for: "the kl metric", instead: arch.classScores == .sigmoid
                                               ? "--metric prob, logprob or logit-diff" : "--metric logit-diff")
                scores = .softmax
            case .prob, .logProb:
                scores = try arch.probabilityScores(for: "the \(options.metric.name) metric", instead: "--metric logit-diff")
            }
            for id in options.metric.tokens where id < 0 || id >= outputs {
                throw PatchingError.answerOutOfRange(id: id, size: outputs)
            }
            let n = clean.count
            let position = options.position ?? (n - 1)
            guard position >= 0 && position < n else { throw AnalysisError.positionOutOfRange(position, length: n) }
            guard options.rowBudget >= 1 else { throw AnalysisError.invalidOption("the row budget must be at least 1") }
            self.model = model
            self.options = options
            cleanInput = .tokens(clean, types: options.tokenTypes)
            corruptedInput = .tokens(corrupted, types: options.tokenTypes)
            // A classifier's logits are read at its pooled position ([CLS]; a decoder's last non-pad token).
            if let pooled = arch.classifierPosition(cleanInput) {
                guard pooled == arch.classifierPosition(corruptedInput) else {
                    throw AnalysisError.invalidOption("the classifier pools position \(pooled) of the clean input but "
                        + "\(arch.classifierPosition(corruptedInput)!) of the corrupted one (its last non-pad token): pad both alike")
                }
                self.position = pooled
            } else {
                self.position = position
            }
            firstDifference = first
            causal = arch.mask == .causal
        }

        /// The metric of one run's logits `[1, V]` (`prob` / `logprob` under `scores`).
        func metric(_ logits: Tensor) -> Float { options.metric.evaluate(logits, cleanLogProbs: cleanLogProbs, scores: scores) }

        /// The unpatched runs.
        struct Runs {
            /// The base run as the suffix engine's starting point (residuals kept, `capture` cached).
            let base: SuffixBase
            /// The source run, `capture` cached.
            let source: ForwardResult
            let cleanMetric: Float
            let corruptedMetric: Float
            let baseMetric: Float
        }

        /// Runs both inputs, capturing `capture`, and scores them; throws when the metric does not
        /// separate them.
        mutating func runs(capture: HookFilter) throws -> Runs {
            let base = try model.suffixBase(baseInput, logitRows: [position], capture: capture, keepResiduals: true)
            let source = try model.forward(sourceInput, capture: capture, logitRows: .positions([position]))
            let (clean, corrupted) = options.direction == .denoise ? (source.logits!, base.logits) : (base.logits, source.logits!)
            cleanLogProbs = PatchingMetric.logSoftmax(clean.storage)
            let mc = metric(clean), mr = metric(corrupted)
            try PatchingError.checkDifference(metric: options.metric.name, clean: mc, corrupted: mr)
            return Runs(base: base, source: source, cleanMetric: mc, corruptedMetric: mr,
                        baseMetric: options.direction == .denoise ? mr : mc)
        }
    }
}
