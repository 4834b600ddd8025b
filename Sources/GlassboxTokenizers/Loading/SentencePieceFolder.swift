import Foundation
import GlassboxFiles

/// A folder whose tokenizer is a SentencePiece model alone (`tokenizer.model`, or T5's
/// `spiece.model`), with the tokens `transformers` (4.53.3) adds when `AutoTokenizer` converts it
/// for the class it picks (``FastTokenizerOverrides/tokenizerClass(tokenizerConfig:directory:)``).
/// The text between added tokens is still segmented as `sentencepiece` segments it
/// (``Tokenizer/init(sentencePieceModel:)``); what is added:
/// - the converter's own added tokens (`SpmConverter`): every control and user-defined piece, in
///   id order, not normalized, special when a control piece (or Gemma's `<start_of_turn>` /
///   `<end_of_turn>`);
/// - T5's sentinels (`T5Converter`): `extra_ids` pieces at the end of the vocabulary,
///   `<extra_id_0>` last (``FastTokenizerOverrides/applyT5ExtraIDs(_:file:)``);
/// - the special tokens `PreTrainedTokenizerFast.__init__` adds
///   (``FastTokenizerOverrides/tokensToAdd(backend:config:family:)``): configured in
///   `tokenizer_config.json` / `special_tokens_map.json`, or the class's defaults, and
///   `additional_special_tokens`;
/// - the fast class's post-processor around the text (``postProcessor(family:tokenizer:config:file:unknownID:)``:
///   Llama's and Gemma's `[bos] $A [eos]` from `add_bos_token` / `add_eos_token`, T5's `$A </s>`;
///   none for another class).
/// `legacy: false` and `add_prefix_space: false`, with which the converter builds another
/// pipeline, are refused (``checkSettings(_:family:file:model:)``).
/// Without a class (no `tokenizer_config.json` class and no `config.json` naming one, where
/// `AutoTokenizer` cannot load the folder) the model is read alone, as before.
enum SentencePieceFolder {
    /// The model file names, in the order they are looked for.
    static let fileNames = ["tokenizer.model", "spiece.model"]

    /// The tokenizer of `directory`, whose SentencePiece model is `url`.
    static func load(model url: URL, directory: URL) throws -> Tokenizer {
        let data = try InputFile.read(url, limit: InputLimits.tokenizerFileBytes)
        let model = try SentencePieceModel(data: data, file: url.path)
        let parsed = try FastTokenizerOverrides.tokenizerConfig(directory)
        let hasConfig = parsed != nil
        let source = url.lastPathComponent
        guard let name = try FastTokenizerOverrides.tokenizerClass(tokenizerConfig: parsed ?? .object([]), directory: directory)
        else {
            return try Tokenizer(normalizer: nil, preTokenizer: nil, model: SentencePieceProcessor(model), postProcessor: nil,
                                 decoder: nil, addedTokens: [], source: source)
        }
        var config = try TokenizerConfig(directory: directory, tokenizerConfig: parsed)
        let family = FastTokenizerOverrides.family(tokenizerClass: name)
        let file = FastTokenizerOverrides.settingsFile(directory: directory, hasConfig: hasConfig)
        try checkSettings(config, family: family, file: file, model: source)
        var extraPieces: [String] = []
        if family == .t5 {
            let count = try FastTokenizerOverrides.applyT5ExtraIDs(&config, file: file)
            extraPieces = (0..<count).reversed().map { "<extra_id_\($0)>" }
        }
        let converterSpecial: Set<String> = family == .gemma ? ["<start_of_turn>", "<end_of_turn>"] : []
        var backend: [FastTokenizerOverrides.BackendAddedToken] = []
        for (id, kind) in model.kinds.enumerated() where kind == .control || kind == .userDefined {
            let piece = model.pieces[id]
            let special = kind == .control || converterSpecial.contains(piece)
            backend.append((id, AddedToken(content: piece, normalized: false, special: special), true))
        }
        let added = FastTokenizerOverrides.tokensToAdd(backend: backend, config: config, family: family)
        var tokenizer = try Tokenizer(normalizer: nil, preTokenizer: nil, model: SentencePieceProcessor(model, extraPieces: extraPieces),
                                      postProcessor: nil, decoder: nil, addedTokens: backend.map(\.token), laterAddedTokens: added,
                                      source: source)
        tokenizer.postProcessor = try postProcessor(family: family, tokenizer: tokenizer, config: config, file: file,
                                                    unknownID: model.unknownID)
        return tokenizer
    }
}
