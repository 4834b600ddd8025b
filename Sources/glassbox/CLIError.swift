import Foundation
import Glassbox

/// Mistakes the CLI itself detects.
enum CLIError: Error, LocalizedError {
    case noModel
    case promptWithoutTokens(String)
    case emptyInput
    case noPredictionHead(String)
    case noMaskToken
    case positionOutOfRange(Int, length: Int, option: String = "--position")
    case noRoomToGenerate(promptTokens: Int, context: Int)
    case malformedGenerationConfig(path: String, detail: String)
    case tooManyTokensForLines(Int, format: OutputFormat)
    /// `--chat` on a checkpoint folder (path) without a chat template; `processorTemplate`: the folder
    /// has a `chat_template.json` (named: the processor's file, which transformers' tokenizer does not read).
    case noChatTemplate(String, processorTemplate: Bool)
    /// `patch` or `path` with `--metric logit-diff` (the default) or `kl` on a classifier with one
    /// output (`num_labels` 1, model type named): logit-diff has no second class, kl no softmax over
    /// classes; prob and logprob (the sigmoid of the output) run.
    case oneOutput(String)
    /// A one-output regression head: patching's metrics read a logit difference or a probability.
    case oneRegressionOutput(String)

    var errorDescription: String? {
        switch self {
        case .noModel:
            if let folder = BundledModel.overrideFolder {
                "no --model given and GLASSBOX_MODELS is set to '\(folder)', which holds no bundled default model (shakespeare-gpt2/ or digits-vit/ with config.json and model.safetensors); fix or unset the variable, or pass --model"
            } else {
                "no --model given and the bundled default models are not in this build (scripts/train/ makes them); pass a model folder (e.g. --model Tests/Fixtures/models/gpt2-tiny) or a Hugging Face id in the local cache"
            }
        case .promptWithoutTokens(let prompt):
            "the tokenizer gives no tokens for \(prompt.debugDescription) (its vocabulary covers none of it); pass token ids with --ids"
        case .emptyInput:
            "the input is empty; give a non-empty prompt or at least one token id"
        case .noPredictionHead(let type):
            "this \(type) checkpoint has no prediction head (no LM, masked-LM or classification weights); `glassbox info` describes it"
        case .noMaskToken:
            "the input has no mask token to predict; include the mask id or pass --position"
        case .positionOutOfRange(let p, let length, let option):
            "\(option) \(p) is outside the input (0..<\(length))"
        case .noRoomToGenerate(let promptTokens, let context):
            "the prompt has \(promptTokens) tokens and the model's context window is \(context): an explained sequence holds at most \(context) tokens, so there is no room for --generate; shorten the prompt"
        case .malformedGenerationConfig(let path, let detail):
            "\(path): \(detail); transformers cannot read it either"
                + (path.hasSuffix("generation_config.json") ? " (fix or remove the file to generate with config.json's end-of-sequence ids)" : "")
        case .oneOutput(let type):
            "this \(type) classifier has one output (num_labels 1): the logit difference needs a second class (there is no runner-up, and --wrong or --wrong-id could only name the answer), and --metric kl a softmax over classes; use --metric prob or logprob (the sigmoid of its output, as the pipeline scores it)"
        case .oneRegressionOutput(let type):
            "this \(type) classifier's one output is a raw regression score (problem_type regression): patching measures a logit difference between two outputs or a class probability, and it has neither"
        case .noChatTemplate(let path, let processorTemplate):
            "\(path) has no chat template (no chat_template.jinja, no \"chat_template\" in tokenizer_config.json)"
                + (processorTemplate
                    ? "; its chat_template.json is the processor's, which transformers' AutoTokenizer does not read (its apply_chat_template refuses this folder too)"
                    : "") + "; leave out --chat"
        case .tooManyTokensForLines(let count, let format):
            "the lines view draws \(AttentionLines.limitDescription(for: format)) and the input has \(count)"
                + (format == .png ? "; write --out FILE.svg or FILE.pdf (up to \(AttentionLines.maximumVectorTokens) tokens)," : ";")
                + " use --view matrix or --view grid (both pool long inputs), or --out FILE.html"
        }
    }
}

/// Bad usage that is only visible once the model is loaded (an option that does not fit this
/// model): reported like a parse error, with exit code 2.
protocol UsageProblem: LocalizedError {}

/// An option that does not fit the model or the file read (exit code 2), in words.
struct UsageMistake: UsageProblem {
    let message: String
    init(_ message: String) { self.message = message }
    var errorDescription: String? { message }

    /// `--position` given for a classifier (`modelType`), whose one prediction has no position;
    /// `role` says what the position is elsewhere ("predicted", "measured").
    static func positionOnClassifier(_ modelType: String, role: String) -> UsageMistake {
        UsageMistake("--position picks the \(role) position of language models; this \(modelType) classifier predicts one class for the whole input: leave out --position")
    }
}

/// A malformed `--ids` (or `--compare-ids`) value: bad usage, exit code 2.
struct MalformedTokenID: UsageProblem {
    let field: String
    var errorDescription: String? {
        "'\(field)' is not a token id; --ids takes comma-separated integers such as 464,3290"
    }
}

/// swift-argument-parser's usage messages on one line: the bullet list of valid values it gives
/// for long enums (`--method`) becomes `'a', 'b' or 'c'`, as it writes short ones.
enum UsageMessage {
    static func line(_ message: String) -> String {
        var lines = message.split(separator: "\n").map(String.init)
        guard let first = lines.first else { return message }
        let bullets = lines.dropFirst().prefix { $0.hasPrefix("  - ") }.map { "'\($0.dropFirst(4))'" }
        if first.hasSuffix("one of the following:"), !bullets.isEmpty {
            lines = [first.dropLast("the following:".count) + bullets.dropLast().joined(separator: ", ") + " or " + bullets.last! + "."]
        }
        return lines[0]
    }
}
