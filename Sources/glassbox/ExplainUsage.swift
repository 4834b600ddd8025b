import Foundation
import Glassbox

/// `explain` options that do not go together, or do not fit the model (exit code 2).
enum ExplainUsage: UsageProblem, Equatable {
    /// `--seed`, `--contrast` or `--compare` with a method that has no gradient to seed.
    case needsGradient(option: String, method: String)
    /// `--heads` or `--neurons` with a method that has no latent relevance.
    case needsLatentRelevance(option: String, method: String)
    case both(String, String)
    /// `--compare` with an option about a prediction.
    case compareExcludes(String)
    case contrastWithContrastiveSeed
    case badNeuronCount(Int)
    /// `--compare` on a causal LM or a vision model; `command` (`explain` or `evaluate`) chooses
    /// the verb and the advice.
    case compareNeedsTextEncoder(modelType: String, causal: Bool, command: String = "explain")
    /// A gradient method on a model without a head, and no `--compare`.
    /// `image`: the model reads images, so `--compare` does not fit either.
    case noHeadNeedsCompare(modelType: String, method: String, image: Bool)
    /// `--contrast` naming the target itself.
    case contrastIsTarget(String)
    /// A method's own option (AtMan's, rollout/flow's, …) with another method.
    case notForMethod(option: String, methods: [ExplainMethod], method: String)
    /// An option that only works together with another one.
    case needsOption(String, String)
    /// `--words` or an AtMan `--granularity` with `--ids` or `--image`.
    case wordsNeedPrompt(String)
    /// `--position` for a classifier with a method that explains its one prediction.
    case positionForClassifier(modelType: String, method: String)
    /// `--top` with `--image`: an image explanation is drawn as a patch grid, without token rows.
    case topNeedsText

    var errorDescription: String? {
        switch self {
        case .needsGradient(let option, let method):
            "\(option) applies to the gradient methods (\(ExplainMethod.gradientMethods)), not \(method)"
        case .needsLatentRelevance(let option, let method):
            "\(option) draws \(option == "--heads" ? "head" : "neuron") relevance, which only \(ExplainMethod.latentMethods) give, not \(method)"
        case .both(let a, let b):
            "give \(a) or \(b), not both"
        case .compareExcludes(let option):
            "--compare explains the similarity of two texts, not a prediction: leave out \(option)"
        case .contrastWithContrastiveSeed:
            "--contrast sets its own seed (+1 at the target, −1 at the contrast): leave out --seed contrastive"
        case .badNeuronCount(let count):
            "--neuron-count must be at least 1 (got \(count))"
        case .compareNeedsTextEncoder(let type, let causal, let command):
            causal
                ? "--compare \(command)s the similarity of pooled embeddings of text encoders (BERT, MiniLM); this \(type) model is a causal LM: "
                    + (command == "explain" ? "explain its prediction, e.g. with --contrast" : "\(command) its prediction (leave out --compare)")
                : "--compare \(command)s the similarity of two texts' pooled embeddings; this \(type) model reads images"
        case .noHeadNeedsCompare(let type, let method, true):
            "this \(type) checkpoint has no prediction head, so \(method) has no logit to explain, and --compare needs a text encoder (this model reads images): use rollout, flow or attention, with --position for the row they read"
        case .noHeadNeedsCompare(let type, let method, false):
            "this \(type) checkpoint has no prediction head, so \(method) has no logit to explain: give --compare TEXT to explain the similarity to a second text, or use rollout, flow or attention with --position"
        case .notForMethod(let option, let methods, let method):
            "\(option) applies to \(methods.map(\.rawValue).joined(separator: ", ")), not \(method); leave it out or choose --method \(methods[0].rawValue)"
        case .needsOption(let option, let other):
            "\(option) applies only together with \(other)"
        case .wordsNeedPrompt(let option):
            "\(option) needs a text prompt (word boundaries come from the tokenizer's offsets), not --ids or --image"
        case .positionForClassifier(let type, let method):
            "--position chooses the row that rollout, flow and attention read; \(method) explains this \(type) classifier's one prediction, so leave out --position"
        case .topNeedsText:
            "--top lists the strongest tokens of a text explanation; an image explanation is drawn as a patch grid, so leave out --top"
        case .contrastIsTarget(let text):
            "--contrast is the explained target itself (\(text.debugDescription)), so target − contrast is 0: choose another token or class"
        }
    }
}

extension ExplainMethod {
    /// Methods driven by the gradient of an explained scalar: they take `--seed`, `--contrast`
    /// and `--compare`.
    var usesGradient: Bool { [.attnlrp, .cpLRP, .gradInput, .gae, .chefer].contains(self) }
    /// The reverse-sweep (LRP) methods, which also give head and FFN-neuron relevance.
    var givesLatentRelevance: Bool { [.attnlrp, .cpLRP, .gradInput].contains(self) }

    /// The methods each method-specific option applies to.
    static let methodOptions: [(option: String, methods: [ExplainMethod])] = [
        ("--factor", [.atman]), ("--kappa", [.atman]), ("--no-conceptual", [.atman]), ("--granularity", [.atman]),
        ("--no-residual", [.rollout, .flow]), ("--discard-ratio", [.rollout, .flow]),
        ("--start-layer", [.rollout, .flow, .chefer]), ("--head-fusion", [.rollout, .flow, .attention]),
        ("--attention", [.attnlrp, .cpLRP, .gradInput]), ("--checkpoint", [.attnlrp, .cpLRP, .gradInput]),
    ]

    static var gradientMethods: String { allCases.filter(\.usesGradient).map(\.rawValue).joined(separator: ", ") }
    static var latentMethods: String { allCases.filter(\.givesLatentRelevance).map(\.rawValue).joined(separator: ", ") }
}

extension ExplainCommand {
    /// The first mistake in the option combination, found before loading the model.
    var usageProblem: ExplainUsage? {
        let comparing = compare != nil || compareIds != nil
        let seeding: [(Bool, String)] = [(seed != nil, "--seed"), (contrast != nil, "--contrast"),
                                         (contrastId != nil, "--contrast-id"), (compare != nil, "--compare"),
                                         (compareIds != nil, "--compare-ids")]
        if !method.usesGradient, let option = seeding.first(where: \.0)?.1 {
            return .needsGradient(option: option, method: method.rawValue)
        }
        if !method.givesLatentRelevance, let option = [(heads, "--heads"), (neurons, "--neurons")].first(where: \.0)?.1 {
            return .needsLatentRelevance(option: option, method: method.rawValue)
        }
        if let problem = methodOptionProblem { return problem }
        if kappa != nil && noConceptual { return .both("--kappa", "--no-conceptual") }
        if neuronCount != nil && !neurons { return .needsOption("--neuron-count", "--neurons") }
        let grouping = granularity.map { $0 != .token } ?? false
        if words && grouping { return .both("--words", "--granularity \(granularity!.rawValue)") }
        if (words || grouping) && !input.givesPrompt { return .wordsNeedPrompt(words ? "--words" : "--granularity") }
        if contrast != nil && contrastId != nil { return .both("--contrast", "--contrast-id") }
        if compare != nil && compareIds != nil { return .both("--compare", "--compare-ids") }
        if comparing {
            let excluded: [(Bool, String)] = [(target != nil, "--target"), (targetId != nil, "--target-id"),
                                              (contrast != nil, "--contrast"), (contrastId != nil, "--contrast-id"),
                                              (seed != nil, "--seed"), (position != nil, "--position")]
            if let option = excluded.first(where: \.0)?.1 { return .compareExcludes(option) }
        }
        if (contrast != nil || contrastId != nil) && seed == .contrastive { return .contrastWithContrastiveSeed }
        if let neuronCount, neuronCount < 1 { return .badNeuronCount(neuronCount) }
        if colorScale.top != nil && input.image != nil { return .topNeedsText }
        return nil
    }

    /// A method's own option (AtMan's, rollout/flow's, …) given with another method.
    var methodOptionProblem: ExplainUsage? {
        let given: [String: Bool] = [
            "--factor": factor != nil, "--kappa": kappa != nil, "--no-conceptual": noConceptual, "--granularity": granularity != nil,
            "--no-residual": noResidual, "--discard-ratio": discardRatio != nil,
            "--start-layer": startLayer != nil, "--head-fusion": headFusion != nil,
            "--attention": attention != nil, "--checkpoint": checkpoint != nil,
        ]
        for (option, methods) in ExplainMethod.methodOptions where given[option] == true && !methods.contains(method) {
            return .notForMethod(option: option, methods: methods, method: method.rawValue)
        }
        return nil
    }

    /// Mistakes that depend on the model: `--compare` needs a text encoder; gradient methods on a
    /// model without a head need `--compare`; a classifier's prediction has no `--position`
    /// (except for the attention methods, which read that row).
    func checkUsage(_ arch: Architecture) throws {
        if compare != nil || compareIds != nil {
            if arch.mask == .causal || arch.image != nil {
                throw ExplainUsage.compareNeedsTextEncoder(modelType: arch.modelType, causal: arch.image == nil)
            }
        } else if method.usesGradient && arch.head == .none {
            throw ExplainUsage.noHeadNeedsCompare(modelType: arch.modelType, method: method.rawValue, image: arch.image != nil)
        }
        if position != nil, arch.head != .none, !arch.head.scoresEachPosition, ![.rollout, .flow, .attention].contains(method) {
            throw ExplainUsage.positionForClassifier(modelType: arch.modelType, method: method.rawValue)
        }
    }
}
