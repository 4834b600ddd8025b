import ArgumentParser
import Foundation
import Glassbox

/// The explanation methods `glassbox explain` knows.
enum ExplainMethod: String, ExpressibleByArgument, CaseIterable {
    case attnlrp, cpLRP = "cp-lrp", gradInput = "grad-input", atman, rollout, flow, gae, chefer, attention
}

/// What AtMan suppresses at once.
enum GranularityOption: String, ExpressibleByArgument, CaseIterable { case token, word, sentence }

/// How heads are fused for attention-based methods.
enum FusionOption: String, ExpressibleByArgument, CaseIterable {
    case mean, max, min
    var fusion: HeadFusion { switch self { case .mean: .mean; case .max: .max; case .min: .min } }
}

/// `glassbox explain`: per-token (or per-patch) scores for one prediction, a table, a picture
/// and optionally JSON that `glassbox render` redraws.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain one prediction: a score per input token (or image patch), a table and a picture.")

    @OptionGroup var modelOptions: ModelOptions
    @OptionGroup var input: InputOptions

    @Option(help: "Method: \(ExplainMethod.allCases.map(\.rawValue).joined(separator: ", ")).")
    var method: ExplainMethod = .attnlrp
    @Option(help: "The predicted token (text) or class label to explain (default: the top prediction).")
    var target: String?
    @Option(help: "The predicted token id or class index to explain.") var targetId: Int?
    @Option(help: "The position whose prediction is explained (default: last token; [CLS] or the first mask for encoders).")
    var position: Int?
    @Flag(help: "Aggregate scores per word (sum), using the tokenizer's offsets.") var words = false

    @Option(help: "Rollout/flow: first layer multiplied in.") var startLayer = 0
    @Option(help: "Attention methods: head fusion (mean, max, min).") var headFusion: FusionOption = .mean
    @Flag(help: "Rollout/flow: leave out the residual identity.") var noResidual = false
    @Option(help: "Rollout: fraction of the lowest weights discarded per layer.") var discardRatio: Float = 0
    @Flag(help: "Flow: compute even when it would take long.") var force = false

    @Option(help: "AtMan: factor on the suppressed attention columns (0.1 keeps 10%).") var factor: Float = 0.1
    @Option(help: "AtMan: cosine threshold of conceptual suppression (embeddings at least this similar are suppressed too).")
    var kappa: Float = 0.6
    @Flag(help: "AtMan: suppress only the explained tokens themselves.") var noConceptual = false
    @Option(help: "AtMan: suppress by token, word or sentence.") var granularity: GranularityOption = .token

    @Option(help: "Write the picture here (.png, .svg or .pdf; default: output/explain-METHOD-MODEL.png).")
    var out: String?
    @Flag(help: "Print one JSON object on stdout (what `glassbox render` reads).") var json = false

    func validate() throws {
        if target != nil && targetId != nil { throw ValidationError("give --target or --target-id, not both") }
        if !(0..<1).contains(discardRatio) { throw ValidationError("--discard-ratio must be in [0, 1)") }
        if startLayer < 0 { throw ValidationError("--start-layer must not be negative") }
        if !(0...1).contains(factor) { throw ValidationError("--factor must be in [0, 1]") }
        if !(-1...1).contains(kappa) { throw ValidationError("--kappa must be in [-1, 1]") }
    }

    func run() throws {
        let loaded = try modelOptions.load(image: input.image != nil)
        let model = loaded.model
        let prepared = try PreparedInput.prepare(loaded, input: input)
        let target = try TargetResolver(loaded: loaded, prepared: prepared)
            .resolve(position: position, text: self.target, id: targetId)
        let arch = model.architecture
        let rollout = RolloutOptions(startLayer: startLayer, headFusion: headFusion.fusion, addResidual: !noResidual,
                                     discardRatio: discardRatio)
        let builder = ExplanationBuilder(loaded: loaded, prepared: prepared, target: target)
        let scores: TokenScores
        switch method {
        case .atman:
            let (result, groups) = try atman(loaded, prepared, target)
            let record = granularity == .token
                ? try builder.record(result.scores, words: words)
                : try builder.record(result.scores, groups: groups, groupScores: result.groupScores.map(Double.init))
            return try ExplanationOutput.emit(record, out: out, json: json)
        case .rollout:
            scores = try AttentionRollout.explain(model, prepared.modelInput, position: target.position, options: rollout)
        case .flow:
            scores = try AttentionFlow.explain(model, prepared.modelInput, position: target.position, options: rollout, force: force)
        case .attention:
            scores = try AttentionMaps.explainLastLayer(model, prepared.modelInput, position: target.position, fusion: headFusion.fusion)
        case .attnlrp, .cpLRP, .gradInput:
            let result = try relevance(loaded, prepared, target)
            let record = try builder.record(
                TokenScores(method: method.rawValue, parameters: result.parameters, position: target.position,
                            scores: result.tokens, image: arch.image),
                words: words, heads: (0..<result.heads.shape[0]).map { l in result.heads.row(l).storage.map(Double.init) },
                positionRelevance: result.positions.map { Double($0.reduce(0, +)) })
            return try ExplanationOutput.emit(record, out: out, json: json)
        default:
            throw ExplainProblem.methodUnavailable(method.rawValue)
        }
        let record = try builder.record(scores, words: words)
        try ExplanationOutput.emit(record, out: out, json: json)
    }

    /// AttnLRP / CP-LRP / gradient × input (LXT 2.1's rules) seeded at the resolved target's logit.
    private func relevance(_ loaded: LoadedModel, _ prepared: PreparedInput,
                           _ target: ResolvedTarget) throws -> RelevanceResult {
        let kind: RelevanceMethod = switch method {
        case .cpLRP: .cpLRP
        case .gradInput: .gradientTimesInput
        default: .attnLRP
        }
        guard let id = target.id else { throw TargetProblem.noHead(loaded.model.architecture.modelType) }
        return try Relevance.explain(loaded.model, prepared.modelInput, target: .token(id, position: target.position),
                                     options: RelevanceOptions(method: kind))
    }

    /// AtMan (Deiseroth et al. 2023) on the resolved target, by token, word or sentence.
    private func atman(_ loaded: LoadedModel, _ prepared: PreparedInput,
                       _ target: ResolvedTarget) throws -> (AtManResult, [TokenGroup]) {
        let arch = loaded.model.architecture
        guard let id = target.id else { throw TargetProblem.noHead(arch.modelType) }
        var options = AtMan.Options()
        options.factor = factor
        options.kappa = noConceptual ? nil : kappa
        if prepared.count >= 32 { options.progress = AtMan.stderrProgress() }
        let atmanTarget: AtMan.Target = if case .sequenceClassification = arch.head { .label(id) }
            else { .token(id: id, position: target.position) }
        var groups: [TokenGroup] = []
        if granularity != .token {
            guard let encoding = prepared.encoding, let text = prepared.prompt else { throw ExplainProblem.wordsNeedPrompt }
            groups = granularity == .word ? TokenGrouping.words(encoding, text: text) : TokenGrouping.sentences(encoding, text: text)
            if arch.mask == .causal { groups = groups.filter { ($0.tokenIndices.min() ?? 0) <= target.position } }
        }
        let result = try AtMan.explain(loaded.model, prepared.modelInput, target: atmanTarget,
                                       groups: groups.isEmpty ? nil : groups.map(\.tokenIndices), options: options)
        return (result, groups)
    }
}

/// Mistakes specific to explanations.
enum ExplainProblem: Error, LocalizedError {
    case methodUnavailable(String)
    case wordsNeedPrompt

    var errorDescription: String? {
        switch self {
        case .methodUnavailable(let m):
            "method '\(m)' is not available in this version yet; use attnlrp, cp-lrp, grad-input, atman, rollout, flow or attention"
        case .wordsNeedPrompt:
            "--words needs a text prompt (word boundaries come from the tokenizer's offsets)"
        }
    }
}
