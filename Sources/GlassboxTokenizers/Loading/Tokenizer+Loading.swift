import Foundation
import GlassboxFiles

extension Tokenizer {
    /// Loads the tokenizer of a model folder: `tokenizer.json` if present (with the settings of
    /// `tokenizer_config.json` that `transformers` applies over it for the tokenizer class
    /// `AutoTokenizer` picks, or that class's defaults for what the files omit, see
    /// ``FastTokenizerOverrides``), else GPT-2's
    /// `vocab.json` + `merges.txt`, else BERT's `vocab.txt` (each with `tokenizer_config.json` /
    /// `special_tokens_map.json` for special tokens and options, as `transformers` converts them),
    /// else a SentencePiece `tokenizer.model` or T5's `spiece.model` (run as `sentencepiece` runs
    /// it, see ``init(sentencePieceModel:)``, with the tokens and post-processor `transformers` adds
    /// for the folder's class, see ``SentencePieceFolder``).
    /// Else XLM-R's or CamemBERT's `sentencepiece.bpe.model`, converted as `transformers` converts it
    /// (``FairseqSentencePiece``; `TokenizerError.tokenizerJSONNeeded` for a folder of another class).
    /// A folder with none of these is `TokenizerError.noTokenizerFiles`.
    public static func load(directory: URL) throws -> Tokenizer {
        let fm = FileManager.default
        let json = directory.appendingPathComponent("tokenizer.json")
        if fm.fileExists(atPath: json.path) { return try FastTokenizerOverrides.load(tokenizerJSON: json, directory: directory) }
        let vocabJSON = directory.appendingPathComponent("vocab.json")
        let merges = directory.appendingPathComponent("merges.txt")
        if fm.fileExists(atPath: vocabJSON.path) && fm.fileExists(atPath: merges.path) {
            return try LegacyFiles.gpt2(vocabulary: vocabJSON, merges: merges, directory: directory)
        }
        let vocabTXT = directory.appendingPathComponent("vocab.txt")
        if fm.fileExists(atPath: vocabTXT.path) {
            return try LegacyFiles.wordPiece(vocabulary: vocabTXT, directory: directory)
        }
        for name in SentencePieceFolder.fileNames {
            let sentencePiece = directory.appendingPathComponent(name)
            if fm.fileExists(atPath: sentencePiece.path) { return try SentencePieceFolder.load(model: sentencePiece, directory: directory) }
        }
        let fairseqModel = directory.appendingPathComponent(FairseqSentencePiece.fileName)
        if fm.fileExists(atPath: fairseqModel.path) { return try FairseqSentencePiece.load(model: fairseqModel, directory: directory) }
        throw TokenizerError.noTokenizerFiles(directory: directory.path)
    }

    /// Reads a `tokenizer.json`.
    public init(contentsOf url: URL) throws {
        try self.init(json: try InputFile.readJSON(url, limit: InputLimits.tokenizerFileBytes), file: url.path)
    }

    /// Parses the contents of a `tokenizer.json`; `file` names it in errors.
    public init(json data: Data, file: String = "tokenizer.json") throws {
        try self.init(document: try JSONValue.parse(data, file: file), file: file)
    }

    /// Builds the tokenizer a parsed `tokenizer.json` describes, with `laterAddedTokens` added
    /// after its `added_tokens` (in a second `add_tokens` call); `file` names it in errors.
    /// `addedTokens`, when given, are its `added_tokens` already parsed (not read again).
    init(document: JSONValue, file: String, addedTokens: [AddedToken]? = nil, laterAddedTokens: [AddedToken] = []) throws {
        let root = ConfigReader(document, file: file, path: "")
        guard case .object = root.value else { throw root.fail("expected a JSON object") }
        if let version = try root.optionalString("version"), version != "1.0" {
            throw root.fail("unknown tokenizer version '\(version)' (1.0 is supported)")
        }
        guard let modelConfig = root.child("model") else { throw root.fail("missing field 'model'") }
        let model = try ModelRegistry.make(modelConfig)
        let normalizer = try root.child("normalizer").map(NormalizerRegistry.make)
        let preTokenizer = try root.child("pre_tokenizer").map(PreTokenizerRegistry.make)
        let postProcessor = try root.child("post_processor").map(PostProcessorRegistry.make)
        let decoder = try root.child("decoder").map(DecoderRegistry.make)
        var added = addedTokens ?? []
        if addedTokens == nil, root.member("added_tokens") != nil {
            added = try root.array("added_tokens").map(Self.addedToken)
        }
        try self.init(normalizer: normalizer, preTokenizer: preTokenizer, model: model, postProcessor: postProcessor,
                      decoder: decoder, addedTokens: added, laterAddedTokens: laterAddedTokens,
                      source: URL(fileURLWithPath: file).lastPathComponent)
    }

    /// One entry of `added_tokens` (its `id` is recomputed as the reference does).
    static func addedToken(_ c: ConfigReader) throws -> AddedToken {
        let special = try c.bool("special", default: false)
        return AddedToken(content: try c.string("content"), singleWord: try c.bool("single_word", default: false),
                          lstrip: try c.bool("lstrip", default: false), rstrip: try c.bool("rstrip", default: false),
                          normalized: try c.optionalBool("normalized") ?? !special, special: special)
    }
}
