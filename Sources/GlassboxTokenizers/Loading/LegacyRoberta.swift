import Foundation
import GlassboxFiles

extension LegacyFiles {
    /// The classes whose `vocab.json` + `merges.txt` Glassbox builds: GPT-2's (`GPT2Converter`) and
    /// RoBERTa's (`RobertaConverter`), `X` or `XFast`.
    static let byteLevelClasses: Set<FastTokenizerOverrides.Family> = [.gpt2, .roberta]

    /// The family of the class `AutoTokenizer` picks for a `vocab.json` + `merges.txt` folder
    /// (``FastTokenizerOverrides/tokenizerClass(tokenizerConfig:directory:)``), `nil` when none
    /// applies or its `model_type`'s class is not RoBERTa's (then GPT-2's pipeline is built, as
    /// before). A `tokenizer_class` named in `tokenizer_config.json` or `config.json` other than
    /// ``byteLevelClasses`` (`BartTokenizer`, `LongformerTokenizer`, `CodeGenTokenizer`,
    /// `Qwen2Tokenizer`, …, whose converters build other pipelines or special tokens) is a
    /// `malformedFile` error naming the file and class.
    static func byteLevelFamily(tokenizerConfig: JSONValue?, directory: URL) throws -> FastTokenizerOverrides.Family? {
        guard let name = try FastTokenizerOverrides.tokenizerClass(tokenizerConfig: tokenizerConfig ?? .object([]),
                                                                   directory: directory)
        else { return nil }
        let family = FastTokenizerOverrides.family(tokenizerClass: name)
        if let family, byteLevelClasses.contains(family) { return family }
        for (file, document) in [("tokenizer_config.json", tokenizerConfig), ("config.json", try FastTokenizerOverrides.modelConfig(directory))] {
            if case .string(let named)? = document?["tokenizer_class"], named == name {
                throw TokenizerError.malformedFile(file: directory.appendingPathComponent(file).path,
                                                   detail: "'tokenizer_class' is \(name), which Glassbox does not build from "
                                                   + "vocab.json + merges.txt (GPT2Tokenizer and RobertaTokenizer only); "
                                                   + "a tokenizer.json works")
            }
        }
        return nil
    }

    /// What `RobertaTokenizerFast` (`transformers` 4.53.3) builds from `vocab.json` + `merges.txt`
    /// (`RobertaConverter`, then its `__init__`): `model` with a `ByteLevel` pre-tokenizer
    /// (`add_prefix_space`, default false), a `ByteLevel` decoder and a `RobertaProcessing`
    /// post-processor `<s> A </s>` / `<s> A </s></s> B </s>` (`cls_token` / `sep_token`, defaults
    /// `<s>` / `</s>`; `trim_offsets` default true). The special tokens (`config`'s or the class
    /// defaults `<s>` `</s>` `<unk>` `<pad>` `<mask>`) are added as the slow class wraps strings:
    /// normalized, and the mask with `lstrip`, not normalized. `file` names the settings file in
    /// errors (a setting that is not a boolean; a `cls_token` / `sep_token` that is not a token).
    static func roberta(model: BPEModel, config: TokenizerConfig, file: String) throws -> Tokenizer {
        let settings = FastTokenizerOverrides.Settings(config: config, file: file)
        let addPrefixSpace = try settings.bool("add_prefix_space", default: false)
        let trimOffsets = try settings.bool("trim_offsets", default: true)
        let defaults = FastTokenizerOverrides.Family.roberta.defaultSpecialTokens
        let specials = config.tokensToAdd(defaults: defaults,
                                           normalizedStrings: ["bos_token", "eos_token", "unk_token", "sep_token",
                                                               "pad_token", "cls_token"],
                                           lstripStrings: ["mask_token"])
        let added = try AddedVocabulary(tokens: specials, model: model, normalizer: nil)
        func token(_ key: String) throws -> (String, Int) {
            let content = config.value(key) == nil ? defaults[key] : config.tokenContent(key)
            guard let content, let id = added.id(of: content) ?? model.id(of: content) else {
                throw settings.fail("'\(key)' is not a token, which RobertaTokenizer's post-processor needs")
            }
            return (content, id)
        }
        let post = RobertaProcessing(cls: try token("cls_token"), sep: try token("sep_token"), trimOffsets: trimOffsets,
                                     addPrefixSpace: addPrefixSpace)
        return try Tokenizer(normalizer: nil, preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: addPrefixSpace, useRegex: true),
                             model: model, postProcessor: post, decoder: ByteLevelDecoder(), addedTokens: specials,
                             source: "vocab.json + merges.txt")
    }
}
