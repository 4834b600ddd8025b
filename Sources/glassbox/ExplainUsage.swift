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
    /// `--compare` on a causal LM or a vision model.
    case compareNeedsTextEncoder(modelType: String, causal: Bool)
    /// A gradient method on a model without a head, and no `--compare`.
    case noHeadNeedsCompare(modelType: String, method: String)
    /// `--contrast` naming the target itself.
    case contrastIsTarget(String)

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
        case .compareNeedsTextEncoder(let type, let causal):
            causal
                ? "--compare explains the similarity of mean-pooled embeddings of text encoders (BERT, MiniLM); this \(type) model is a causal LM: explain its prediction, e.g. with --contrast"
                : "--compare explains the similarity of two texts' mean-pooled embeddings; this \(type) model reads images"
        case .noHeadNeedsCompare(let type, let method):
            "this \(type) checkpoint has no prediction head, so \(method) has no logit to explain: give --compare TEXT to explain the similarity to a second text, or use rollout, flow or attention with --position"
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
        if contrast != nil && contrastId != nil { return .both("--contrast", "--contrast-id") }
        if compare != nil && compareIds != nil { return .both("--compare", "--compare-ids") }
        if comparing {
            let excluded: [(Bool, String)] = [(target != nil, "--target"), (targetId != nil, "--target-id"),
                                              (contrast != nil, "--contrast"), (contrastId != nil, "--contrast-id"),
                                              (seed != nil, "--seed"), (position != nil, "--position")]
            if let option = excluded.first(where: \.0)?.1 { return .compareExcludes(option) }
        }
        if (contrast != nil || contrastId != nil) && seed == .contrastive { return .contrastWithContrastiveSeed }
        if neuronCount < 1 { return .badNeuronCount(neuronCount) }
        return nil
    }

    /// Mistakes that depend on the model: `--compare` needs a text encoder; gradient methods on a
    /// model without a head need `--compare`.
    func checkUsage(_ arch: Architecture) throws {
        if compare != nil || compareIds != nil {
            if arch.mask == .causal || arch.image != nil {
                throw ExplainUsage.compareNeedsTextEncoder(modelType: arch.modelType, causal: arch.image == nil)
            }
        } else if method.usesGradient && arch.head == .none {
            throw ExplainUsage.noHeadNeedsCompare(modelType: arch.modelType, method: method.rawValue)
        }
    }
}
