import Foundation

/// Mistakes the CLI itself detects.
enum CLIError: Error, LocalizedError {
    case noModel
    case promptWithoutTokens(String)
    case emptyInput
    case badID(String)
    case noPredictionHead(String)
    case noMaskToken
    case positionOutOfRange(Int, length: Int)

    var errorDescription: String? {
        switch self {
        case .noModel:
            "no --model given and the bundled default models are not in this build (scripts/train/ makes them); pass a model folder (e.g. --model Tests/Fixtures/models/gpt2-tiny) or a Hugging Face id in the local cache"
        case .promptWithoutTokens(let prompt):
            "the tokenizer gives no tokens for \(prompt.debugDescription) (its vocabulary covers none of it); pass token ids with --ids"
        case .emptyInput:
            "the input is empty; give a non-empty prompt or at least one token id"
        case .badID(let field):
            "'\(field)' is not a token id; --ids takes comma-separated integers such as 464,3290"
        case .noPredictionHead(let type):
            "this \(type) checkpoint has no prediction head (no LM, masked-LM or classification weights); `glassbox info` describes it"
        case .noMaskToken:
            "the input has no mask token to predict; include the mask id or pass --position"
        case .positionOutOfRange(let p, let length):
            "--position \(p) is outside the input (0..<\(length))"
        }
    }
}

/// Bad usage that is only visible once the model is loaded (an option that does not fit this
/// model): reported like a parse error, with exit code 2.
protocol UsageProblem: LocalizedError {}
