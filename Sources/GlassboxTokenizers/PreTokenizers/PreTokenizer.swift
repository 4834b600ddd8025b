/// A pre-tokenizer: cuts the normalized text into splits ("words") that the model tokenizes
/// separately, and may change them (`pre_tokenizer` in tokenizer.json).
protocol PreTokenizer: Sendable {
    func preTokenize(_ string: inout PreTokenizedString) throws
}

/// The pre-tokenizer types of tokenizer.json, by their `"type"`.
enum PreTokenizerRegistry {
    static let builders: [String: @Sendable (ConfigReader) throws -> any PreTokenizer] = [
        "ByteLevel": { try ByteLevelPreTokenizer(config: $0) },
        "Metaspace": { try MetaspacePreTokenizer(config: $0) },
        "BertPreTokenizer": { _ in BertPreTokenizer() },
        "Split": { try SplitPreTokenizer(config: $0) },
        "Whitespace": { _ in WhitespacePreTokenizer() },
        "WhitespaceSplit": { _ in WhitespaceSplitPreTokenizer() },
        "Punctuation": { try PunctuationPreTokenizer(config: $0) },
        "Digits": { try DigitsPreTokenizer(config: $0) },
        "CharDelimiterSplit": { try CharDelimiterSplitPreTokenizer(config: $0) },
        "FixedLength": { try FixedLengthPreTokenizer(config: $0) },
        "Sequence": { try PreTokenizerSequence(config: $0) },
    ]

    static func make(_ config: ConfigReader) throws -> any PreTokenizer {
        let type = try config.typeName(part: .preTokenizer)
        guard let build = builders[type] else {
            throw TokenizerError.unsupportedType(part: .preTokenizer, type: type, supported: builders.keys.sorted(),
                                                 file: config.file)
        }
        return try build(config)
    }
}

/// Several pre-tokenizers, one after the other (`Sequence`).
struct PreTokenizerSequence: PreTokenizer {
    let preTokenizers: [any PreTokenizer]

    init(config: ConfigReader) throws {
        preTokenizers = try config.array("pretokenizers").map(PreTokenizerRegistry.make)
    }

    func preTokenize(_ string: inout PreTokenizedString) throws {
        for p in preTokenizers { try p.preTokenize(&string) }
    }
}
