import Foundation
import GlassboxFiles

/// Checkpoints without `tokenizer.json`: the pipelines `transformers` builds when it converts
/// GPT-2's `vocab.json` + `merges.txt` or BERT's `vocab.txt` (`GPT2Converter`, `BertConverter`),
/// with options and special tokens from `tokenizer_config.json` and `special_tokens_map.json`.
enum LegacyFiles {
    /// GPT-2 byte-level BPE (``byteLevelBPE(vocabulary:merges:)``) with GPT-2's pre-tokenizer,
    /// decoder and special tokens. `RobertaTokenizer` folders get RoBERTa's pipeline instead
    /// (``roberta(model:config:file:)``); a folder naming another class is refused
    /// (``byteLevelFamily(tokenizerConfig:directory:)``).
    static func gpt2(vocabulary vocabURL: URL, merges mergesURL: URL, directory: URL) throws -> Tokenizer {
        let parsed = try FastTokenizerOverrides.tokenizerConfig(directory)
        let hasConfig = parsed != nil
        let family = try byteLevelFamily(tokenizerConfig: parsed, directory: directory)
        let config = try TokenizerConfig(directory: directory, tokenizerConfig: parsed)
        let model = try byteLevelBPE(vocabulary: vocabURL, merges: mergesURL)
        if family == .roberta {
            return try roberta(model: model, config: config,
                               file: FastTokenizerOverrides.settingsFile(directory: directory, hasConfig: hasConfig))
        }
        let addPrefixSpace = config.bool("add_prefix_space") ?? false
        let specials = config.tokensToAdd(defaults: ["bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>",
                                                     "unk_token": "<|endoftext|>"],
                                           normalizedStrings: ["bos_token", "eos_token", "unk_token", "pad_token"])
        let added = try AddedVocabulary(tokens: specials, model: model, normalizer: nil)
        let postProcessor: any PostProcessor
        if config.bool("add_bos_token") == true {
            let bos = config.tokenContent("bos_token") ?? "<|endoftext|>"
            let id = added.id(of: bos) ?? model.id(of: bos) ?? 0
            postProcessor = TemplateProcessing(single: [.special(id: bos, typeID: 0), .sequence(second: false, typeID: 0)],
                                               pair: [.special(id: bos, typeID: 0), .sequence(second: false, typeID: 0),
                                                      .sequence(second: true, typeID: 1)],
                                               specialTokens: [bos: ([id], [bos])])
        } else {
            postProcessor = NoPostProcessor()
        }
        return try Tokenizer(normalizer: nil, preTokenizer: ByteLevelPreTokenizer(addPrefixSpace: addPrefixSpace, useRegex: true),
                             model: model, postProcessor: postProcessor, decoder: ByteLevelDecoder(),
                             addedTokens: specials, source: "vocab.json + merges.txt")
    }

    /// The BPE model of `vocab.json` + `merges.txt`. Merges are read as `GPT2Tokenizer` reads
    /// them: the first line (the `#version` header) and the last (empty after the final newline)
    /// are skipped, each line is two pieces separated by whitespace, and a repeated pair keeps its
    /// first rank.
    static func byteLevelBPE(vocabulary vocabURL: URL, merges mergesURL: URL) throws -> BPEModel {
        let vocabFile = vocabURL.path
        let root = ConfigReader(try JSONValue.parse(try read(vocabURL), file: vocabFile), file: vocabFile, path: "")
        guard case .object(let members) = root.value else { throw root.fail("expected a JSON object of token → id") }
        var vocabulary: [(String, Int)] = []
        vocabulary.reserveCapacity(members.count)
        for (piece, value) in members {
            if case .int(let id) = value, id >= 0, id <= Int(Int32.max) { vocabulary.append((piece, id)) }
        }
        try ModelRegistry.checkDense(vocabulary) { root.fail($0) }
        let text = String(decoding: try read(mergesURL), as: UTF8.self)
        var lines = text.components(separatedBy: "\n")
        lines = lines.count >= 2 ? Array(lines[1..<(lines.count - 1)]) : []
        var merges: [(String, String)] = []
        var seen = Set<[UInt8]>()
        for (n, line) in lines.enumerated() {
            let parts = line.split(whereSeparator: { $0.isWhitespace })
            guard parts.count == 2 else {
                throw TokenizerError.malformedFile(file: mergesURL.path, detail: "line \(n + 2) is not two pieces")
            }
            let key = Array(parts[0].utf8) + [0x20] + Array(parts[1].utf8)
            if seen.insert(key).inserted { merges.append((String(parts[0]), String(parts[1]))) }
        }
        return try BPEModel(vocabulary: vocabulary, merges: merges, options: .init(), file: mergesURL.path)
    }

    /// BERT WordPiece from `vocab.txt` (one piece per line, id = line number; a repeated piece
    /// keeps its last line), lowercasing as `do_lower_case` says (default true).
    static func wordPiece(vocabulary url: URL, directory: URL) throws -> Tokenizer {
        let config = try TokenizerConfig(directory: directory)
        let text = String(decoding: try read(url), as: UTF8.self)
        // Python's universal newlines: \r\n and \r end lines too.
        var lines = text.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\r", with: "\n")
            .components(separatedBy: "\n")
        if lines.last == "" { lines.removeLast() }
        let vocabulary = lines.enumerated().map { ($0.element, $0.offset) }
        let unk = config.tokenContent("unk_token") ?? "[UNK]"
        let model = WordPieceModel(vocabulary: vocabulary, unknownToken: unk)
        let lowercase = config.bool("do_lower_case") ?? true
        let normalizer = BertNormalizer(cleanText: true, handleChineseChars: config.bool("tokenize_chinese_chars") ?? true,
                                        stripAccents: config.bool("strip_accents"), lowercase: lowercase)
        let cls = config.tokenContent("cls_token") ?? "[CLS]"
        let sep = config.tokenContent("sep_token") ?? "[SEP]"
        let specials = config.tokensToAdd(defaults: [
            "unk_token": "[UNK]", "sep_token": "[SEP]", "pad_token": "[PAD]", "cls_token": "[CLS]", "mask_token": "[MASK]"])
        let added = try AddedVocabulary(tokens: specials, model: model, normalizer: normalizer)
        let id = { (t: String) in added.id(of: t) ?? model.id(of: t) ?? 0 }
        let post = TemplateProcessing(
            single: [.special(id: cls, typeID: 0), .sequence(second: false, typeID: 0), .special(id: sep, typeID: 0)],
            pair: [.special(id: cls, typeID: 0), .sequence(second: false, typeID: 0), .special(id: sep, typeID: 0),
                   .sequence(second: true, typeID: 1), .special(id: sep, typeID: 1)],
            specialTokens: [cls: ([id(cls)], [cls]), sep: ([id(sep)], [sep])])
        return try Tokenizer(normalizer: normalizer, preTokenizer: BertPreTokenizer(), model: model, postProcessor: post,
                             decoder: WordPieceDecoder(prefix: "##", cleanup: true), addedTokens: specials,
                             source: "vocab.txt")
    }

    /// A tokenizer file's bytes: a regular file of at most ``InputLimits/tokenizerFileBytes``.
    static func read(_ url: URL) throws -> Data {
        try InputFile.read(url, limit: InputLimits.tokenizerFileBytes)
    }
}
