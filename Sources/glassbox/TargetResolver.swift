import Foundation
import Glassbox

/// The prediction an explanation is about: where, which token or class, and how sure the model is.
struct ResolvedTarget {
    let position: Int
    /// Token id or class index; `nil` for models without a prediction head.
    let id: Int?
    let text: String
    let logit: Float?
    /// The target's probability as the pipeline shows it: softmax, or `σ(logit)` for multi-label
    /// and one-output classifiers; `nil` for regression heads and models without a head.
    let probability: Float?
    /// `--contrast`: the output subtracted from the target's (gradient methods).
    var contrast: ResolvedOutput? = nil
}

/// An output of the model's head: a token id or class index, with its display text.
struct ResolvedOutput: Equatable {
    let id: Int
    let text: String
}

/// Picks the explained position and target from the options and one forward pass.
struct TargetResolver {
    let loaded: LoadedModel
    let prepared: PreparedInput

    /// The explained position and target; `contrastText`/`contrastID` (`--contrast`/`--contrast-id`)
    /// name a second output the same way `text`/`id` name the target.
    func resolve(position explicit: Int?, text: String?, id: Int?,
                 contrastText: String? = nil, contrastID: Int? = nil) throws -> ResolvedTarget {
        let arch = loaded.model.architecture
        let n = prepared.count
        let position = try explicit ?? defaultPosition()
        guard position >= 0 && position < n else { throw CLIError.positionOutOfRange(position, length: n) }
        guard arch.head != .none else {
            if text != nil || id != nil || contrastText != nil || contrastID != nil { throw TargetProblem.noHead(arch.modelType) }
            return ResolvedTarget(position: position, id: nil, text: prepared.texts[position], logit: nil, probability: nil)
        }
        let rows: LogitRows = arch.head.scoresEachPosition ? .positions([position]) : .all
        let logits = try firstLogitRow(loaded.model.forward(prepared.modelInput, logitRows: rows))
        let labels = arch.head.outputLabels
        let chosen = try loaded.outputID(text: text, id: id, option: "--target", labels: labels, count: logits.count)
            ?? logits.indices.max { logits[$0] < logits[$1] }!
        // The probability the pipeline shows: softmax, σ(z) for sigmoid classifiers, none for regression.
        let scores = arch.classScores ?? .softmax
        let top = TopK.top(logits, k: logits.count, scores: scores).first { $0.index == chosen }!
        var resolved = ResolvedTarget(position: position, id: chosen, text: labels?[chosen] ?? loaded.text(chosen),
                                      logit: top.logit, probability: scores == .none ? nil : top.probability)
        if let other = try loaded.outputID(text: contrastText, id: contrastID, option: "--contrast", labels: labels, count: logits.count) {
            resolved.contrast = ResolvedOutput(id: other, text: labels?[other] ?? loaded.text(other))
            if other == chosen { throw ExplainUsage.contrastIsTarget(resolved.text) }
        }
        return resolved
    }

    /// Last token for causal LMs; the first mask for masked LMs; the position most likely replaced
    /// for replaced-token detection; a classifier's pooled position (`[CLS]`, or a decoder's last
    /// non-pad token); 0 otherwise.
    private func defaultPosition() throws -> Int {
        switch loaded.model.architecture.head {
        case .languageModel: return prepared.count - 1
        case .maskedLanguageModel:
            let mask = ["[MASK]", "<mask>"].lazy.compactMap { loaded.vocabulary?.id(of: $0) }.first
            return mask.flatMap { prepared.ids.firstIndex(of: $0) } ?? 0
        case .replacedTokenDetection:
            let logits = try loaded.model.forward(prepared.modelInput, logitRows: .all).logits
            return logits.map { l in (0..<l.shape[0]).max { l[$0, 0] < l[$1, 0] } ?? 0 } ?? 0
        default: return loaded.model.architecture.classifierPosition(prepared.modelInput) ?? 0
        }
    }

    private func firstLogitRow(_ result: ForwardResult) throws -> [Float] {
        guard let logits = result.logits else { throw TargetProblem.noHead(loaded.model.architecture.modelType) }
        return logits.row(0).storage
    }
}

enum TargetProblem: Error, LocalizedError {
    case noHead(String)
    case idOutOfRange(Int, count: Int, option: String)
    case unknownLabel(String, labels: [String])
    case notOneToken(String, pieces: [String], option: String)
    case tokenOutsideOutputs(String, id: Int, count: Int, option: String)

    var errorDescription: String? {
        switch self {
        case .noHead(let type):
            "this \(type) checkpoint has no prediction head, so there is no target to choose; explain a position with --position"
        case .idOutOfRange(let id, let count, let option):
            "\(option) \(id) is outside 0..<\(count)"
        case .unknownLabel(let label, let labels):
            "'\(label)' is not a class of this model; classes: \(labels.joined(separator: ", "))"
        case .notOneToken(let text, let pieces, let option):
            "\(option) '\(text)' is \(pieces.count) tokens (\(pieces.map { $0.debugDescription }.joined(separator: " "))); give one token (often with its leading space) or use \(option)-id"
        case .tokenOutsideOutputs(let text, let id, let count, let option):
            "\(option) '\(text)' is token \(id), outside the model's \(count) outputs (a special token the tokenizer added past config.json's vocab_size); the model cannot predict it"
        }
    }
}
