import Foundation
import GlassboxFiles

/// The stage of a tokenizer pipeline a configuration or error refers to.
public enum TokenizerPart: String, Sendable, CaseIterable {
    /// `normalizer`: text clean-up (lowercasing, NFC, …) before splitting.
    case normalizer
    /// `pre_tokenizer`: splits the text into words before the model sees it.
    case preTokenizer = "pre-tokenizer"
    /// `model`: BPE or WordPiece, pieces → ids.
    case model
    /// `post_processor`: adds special tokens (`[CLS]`, `<s>`) and type ids.
    case postProcessor = "post-processor"
    /// `decoder`: ids → text.
    case decoder
    /// `added_tokens`: special and user tokens matched before the model.
    case addedTokens = "added tokens"
}

/// Everything that can go wrong loading or running a tokenizer. Each case names the file or the
/// part concerned; unsupported types list what is supported.
public enum TokenizerError: Error, LocalizedError, Equatable, Sendable {
    /// A `"type"` this implementation does not provide (e.g. a `UnicodeScripts` pre-tokenizer).
    case unsupportedType(part: TokenizerPart, type: String, supported: [String], file: String)
    /// A file that cannot be read as what it should be (bad JSON, a missing or mistyped field,
    /// a merge naming a token that is not in the vocabulary, …).
    case malformedFile(file: String, detail: String)
    /// A model folder without any tokenizer file.
    case noTokenizerFiles(directory: String)
    /// A pattern the regex engine does not understand.
    case invalidRegex(pattern: String, detail: String)
    /// A regex that took more than its budget of `steps` on a text of `textLength` scalars
    /// (`RegexBudget`): a pattern that backtracks too much, or whose matches overlap too much.
    case regexBudgetExceeded(pattern: String, steps: Int, textLength: Int)
    /// The model needs its unknown token but the vocabulary does not have it (`token`; `nil` for a
    /// Unigram model without `unk_id`); `file` is the tokenizer's, once the tokenizer names it.
    case unknownTokenMissing(model: String, token: String?, file: String? = nil)
    /// Input beyond what offsets can address (2 GiB).
    case inputTooLong(bytes: Int)
    /// A vocabulary piece or added token longer than ``InputLimits/tokenBytes`` (`what` names it).
    case tokenTooLong(file: String, what: String, bytes: Int, limit: Int)
    /// An added token with `normalized: true` whose content the normalizer removes entirely (a
    /// control character under BertNormalizer): its empty pattern matches between every two
    /// characters, and the reference panics when that falls inside a character of more than one
    /// byte (`character`, of the normalized text).
    case emptyAddedTokenCutsCharacter(file: String, token: String, character: String)
    /// A folder whose only tokenizer is a `sentencepiece.bpe.model` (`file`) that is not XLM-R's or
    /// CamemBERT's (no `config.json` or `tokenizer_config.json` names their class) or not a
    /// Unigram model: its id layout is unknown, so a `tokenizer.json` is needed.
    case tokenizerJSONNeeded(file: String)

    /// One readable line naming the file or pattern, with the supported alternatives
    /// where there are any.
    public var errorDescription: String? {
        switch self {
        case .unsupportedType(let part, let type, let supported, let file):
            "\(file): unsupported \(part.rawValue) type '\(type)'; supported: \(supported.joined(separator: ", "))"
        case .malformedFile(let file, let detail):
            "\(file) is not a valid tokenizer file: \(detail)"
        case .noTokenizerFiles(let directory):
            "\(directory) has no tokenizer (looked for tokenizer.json, vocab.json + merges.txt, vocab.txt, tokenizer.model, spiece.model, "
                + "sentencepiece.bpe.model); "
                + "pass token ids with --ids instead"
        case .invalidRegex(let pattern, let detail):
            "cannot compile the regex \(pattern.debugDescription): \(detail)"
        case .regexBudgetExceeded(let pattern, let steps, let textLength):
            "the regex \(pattern.debugDescription) gave up after \(steps) steps on a text of \(textLength) characters "
                + "(its budget: \(RegexBudget.stepsPerUnit) per character and pattern instruction, at least \(RegexBudget.minimum)); "
                + "it backtracks too much or its matches overlap too much on this input"
        case .unknownTokenMissing(let model, let token, let file):
            (file.map { "\($0): " } ?? "") + (token.map { "the \(model) model needs its unknown token '\($0)', which is not in its vocabulary" }
                ?? "the \(model) model has no unknown token (its unk_id is null) for a piece outside its vocabulary")
        case .inputTooLong(let bytes):
            "the input is \(bytes) bytes long; at most 2 GiB can be tokenized"
        case .tokenTooLong(let file, let what, let bytes, let limit):
            "\(file): \(what) is \(bytes) bytes long, over the limit of \(limit) bytes per token"
        case .emptyAddedTokenCutsCharacter(let file, let token, let character):
            "\(file): the added token \(token.debugDescription) (added_tokens) normalizes to nothing; its empty pattern "
                + "would cut \(character.debugDescription) inside its UTF-8 bytes (tokenizers 0.21 panics: AddedVocabulary bad split)"
        case .tokenizerJSONNeeded(let file):
            "\(file): a SentencePiece model alone is read only for XLMRobertaTokenizer and CamembertTokenizer (Unigram; "
                + "name the class in tokenizer_config.json or set config.json's model_type); otherwise a tokenizer.json is needed "
                + "(transformers writes one: AutoTokenizer.from_pretrained(folder).save_pretrained(folder))"
        }
    }
}
