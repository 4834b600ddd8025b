import Foundation

extension SentencePieceFolder {
    /// The post-processor of the fast class `AutoTokenizer` (transformers 4.53.3) builds from a
    /// folder's SentencePiece model, for `family` (`nil` for a class Glassbox does not handle):
    /// - Llama, Gemma: `update_post_processor` of `LlamaTokenizerFast` / `GemmaTokenizerFast` (the
    ///   converters write none), `[bos] $A [eos]` / `[bos] $A [eos] [bos]:1 $B:1 [eos]:1` from
    ///   `add_bos_token` (default true) and `add_eos_token` (default false), as over a
    ///   `tokenizer.json` (``FastTokenizerOverrides/template(_:settings:addBOSDefault:defaultTokens:)``);
    /// - T5: `T5Converter`'s `$A </s>` / `$A </s> $B </s>` (every type id 0), the id of the
    ///   literal `</s>` (whatever `eos_token` says; `add_bos_token` / `add_eos_token` are not read),
    ///   the unknown id when `</s>` is neither a piece nor an added token (`piece_to_id`'s answer);
    /// - any other class: `nil` (no special tokens added, as before).
    /// `tokenizer` is the folder's tokenizer with every added token (the ids are looked up there);
    /// `unknownID` is the model's `<unk>` id. Errors (a setting that is not a boolean, a BOS / EOS
    /// that is not a token) name `file` and the key.
    static func postProcessor(family: FastTokenizerOverrides.Family?, tokenizer: Tokenizer, config: TokenizerConfig,
                              file: String, unknownID: Int) throws -> TemplateProcessing? {
        switch family {
        case .llama?, .gemma?:
            guard let family, let addBOS = family.addBOSDefault else { return nil }
            let settings = FastTokenizerOverrides.Settings(config: config, file: file)
            return try FastTokenizerOverrides.template(tokenizer, settings: settings, addBOSDefault: addBOS,
                                                       defaultTokens: family.defaultSpecialTokens)
        case .t5?:
            let eos = "</s>"
            let specials = [eos: (ids: [tokenizer.id(of: eos) ?? unknownID], tokens: [eos])]
            let a = TemplateProcessing.Piece.sequence(second: false, typeID: 0)
            let b = TemplateProcessing.Piece.sequence(second: true, typeID: 0)
            let end = TemplateProcessing.Piece.special(id: eos, typeID: 0)
            return TemplateProcessing(single: [a, end], pair: [a, end, b, end], specialTokens: specials)
        default:
            return nil
        }
    }
}
