import ArgumentParser
import Foundation
import Glassbox

/// The attribution methods `glassbox evaluate` compares (flow is left out: it is a max-flow per
/// input and slow; the random ranking is always added).
enum EvaluatedMethod: String, CaseIterable {
    case attnlrp, cpLRP = "cp-lrp", gradInput = "grad-input", gae, chefer, atman, rollout, attention

    /// Parses `a,b,…`; an unknown name is a usage error listing the known ones.
    static func parseList(_ text: String) throws -> [EvaluatedMethod] {
        let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.isEmpty else { throw ValidationError("--methods is empty; give names such as attnlrp,atman") }
        var seen = Set<EvaluatedMethod>()
        return try names.compactMap { name in
            guard let method = EvaluatedMethod(rawValue: name) else {
                throw ValidationError("unknown method '\(name)' in --methods; known: \(allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return seen.insert(method).inserted ? method : nil
        }
    }

    /// Why the method cannot run on `model` (`similarity`: a `--compare` run), or nil where it
    /// runs: `reason`, the note when the default list leaves it out, and `error`, what naming it
    /// in `--methods` gets (AtMan on a similarity: a usage mistake, exit 2; Chefer's transformer
    /// attribution where its relevance propagation is not defined: the error `explain` gives, exit 1).
    func refusal(on model: TransformerModel, similarity: Bool) -> (reason: String, error: Error)? {
        switch self {
        case .atman where similarity:                      // AtMan needs logits; a similarity has none
            ("atman needs a prediction head, and a similarity (--compare) has none",
             UsageMistake("atman needs a prediction head; leave it out of --methods for a similarity (--compare)"))
        case .chefer:
            TransformerAttribution.undefinedReason(model).map { ($0, TransformerAttribution.refusal(reason: $0)) }
        default: nil
        }
    }

    /// The methods to run: those `--methods` names (`list`; one that cannot run here is refused
    /// with its error), or by default every method, leaving out each one that cannot run here
    /// with one note on stderr saying why (once per process, so once per batch).
    static func chosen(_ list: String?, model: TransformerModel, similarity: Bool) throws -> [EvaluatedMethod] {
        let named = try list.map(parseList)
        return try (named ?? allCases).filter { method in
            guard let refusal = method.refusal(on: model, similarity: similarity) else { return true }
            if named != nil { throw refusal.error }
            Console.noteOnce("evaluate: left out \(method.rawValue) of the default methods: \(refusal.reason)")
            return false
        }
    }

    /// What the method keeps in memory as `EvaluationItem.scores` runs it: `explain`'s profile of
    /// the same method with default options (automatic checkpointing, blocked attention, rollout
    /// from layer 0).
    func memoryProfile(layers: Int, available: Int?) -> MemoryEstimate.Profile {
        ExplainMethod(rawValue: rawValue)!.memoryProfile(checkpointing: .automatic, patternsKept: false,
                                                         rolloutLayers: layers, available: available)
    }

    /// The perturbation passes (``PerturbationRunner``): the suffix base's keys and values of every
    /// layer and the batched passes' stacked rows.
    static let perturbationProfile = MemoryEstimate.Profile.storedActivations(perLayer: 2, stackedRows: SuffixOptions().rowBudget)
}

/// One input ready to evaluate: the model input, its target, and the positions that may be removed.
struct EvaluationItem {
    let prepared: PreparedInput
    let target: ResolvedTarget
    /// The perturbation target the curves read.
    let perturbation: PerturbationTarget
    /// The second input of a similarity pair.
    let comparison: Comparison?
    /// The removable positions: not special tokens, not `[CLS]` of an image, and (unless asked) not
    /// the explained position of a token prediction.
    let units: [Int]

    /// Tokenizes (or reads) `source` and resolves its target like `explain` does.
    static func prepare(_ source: EvaluationSource, loaded: LoadedModel, compare: String?,
                        includeTargetPosition: Bool) throws -> EvaluationItem {
        let arch = loaded.model.architecture
        let prepared: PreparedInput
        if let image = source.image {
            guard let geometry = arch.image else { throw InputProblem.imageRefused(arch) }
            let texts = ["[CLS]"] + (0..<geometry.patchCount).map { "patch \($0 / geometry.gridColumns),\($0 % geometry.gridColumns)" }
            prepared = PreparedInput(modelInput: try loaded.context.input(image: image, note: Console.note), ids: [], texts: texts, spans: nil,
                                     prompt: nil, encoding: nil, imagePath: image.path)
        } else {
            if arch.image != nil { throw InputProblem.imageRequired(arch.modelType) }
            let tokenized: TokenizedInput
            if let ids = source.ids {
                tokenized = TokenizedInput(ids: ids, encoding: nil, prompt: nil)
            } else {
                let text = source.text ?? ""
                let encoding = try loaded.context.encode(text)
                guard !encoding.isEmpty else { throw CLIError.promptWithoutTokens(text) }
                tokenized = TokenizedInput(ids: encoding.ids, encoding: encoding, prompt: text)
            }
            prepared = PreparedInput(modelInput: .tokens(tokenized.ids, types: tokenized.encoding?.typeIDs), ids: tokenized.ids,
                                     texts: tokenized.texts(loaded), spans: tokenized.encoding?.offsets, prompt: tokenized.prompt,
                                     encoding: tokenized.encoding, imagePath: nil)
        }
        let comparison = try Comparison.prepare(loaded, text: source.compare ?? compare, ids: nil)
        let target: ResolvedTarget
        let perturbation: PerturbationTarget
        if let comparison {
            target = ResolvedTarget(position: 0, id: nil, text: comparison.text, logit: nil, probability: nil)
            perturbation = .similarity(to: comparison.input, pooling: comparison.pooling)
        } else {
            do {
                target = try TargetResolver(loaded: loaded, prepared: prepared)
                    .resolve(position: nil, text: source.targetText, id: source.targetID)
            } catch let problem as TargetProblem where source.targetText != nil || source.targetID != nil {
                throw EvaluationProblem.badTarget(source.origin, problem)     // the file's "target", not an option
            }
            guard let id = target.id else { throw TargetProblem.noHead(arch.modelType) }
            perturbation = arch.head.predictsTokens ? .token(id: id, position: target.position) : .label(id)
        }
        let special = prepared.encoding?.specialTokensMask ?? []
        var units = Array(0..<prepared.count).filter { !(special.indices.contains($0) && special[$0]) }
        if arch.image != nil { units.removeAll { $0 == 0 } }
        if case .token = perturbation, !includeTargetPosition { units.removeAll { $0 == target.position } }
        if arch.mask == .causal, case .token(_, let position) = perturbation { units.removeAll { $0 > position } }
        return EvaluationItem(prepared: prepared, target: target, perturbation: perturbation, comparison: comparison, units: units)
    }

    /// What gradient methods differentiate: the target's logit, or the similarity.
    var relevanceTarget: RelevanceTarget {
        if case .similarity(let other, let pooling) = perturbation { return .similarity(to: other, measure: .cosine, pooling: pooling) }
        return .token(target.id ?? 0, position: target.position)
    }

    /// The method's scores `[n]` for this item under `model` (the loaded one, or a randomised copy).
    func scores(_ method: EvaluatedMethod, model: TransformerModel) throws -> [Float] {
        let input = prepared.modelInput, arch = model.architecture
        switch method {
        case .attnlrp, .cpLRP, .gradInput:
            let kind: RelevanceMethod = method == .attnlrp ? .attnLRP : method == .cpLRP ? .cpLRP : .gradientTimesInput
            return try Relevance.explain(model, input, target: relevanceTarget, options: RelevanceOptions(method: kind))
                .tokenScores(image: arch.image).scores
        case .gae:
            return try GenericAttentionExplainability.explain(model, input, target: relevanceTarget).scores
        case .chefer:
            return try TransformerAttribution.explain(model, input, target: relevanceTarget).scores
        case .atman:
            guard let id = target.id else { throw EvaluationProblem.needsLogits(method.rawValue) }
            let atmanTarget: AtMan.Target = arch.head.predictsTokens ? .token(id: id, position: target.position) : .label(id)
            return try AtMan.explain(model, input, target: atmanTarget).scores.scores
        case .rollout:
            return try AttentionRollout.explain(model, input, position: target.position).scores
        case .attention:
            return try AttentionMaps.explainLastLayer(model, input, position: target.position).scores
        }
    }
}

/// Mistakes specific to `glassbox evaluate`.
enum EvaluationProblem: Error, LocalizedError {
    case needsLogits(String)
    case nothingToRemove(String)
    case noInputLeft
    case badTarget(String, TargetProblem)

    var errorDescription: String? {
        switch self {
        case .needsLogits(let method):
            "\(method) needs a prediction head; on a similarity (--compare) leave it out of --methods"
        case .nothingToRemove(let origin):
            "\(origin): no token can be removed (only special tokens and the explained position)"
        case .noInputLeft:
            "no input could be evaluated (each was skipped; the notes above say why)"
        case .badTarget(let origin, .idOutOfRange(let id, let count, _)):
            "\(origin): \"target\" \(id) is outside 0..<\(count)"
        case .badTarget(let origin, .notOneToken(let text, let pieces, _)):
            "\(origin): \"target\" '\(text)' is \(pieces.count) tokens (\(pieces.map { $0.debugDescription }.joined(separator: " "))); give one token (often with its leading space) or its id"
        case .badTarget(let origin, let problem):
            "\(origin): \"target\": \(problem.errorDescription ?? "not a target of this model")"
        }
    }
}
