import Foundation
import Glassbox

extension ExplainCommand {
    /// Inputs from this many positions show a progress line on stderr in the LRP methods.
    static let relevanceProgressLength = 1024

    /// What this method keeps in memory, for the check before the run: the relevance sweep as
    /// `--checkpoint` and `--attention` set it up, rollout's and flow's fused matrices from
    /// `--start-layer` up (``ExplainMethod/memoryProfile(checkpointing:patternsKept:rolloutLayers:available:)``).
    func memoryProfile(available: Int?, layers: Int) -> MemoryEstimate.Profile {
        method.memoryProfile(checkpointing: (checkpoint ?? .auto).checkpointing, patternsKept: attention == .unblocked,
                             rolloutLayers: max(1, layers - (startLayer ?? 0)), available: available)
    }

    /// AttnLRP / CP-LRP / gradient × input (LXT 2.1's rules), seeded as the objective says.
    func relevance(_ model: TransformerModel, _ prepared: PreparedInput, _ objective: GradientObjective) throws -> RelevanceResult {
        let kind = method.relevanceMethod ?? .attnLRP
        var options = RelevanceOptions(method: kind, attention: (attention ?? .auto).path,
                                       checkpointing: (checkpoint ?? .auto).checkpointing)
        if prepared.count >= Self.relevanceProgressLength { options.progress = Console.progress(label: kind.rawValue) }
        return try Relevance.explain(model, prepared.modelInput, target: objective.target, options: options)
    }

    /// Chefer et al.'s generic attention explainability (`gae`, ICCV 2021) or transformer
    /// attribution (`chefer`, CVPR 2021), from the gradient of the objective's scalar.
    func cheferScores(_ model: TransformerModel, _ prepared: PreparedInput, _ objective: GradientObjective) throws -> TokenScores {
        if method == .gae {
            return try GenericAttentionExplainability.explain(model, prepared.modelInput, target: objective.target)
        }
        return try TransformerAttribution.explain(model, prepared.modelInput, target: objective.target,
                                                  options: CheferOptions(startLayer: startLayer))
    }

    /// AtMan (Deiseroth et al. 2023) on the resolved target, by token, word or sentence.
    func atman(_ loaded: LoadedModel, _ prepared: PreparedInput, _ target: ResolvedTarget) throws -> (AtManResult, [TokenGroup]) {
        let arch = loaded.model.architecture
        guard let id = target.id else { throw TargetProblem.noHead(arch.modelType) }
        var options = AtMan.Options()
        if let factor { options.factor = factor.value }
        if noConceptual { options.kappa = nil } else if let kappa { options.kappa = kappa.value }
        if prepared.count >= 32 { options.progress = Console.progress(label: "atman") }
        let hint = (granularity ?? .token) == .sentence || prepared.prompt == nil ? nil
            : "--granularity sentence suppresses whole sentences, one pass each"
        options.estimate = { passes, perPass in
            if let line = AtMan.estimateLine(passes: passes, secondsPerPass: perPass, hint: hint) { Console.note(line) }
        }
        let atmanTarget: AtMan.Target = if case .sequenceClassification = arch.head { .label(id) }
            else { .token(id: id, position: target.position) }
        var groups: [TokenGroup] = []
        if let granularity, granularity != .token {
            groups = AddedTokenGroups.including(
                try promptGroups(prepared.encoding, text: prepared.prompt, sentences: granularity == .sentence,
                                 option: "--granularity \(granularity.rawValue)", missingPrompt: ExplainProblem.wordsNeedPrompt),
                special: prepared.encoding?.specialTokensMask ?? [], spans: prepared.spans ?? [], texts: prepared.texts)
            if arch.mask == .causal { groups = groups.filter { ($0.tokenIndices.min() ?? 0) <= target.position } }
        }
        let result = try AtMan.explain(loaded.model, prepared.modelInput, target: atmanTarget,
                                       groups: groups.isEmpty ? nil : groups.map(\.tokenIndices), options: options)
        return (result, groups)
    }
}

extension ExplainMethod {
    /// What the method keeps in memory as it runs, for the check before a run (`explain`, and
    /// `evaluate` with default options): AtMan's forwards on every worker with the batched engine's
    /// stacked rows, the relevance sweep checkpointed as `checkpointing` says (`[H, n, n]` patterns
    /// when `patternsKept`), rollout's and flow's fused matrices of `rolloutLayers` layers (flow's
    /// graph too), the last layer's patterns for `attention`, every hook for the Chefer methods.
    func memoryProfile(checkpointing: Checkpointing, patternsKept: Bool, rolloutLayers: Int,
                       available: Int?) -> MemoryEstimate.Profile {
        switch self {
        case .atman: .concurrentForwards(Threading.threads, stackedRows: SuffixOptions().rowBudget)
        case .attnlrp, .cpLRP, .gradInput:
            .relevanceSweep(checkpointing: checkpointing, patternsKept: patternsKept, available: available)
        case .rollout: .rollout(layers: rolloutLayers, flow: false)
        case .flow: .rollout(layers: rolloutLayers, flow: true)
        case .attention: .attentionPatterns(layers: 1)
        case .gae, .chefer: .cachedForward
        }
    }
}
