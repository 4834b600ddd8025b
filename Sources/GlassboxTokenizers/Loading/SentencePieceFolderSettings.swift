import Foundation

extension SentencePieceFolder {
    /// Refuses the `tokenizer_config.json` settings with which `transformers` (4.53.3) converts a
    /// Llama or T5 SentencePiece model into another pipeline than the one ``SentencePieceFolder``
    /// runs (`sentencepiece`'s own segmentation between added tokens):
    /// - `legacy: false` (`LlamaTokenizer`, `T5Tokenizer`): the converter drops the normalizer's
    ///   `▁` prefix for a `Metaspace` pre-tokenizer with `prepend_scheme: "first"`, so no `▁` is
    ///   added after a special token or to a leading space;
    /// - `add_prefix_space: false` (the same classes): no `▁` prefix at all.
    /// Each is a `malformedFile` error naming `file` and the key, and saying a `tokenizer.json`
    /// works (where `transformers` does not convert). `true` (the default) and null are accepted,
    /// as is a key the class does not read (other families). A value that is not a boolean is an
    /// error naming the key too.
    static func checkSettings(_ config: TokenizerConfig, family: FastTokenizerOverrides.Family?, file: String,
                              model: String) throws {
        guard family == .llama || family == .t5, let family else { return }
        let settings = FastTokenizerOverrides.Settings(config: config, file: file)
        let className = family.rawValue
        if config.value("legacy")?.isNull == false, try !settings.bool("legacy", default: true) {
            throw settings.fail("'legacy' is false, with which transformers converts \(model) for \(className) without "
                                + "the ▁ after special tokens; not supported (a tokenizer.json is)")
        }
        if config.value("add_prefix_space")?.isNull == false, try !settings.bool("add_prefix_space", default: true) {
            throw settings.fail("'add_prefix_space' is false, with which transformers converts \(model) for \(className) "
                                + "without the leading ▁; not supported (a tokenizer.json is)")
        }
    }
}
