import Foundation

/// A loaded model with what it takes to feed it and read its output: the tokenizer (text
/// models), the image preprocessor (vision models) and the vocabulary's display strings.
///
/// The entry point for scripting:
/// ```swift
/// import Glassbox
/// let gpt = try ModelContext.load()                         // the bundled Shakespeare GPT-2
/// let input = try gpt.input("To be, or not to be")
/// let run = try gpt.model.forward(input, capture: .all)    // logits + every hook point
/// let lrp = try Relevance.explain(gpt.model, input)         // AttnLRP of the top prediction
/// print(gpt.tokens(input), lrp.tokens)
/// ```
public struct ModelContext: Sendable {
    /// How the model was named (a folder, a Hugging Face id or a bundled name).
    public let name: String
    /// The model folder.
    public let directory: URL
    /// The immutable model; every analysis takes it.
    public let model: TransformerModel
    /// Display strings of token ids (from the tokenizer, or the raw vocabulary file).
    public let vocabulary: TokenVocabulary?
    /// The checkpoint's tokenizer, or why it could not be loaded (thrown when a prompt needs it).
    public let tokenizerResult: Result<Tokenizer, any Error>
    /// The checkpoint's image preprocessor (vision models).
    public let imagePreprocessor: ImagePreprocessor?

    /// The tokenizer, if it loaded.
    public var tokenizer: Tokenizer? { try? tokenizerResult.get() }
    /// The model's architecture (`model.architecture`): sizes, norms, head, image geometry.
    public var architecture: Architecture { model.architecture }

    /// Loads a model by name: a folder holding `config.json`, the name of a bundled model
    /// (`BundledModel`), or a Hugging Face id found in the local cache. Nothing is downloaded.
    /// `options` as for `TransformerModel.load` (e.g. `allowNonFinite`).
    public static func load(_ spec: String, options: LoadOptions = LoadOptions()) throws -> ModelContext {
        try load(directory: directory(for: spec), name: spec, options: options)
    }

    /// The folder `spec` names (see `load(_:)`), without loading anything. A path that exists
    /// wins over a bundled model of the same name.
    public static func directory(for spec: String) throws -> URL {
        if let bundled = BundledModel.named(spec), !FileManager.default.fileExists(atPath: spec) {
            guard let url = bundled.directory else { throw ModelContextError.bundledModelMissing(bundled) }
            return url
        }
        return try ModelDirectory.resolve(spec).url
    }

    /// Loads a bundled model (by default the Shakespeare GPT-2).
    public static func load(_ bundled: BundledModel = .defaultLanguage,
                            options: LoadOptions = LoadOptions()) throws -> ModelContext {
        guard let url = bundled.directory else { throw ModelContextError.bundledModelMissing(bundled) }
        return try load(directory: url, name: bundled.rawValue, options: options)
    }

    /// Loads the model in `directory`.
    public static func load(directory: URL, name: String? = nil, options: LoadOptions = LoadOptions()) throws -> ModelContext {
        let model = try TransformerModel.load(directory: directory, options: options)
        let tokenizer = Result { try Tokenizer.load(directory: directory) }
        let vocabulary = try (try? tokenizer.get()).map(TokenVocabulary.init(tokenizer:))
            ?? TokenVocabulary.load(directory: directory)
        let preprocessor = model.architecture.image == nil ? nil : try ImagePreprocessor.load(directory: directory)
        return ModelContext(name: name ?? directory.lastPathComponent, directory: directory, model: model,
                            vocabulary: vocabulary, tokenizerResult: tokenizer, imagePreprocessor: preprocessor)
    }

    /// The prompt tokenized with the model's tokenizer (special tokens as its post-processor adds
    /// them, unless `addSpecialTokens` is false: a chat rendering already holds them); an id past
    /// the model's token embedding is ``ModelContextError/tokenBeyondEmbedding(token:id:position:rows:)``
    /// (an added token) or ``ModelContextError/vocabularyBeyondEmbedding(token:id:position:rows:vocabulary:)``.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> Encoding {
        let encoding = try tokenizerResult.get().encode(text, addSpecialTokens: addSpecialTokens)
        try checkEmbeddingRows(encoding.ids)
        return encoding
    }

    /// A text model's input for `text`.
    public func input(_ text: String) throws -> ModelInput {
        let encoding = try encode(text)
        guard !encoding.isEmpty else { throw ModelContextError.noTokens(text) }
        return .tokens(encoding.ids, types: encoding.typeIDs.isEmpty ? nil : encoding.typeIDs)
    }

    /// Display text of a token id.
    public func text(_ id: Int) -> String { vocabulary?.displayText(id) ?? "<\(id)>" }

    /// A classifier's name for class `index` (`config.json`'s `id2label`; `replaced` for ELECTRA's
    /// discriminator), or the index itself; for language models, the token's text.
    public func label(_ index: Int) -> String {
        if let labels = architecture.head.outputLabels {
            return labels.indices.contains(index) ? labels[index] : "\(index)"
        }
        return text(index)
    }

    /// One label per input position: token texts, or `[CLS]` and `row,col` for image patches.
    public func tokens(_ input: ModelInput) -> [String] {
        switch input {
        case .tokens(let ids, _): return ids.map(text)
        case .pixels:
            guard let g = architecture.image else { return [] }
            return ["[CLS]"] + (0..<g.patchCount).map { "\($0 / g.gridColumns),\($0 % g.gridColumns)" }
        }
    }
}

/// Why a `ModelContext` could not be made.
public enum ModelContextError: Error, LocalizedError, Equatable {
    /// The bundled model's folder is not in this build.
    case bundledModelMissing(BundledModel)
    /// The tokenizer gives no tokens for this text.
    case noTokens(String)
    /// An image was given to a text model (its `model_type` given).
    case notAVisionModel(String)
    /// The tokenizer gave `token` an id with no row in the model's token embedding of `rows` rows
    /// (a special token added past the vocabulary, as `transformers` adds it).
    case tokenBeyondEmbedding(token: String, id: Int, position: Int, rows: Int)
    /// The tokenizer gave `token` an ordinary id of its `vocabulary` tokens, which has no row in the
    /// model's token embedding of `rows` rows: the tokenizer's vocabulary is larger than the model's
    /// (most likely a tokenizer of another model).
    case vocabularyBeyondEmbedding(token: String, id: Int, position: Int, rows: Int, vocabulary: Int)

    /// One readable line with a hint.
    public var errorDescription: String? {
        switch self {
        case .bundledModelMissing(let m):
            "the bundled model \(m.rawValue) is \(m.missingReason); or pass a model folder with --model"
        case .noTokens(let text):
            "the tokenizer gives no tokens for \(text.debugDescription)"
        case .notAVisionModel(let type):
            "this \(type) model reads text, not images"
        case .tokenBeyondEmbedding(let token, let id, let position, let rows):
            "token \(token.debugDescription) (id \(id), position \(position)) is past the model's token embedding of "
                + "\(rows) rows (config.json vocab_size): the tokenizer added it as a new special token, as transformers "
                + "does, and the model has no embedding for it"
        case .vocabularyBeyondEmbedding(let token, let id, let position, let rows, let vocabulary):
            "token \(token.debugDescription) (id \(id), position \(position)) is past the model's token embedding of "
                + "\(rows) rows (config.json vocab_size): the tokenizer's vocabulary of \(vocabulary) tokens is larger than "
                + "the model's embedding; is tokenizer.json from another model?"
        }
    }
}
