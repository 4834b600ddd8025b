import ArgumentParser
import Foundation
import Glassbox

/// `--model` and `--threads`, shared by every command that loads a model.
struct ModelOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp(
        "A bundled model (shakespeare-gpt2, digits-vit), a model folder (config.json + safetensors), or a Hugging Face id found in the local cache (never downloaded). Default: the bundled model for the input.",
        valueName: "model"))
    var model: String?

    @Option(name: .long, parsing: .unconditional, help: "Worker threads (default: all cores).")
    var threads: Int?

    @Flag(name: .long, help: "Load weights holding NaN or ±Inf anyway (for inspection; non-finite activations are then not an error).")
    var allowNonfinite = false

    func validate() throws {
        if let threads, threads < 1 { throw ValidationError("--threads must be at least 1, got \(threads)") }
        if let threads, threads > Threading.maximumThreads {
            throw ValidationError("--threads must be at most \(Threading.maximumThreads) (4 per core, at least 256), got \(threads)")
        }
    }

    /// Sets the thread count, resolves and loads the model and its tokenizer. Without `--model`,
    /// the bundled default: the Shakespeare GPT-2, or the digits ViT when the input is an image.
    /// A tokenizer that cannot be loaded is an error only when a prompt needs it; token display
    /// then falls back to the raw vocabulary file.
    /// `scanWeights: false` only maps the weight matrices (see `LoadOptions.scansWeights`).
    func load(image: Bool = false, scanWeights: Bool = true) throws -> LoadedModel {
        if let threads { Threading.setThreads(threads) }
        let options = LoadOptions(allowNonFinite: allowNonfinite, scansWeights: scanWeights)
        let context: ModelContext
        if let spec = model {
            context = try ModelContext.load(spec, options: options)
        } else {
            let bundled = image ? BundledModel.defaultVision : BundledModel.defaultLanguage
            guard bundled.directory != nil else { throw CLIError.noModel }
            context = try ModelContext.load(bundled, options: options)
        }
        ModelFiles.record(directory: context.directory)
        if let nonFinite = context.model.nonFiniteWeights.first {
            Console.note("warning: \(context.model.nonFiniteWeights.count) tensor(s) hold NaN or ±Inf values (first: "
                         + "'\(nonFinite.tensor)', \(nonFinite.count) values); loaded anyway (--allow-nonfinite)")
        }
        return LoadedModel(context: context)
    }

    /// The model folder `--model` names, or the bundled default language model (without loading anything).
    func resolve() throws -> ModelDirectory {
        guard let spec = model else {
            guard let url = BundledModel.defaultLanguage.directory else { throw CLIError.noModel }
            return ModelDirectory(url: url, source: .folder)
        }
        return ModelDirectory(url: try ModelContext.directory(for: spec), source: .folder)
    }
}

/// A model with what the CLI shows about it.
struct LoadedModel {
    /// The library's loaded model (tokenizer, image preprocessor, vocabulary).
    let context: ModelContext

    var spec: String { context.name }
    var directory: ModelDirectory { ModelDirectory(url: context.directory, source: .folder) }
    var model: TransformerModel { context.model }
    var vocabulary: TokenVocabulary? { context.vocabulary }
    /// The checkpoint's tokenizer, or why it could not be loaded (reported when a prompt needs it).
    var tokenizer: Result<Tokenizer, any Error> { context.tokenizerResult }

    /// Display text of a token id.
    func text(_ id: Int) -> String { context.text(id) }

    /// The `"model"` object of every JSON result.
    var jsonDescription: [String: Any] {
        let arch = model.architecture
        return ["name": spec, "path": directory.url.path, "architecture": arch.modelType,
                "layers": arch.layers, "dModel": arch.dModel, "heads": arch.heads, "vocabSize": arch.vocabSize]
    }

    /// The `"model"` summary of explanation records (single step and sequence).
    var summary: ExplanationRecord.ModelSummary {
        let arch = model.architecture
        return ExplanationRecord.ModelSummary(name: spec, path: directory.url.path, architecture: arch.modelType,
                                              layers: arch.layers, heads: arch.heads)
    }
}

/// Whether a command's help lists `--image`: commands that read only text (`trace`, `generate`)
/// keep the option, to refuse it with their own message, but do not advertise it.
protocol ImageOptionShown {
    /// The visibility of `--image` in help.
    static var visibility: ArgumentVisibility { get }
}

/// `--image` listed in help (commands that take images).
enum ImageListed: ImageOptionShown { static var visibility: ArgumentVisibility { .default } }

/// `--image` left out of help (commands that read only text, which refuse it).
enum ImageUnlisted: ImageOptionShown { static var visibility: ArgumentVisibility { .hidden } }

/// The input of a command that takes images too.
typealias InputOptions = InputOptionsOf<ImageListed>

/// The input of a command that reads only text: `--image` is accepted by the parser, so the
/// command refuses it with a message of its own, but its help does not list it.
typealias TextInputOptions = InputOptionsOf<ImageUnlisted>

/// The input: a prompt (positional, `--prompt` or `--prompt-file`), `--ids`, or `--image` for
/// vision models (listed in help as `Shown` says).
struct InputOptionsOf<Shown: ImageOptionShown>: ParsableArguments {
    @Argument(help: "The prompt text (same as --prompt).")
    var text: String?

    @Option(name: .long, help: "The prompt text, tokenized with the model's tokenizer.")
    var prompt: String?

    @Option(name: .customLong("prompt-file"), help: ArgumentHelp(
        "Read the prompt from a UTF-8 text file (for long prompts; trailing line breaks, \\n or \\r\\n, are dropped).",
        valueName: "file"), completion: .file())
    var promptFile: String?

    @Option(name: .long, parsing: .unconditional, help: ArgumentHelp("Token ids, comma-separated (no tokenizer).", valueName: "1,2,3"))
    var ids: String?

    @Option(name: .long, help: ArgumentHelp("An image for vision models (PNG).", valueName: "file.png", visibility: Shown.visibility), completion: .file(extensions: ["png"]))
    var image: String?

    @Flag(name: .customLong("replace-invalid-utf8"), help: "Replace bytes of the prompt that are not valid UTF-8 with U+FFFD instead of stopping.")
    var replaceInvalidUTF8 = false

    @Flag(name: .long, help: "Apply the checkpoint's chat template: the prompt becomes a user message, rendered with the assistant's turn opened and tokenized without adding special tokens, as transformers' apply_chat_template(add_generation_prompt=True).")
    var chat = false

    @Option(name: .long, help: ArgumentHelp("With --chat: a system message before the prompt.", valueName: "text"))
    var system: String?

    func validate() throws {
        let given = [text != nil, prompt != nil, promptFile != nil, ids != nil, image != nil].filter { $0 }.count
        let inputs = Shown.visibility == .default ? "a prompt, --ids or --image" : "a prompt or --ids"
        if given > 1 { throw ValidationError("give one input: \(inputs)") }
        if given == 0 { throw ValidationError("no input: give \(inputs)") }
        if system != nil, !chat { throw ValidationError("--system adds a system message to --chat; give --chat too") }
        // Known before `--out` is first checked, so naming the input there is refused before the load.
        if let promptFile { CommandInputs.record(promptFile, as: "--prompt-file") }
        if let image { CommandInputs.record(image, as: "--image file") }
    }

    /// Whether the input is a prompt (positional, `--prompt` or `--prompt-file`).
    var givesPrompt: Bool { text != nil || prompt != nil || promptFile != nil }

    /// The prompt, if one was given: as typed, or `--prompt-file`'s text (`PromptFile.read`).
    func promptText() throws -> String? {
        if let promptFile { return try PromptFile.read(promptFile, replaceInvalid: replaceInvalidUTF8) }
        return text ?? prompt
    }

    /// The token ids to run: `--ids` as given, or the prompt tokenized with the model's
    /// tokenizer, special tokens included as the checkpoint's post-processor adds them.
    func tokenIDs(_ loaded: LoadedModel) throws -> [Int] { try tokenized(loaded).ids }

    /// The input as token ids, with the prompt's encoding when there is one; a prompt's token past
    /// the model's embedding is an error naming it (`ModelContext.encode`).
    func tokenized(_ loaded: LoadedModel) throws -> TokenizedInput {
        guard let prompt = try promptText() else {
            try checkChatHasPrompt()
            return TokenizedInput(ids: try Self.parseIDs(ids ?? ""), encoding: nil, prompt: nil)
        }
        guard !prompt.isEmpty else { throw CLIError.emptyInput }
        if let chat = try chatPrompt(prompt, directory: loaded.directory.url, tokenizer: { try loaded.tokenizer.get() }) {
            let encoding = try loaded.context.encode(chat.rendered, addSpecialTokens: false)
            guard !encoding.isEmpty else { throw CLIError.promptWithoutTokens(chat.rendered) }
            return TokenizedInput(ids: encoding.ids, encoding: encoding, prompt: chat.rendered, chat: chat)
        }
        let encoding = try loaded.context.encode(prompt)
        guard !encoding.isEmpty else { throw CLIError.promptWithoutTokens(prompt) }
        return TokenizedInput(ids: encoding.ids, encoding: encoding, prompt: prompt)
    }

    /// `--chat` needs a text prompt: with `--ids` or `--image` it is a usage mistake (exit 2). Checked
    /// when the input is prepared, not in `validate()`, as `batch` validates its options with `--ids`.
    func checkChatHasPrompt() throws {
        if chat, !givesPrompt { throw UsageMistake("--chat applies the chat template to a text prompt; --ids and --image are used as given") }
    }

    /// With `--chat`, `prompt` rendered by the chat template of the checkpoint in `directory`, whose
    /// tokenizer `tokenizer` gives; nil without `--chat` (the tokenizer is then not asked for).
    func chatPrompt(_ prompt: String, directory: URL, tokenizer: () throws -> Tokenizer) throws -> ChatPrompt? {
        guard chat else { return nil }
        return try ChatPrompt.render(prompt, system: system, directory: directory, tokenizer: try tokenizer())
    }

    static func parseIDs(_ text: String) throws -> [Int] {
        let fields = text.split(separator: ",", omittingEmptySubsequences: false)
            .map { $0.trimmingCharacters(in: .whitespaces) }
        if fields.count == 1 && fields[0].isEmpty { throw CLIError.emptyInput }
        return try fields.map { field in
            guard let id = Int(field) else { throw MalformedTokenID(field: field) }
            return id
        }
    }
}

/// The token ids of the input and, for a prompt, where each token is in it.
struct TokenizedInput {
    let ids: [Int]
    /// The prompt's encoding (byte offsets, token strings); nil for `--ids`.
    let encoding: Encoding?
    /// The text the encoding's offsets point into: the prompt, or with `--chat` its rendering.
    let prompt: String?
    /// The chat rendering, with `--chat`.
    var chat: ChatPrompt? = nil

    /// Per position: the text of the prompt the token covers (its piece for tokens the
    /// post-processor added), or the vocabulary's display text for `--ids`.
    func texts(_ loaded: LoadedModel) -> [String] {
        guard let encoding, let prompt else { return ids.map(loaded.text) }
        let bytes = Array(prompt.utf8)
        return zip(encoding.tokens, encoding.offsets).map { piece, span in
            span.isEmpty || span.end > bytes.count ? piece : String(decoding: bytes[span.start..<span.end], as: UTF8.self)
        }
    }
}
