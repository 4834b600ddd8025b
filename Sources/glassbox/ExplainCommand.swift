import ArgumentParser
import Foundation
import Glassbox

/// The explanation methods `glassbox explain` knows.
enum ExplainMethod: String, ExpressibleByArgument, CaseIterable {
    case attnlrp, cpLRP = "cp-lrp", gradInput = "grad-input", atman, rollout, flow, gae, chefer, attention

    /// The library's relevance sweep for the three LRP-family methods; nil for the others.
    var relevanceMethod: RelevanceMethod? {
        switch self {
        case .attnlrp: .attnLRP
        case .cpLRP: .cpLRP
        case .gradInput: .gradientTimesInput
        case .atman, .rollout, .flow, .gae, .chefer, .attention: nil
        }
    }
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

    @Option(name: .long, help: PrecisionOption.help)
    var precision: PrecisionOption = .exact

    @Option(help: ArgumentHelp(
        "The explanation method.",
        discussion: """
            attnlrp: AttnLRP; cp-lrp: CP-LRP (on BERT Glassbox's own variant: LXT has no CP-LRP for BERT); \
            grad-input: gradient × input; gae, chefer: Chefer et al.; atman: AtMan; rollout, flow: attention \
            rollout and flow; attention: last-layer attention. On a ViT, attnlrp and cp-lrp add the Gamma rule \
            (γ 0.25 on the patch convolution, 0.05 on the MLP and classifier layers); cp-lrp is then LXT's ViT map.
            """))
    var method: ExplainMethod = .attnlrp
    @Option(help: "The predicted token (text) or class label to explain (default: the top prediction).")
    var target: String?
    @Option(parsing: .unconditional, help: "The predicted token id or class index to explain.") var targetId: Int?
    @Option(parsing: .unconditional, help: "The position whose prediction is explained (default: last token; [CLS] or the first mask for encoders).")
    var position: Int?
    @Flag(help: "Aggregate scores per word (sum), using the tokenizer's offsets.") var words = false
    @Option(parsing: .unconditional, help: "Generate this many tokens greedily (KV cache), then explain every one of them.")
    var generate: Int?
    @Option(help: "Explain this continuation of the prompt by forced decoding (tokenized together with the prompt).")
    var continuation: String?
    @Flag(help: "With --generate or --continuation: aggregate both axes per sentence (sum).") var sentences = false
    @Option(parsing: .unconditional, help: ArgumentHelp("With --generate or --continuation: target rows that also get a token strip picture.", valueName: "0,2,5"))
    var targets: String?

    @Option(parsing: .unconditional,
            help: "Rollout, flow and chefer: first layer multiplied in (default 0; chefer on text encoders: the last layer, as the reference).")
    var startLayer: Int?
    @Option(help: "Rollout, flow and attention: how heads are fused (default mean).") var headFusion: FusionOption?
    @Flag(help: "Rollout/flow: leave out the residual identity.") var noResidual = false
    @Option(parsing: .unconditional,
            help: "Rollout and flow: fraction of the lowest fused weights set to 0 per layer (default 0; as jacobgil/vit-explain, entry [0, 0] kept).")
    var discardRatio: TypedNumber<Double>?
    @Flag(help: "Flow and rollout: compute even above their size limits (long or memory-hungry); any method: run even when the memory estimate exceeds the memory available.") var force = false

    @Option(parsing: .unconditional, help: "AtMan: factor on the suppressed attention columns (default 0.1: keeps 10%).")
    var factor: TypedNumber<Float>?
    @Option(parsing: .unconditional,
            help: "AtMan: cosine threshold of conceptual suppression (default 0.6: embeddings at least this similar are suppressed too).")
    var kappa: TypedNumber<Float>?
    @Flag(help: "AtMan: suppress only the explained tokens themselves.") var noConceptual = false
    @Option(help: "AtMan: suppress by token, word or sentence (default token).") var granularity: GranularityOption?

    @Option(help: ArgumentHelp("Gradient methods: the output gradient that starts the backward pass (not a random seed): "
                               + "logit (+1 at the target logit, LXT's default) or contrastive (+1 at the target, −1/V elsewhere).",
                               valueName: "logit|contrastive"))
    var seed: SeedOption?
    @Option(help: "Gradient methods: explain logit(target) − logit(this token or class).") var contrast: String?
    @Option(parsing: .unconditional, help: "Gradient methods: the token id or class index of --contrast.") var contrastId: Int?
    @Option(help: "Gradient methods on text encoders: explain the cosine similarity of the mean-pooled embeddings of the input and this text.")
    var compare: String?
    @Option(parsing: .unconditional, help: ArgumentHelp("Like --compare, with the second input as token ids.", valueName: "1,2,3")) var compareIds: String?
    @Flag(help: "LRP methods: also draw the head relevance (layers × heads) beside the picture (NAME-heads.png).")
    var heads = false
    @Flag(help: "LRP methods: also list and draw the most relevant FFN neurons (NAME-neurons.png).") var neurons = false
    @Option(parsing: .unconditional, help: "With --neurons: how many neurons (default 20).") var neuronCount: Int?
    /// nil is `auto`; given with a method other than the LRP ones, it is refused (`methodOptionProblem`).
    @Option(help: "LRP methods: attention path, auto (blocked, no [n, n] pattern kept), blocked or unblocked (patterns kept).")
    var attention: AttentionPathOption?
    /// nil is `auto`; given with a method other than the LRP ones, it is refused (`methodOptionProblem`).
    @Option(help: "LRP methods: keep only each layer's input and recompute the layer in the sweep: auto (when the kept activations would exceed a quarter of the available memory or 4 GiB), on or off.")
    var checkpoint: CheckpointOption?

    @OptionGroup var colorScale: ColorScaleOptions
    @Option(help: "Write the picture here (.png, .svg, .pdf, or .html for an interactive page; default: output/explain-METHOD-MODEL.png).", completion: .file())
    var out: String?
    @Flag(help: "Print one JSON object on stdout (what `glassbox render` reads).") var json = false

    func validate() throws {
        if target != nil && targetId != nil { throw ValidationError("give --target or --target-id, not both") }
        if let discardRatio, !(0..<1).contains(discardRatio.value) {
            throw ValidationError("--discard-ratio must be in [0, 1), got \(discardRatio.text)")
        }
        if let startLayer, startLayer < 0 { throw ValidationError("--start-layer must not be negative, got \(startLayer)") }
        if let factor, !(0...1).contains(factor.value) { throw ValidationError("--factor must be in [0, 1], got \(factor.text)") }
        if let kappa, !(-1...1).contains(kappa.value) { throw ValidationError("--kappa must be in [-1, 1], got \(kappa.text)") }
        if let problem = sequenceUsageProblem { throw ValidationError(problem.errorDescription ?? "\(problem)") }
        if explainsSequence { return }
        if let usageProblem { throw ValidationError(usageProblem.errorDescription ?? "\(usageProblem)") }
    }

    func run() throws {
        try PictureOutput.checkEarly(out)
        if explainsSequence { return try runSequence() }
        var memory = MemoryGate()
        if (out.flatMap { try? OutputFormat(path: $0) } ?? .png) == .png { memory.picture = pngPictureBound }
        let loaded = try modelOptions.load(image: input.image != nil)
        let record = try withProductPrecision(precision.value) { try explanation(loaded, memory: memory) }
        let latents = method.givesLatentRelevance ? LatentPictures(heads: heads, neurons: neurons) : LatentPictures()
        try ExplanationOutput.emit(record, out: out, json: json, scoreLimit: colorScale.scoreLimit, top: colorScale.top,
                                   latents: latents)
    }

    /// The memory of the PNG this command draws of a text explanation of the given positions, for
    /// ``MemoryGate/picture``: the token strip's surface (the tokens and the appended prediction),
    /// or the `--top K` list's; nil for an image, whose picture is not counted.
    var pngPictureBound: (@Sendable (Int) -> Int)? {
        guard input.image == nil else { return nil }
        if let top = colorScale.top { return { TopTokens.pngBytesBound(lines: min(top, $0)) } }
        return { TokenStrip.pngBytesBound(tokens: $0 + 1) }
    }

    /// The explanation of this command's input on `loaded`: what `--json` prints and the
    /// pictures draw (also what `glassbox batch` writes per input).
    /// `memory` (read before the model loaded) refuses an input the memory would not hold.
    func explanation(_ loaded: LoadedModel, memory: MemoryGate? = nil) throws -> ExplanationRecord {
        let model = loaded.model
        let arch = model.architecture
        if explainsSequence { throw UsageMistake("--generate and --continuation write a sequence result; run them with explain, not batch") }
        try checkUsage(arch)
        try IndexOutOfRange.layer(startLayer, option: "--start-layer", layers: arch.layers)
        let prepared = try PreparedInput.prepare(loaded, input: input)
        try memory?.check(model, prepared, profile: memoryProfile(available: memory?.available, layers: arch.layers), force: force)
        let comparison = try Comparison.prepare(loaded, text: compare, ids: compareIds)
        let target = try comparison.map { ResolvedTarget(position: 0, id: nil, text: $0.text, logit: nil, probability: nil) }
            ?? TargetResolver(loaded: loaded, prepared: prepared)
                .resolve(position: position, text: self.target, id: targetId, contrastText: contrast, contrastID: contrastId)
        let fusion = (headFusion ?? .mean).fusion
        let rollout = RolloutOptions(startLayer: startLayer ?? 0, headFusion: fusion, addResidual: !noResidual,
                                     discardRatio: discardRatio?.value ?? 0)
        let builder = ExplanationBuilder(loaded: loaded, prepared: prepared, target: target)
        let scores: TokenScores
        var parameters: [String: String] = [:]
        switch method {
        case .atman:
            let (result, groups) = try atman(loaded, prepared, target)
            return (granularity ?? .token) == .token
                ? try builder.record(result.scores, words: words)
                : try builder.record(result.scores, groups: groups, groupScores: result.groupScores.map(Double.init))
        case .rollout:
            scores = try AttentionRollout.explain(model, prepared.modelInput, position: target.position, options: rollout, force: force)
        case .flow:
            scores = try AttentionFlow.explain(model, prepared.modelInput, position: target.position, options: rollout, force: force)
        case .attention:
            scores = try AttentionMaps.explainLastLayer(model, prepared.modelInput, position: target.position, fusion: fusion)
        case .gae, .chefer:
            let objective = try GradientObjective(seed: seed, target: target, comparison: comparison, modelType: arch.modelType)
            scores = try cheferScores(model, prepared, objective)
            parameters = objective.parameters
        case .attnlrp, .cpLRP, .gradInput:
            let objective = try GradientObjective(seed: seed, target: target, comparison: comparison, modelType: arch.modelType)
            let result = try relevance(model, prepared, objective)
            return try builder.record(
                result.tokenScores(image: arch.image), words: words,
                heads: (0..<result.heads.shape[0]).map { l in result.heads.row(l).storage.map(Double.init) },
                neurons: neurons ? NeuronRanking.top(result, count: neuronCount ?? 20) : nil,
                positionRelevance: result.positions.map { Double($0.reduce(0, +)) },
                parameters: objective.parameters.merging(["value": "\(result.target.value)"]) { a, _ in a })
        }
        return try builder.record(scores, words: words, parameters: parameters)
    }
}

/// The words (or sentences) of a prompt that `option` groups scores by: `missingPrompt` without a
/// text prompt, `ExplainProblem.noGroups` when the prompt has none (only whitespace).
func promptGroups(_ encoding: Encoding?, text: String?, sentences: Bool, option: String,
                  missingPrompt: @autoclosure () -> Error) throws -> [TokenGroup] {
    guard let encoding, let text else { throw missingPrompt() }
    let groups = sentences ? TokenGrouping.sentences(encoding, text: text) : TokenGrouping.words(encoding, text: text)
    guard !groups.isEmpty else { throw ExplainProblem.noGroups(option: option, unit: sentences ? "sentence" : "word") }
    return groups
}

/// Mistakes specific to explanations.
enum ExplainProblem: Error, LocalizedError {
    case wordsNeedPrompt
    /// Grouping by words or sentences found none (a prompt of whitespace only); the option named.
    case noGroups(option: String, unit: String)

    var errorDescription: String? {
        switch self {
        case .wordsNeedPrompt:
            "--words needs a text prompt (word boundaries come from the tokenizer's offsets)"
        case .noGroups(let option, let unit):
            "the prompt has no \(unit)s (only whitespace), so \(option) has nothing to group; explain its tokens instead (leave \(option) out)"
        }
    }
}
