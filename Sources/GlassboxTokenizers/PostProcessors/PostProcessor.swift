/// A post-processor: adds the special tokens a model expects around one sequence or a pair
/// (`[CLS] … [SEP]`, `<s> …`) and may adjust offsets (`post_processor` in tokenizer.json).
protocol PostProcessor: Sendable {
    /// Processes the encodings of a single sequence or a pair (`process_encodings`).
    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding]
    /// How many tokens it adds to a single sequence or to a pair.
    func addedTokens(isPair: Bool) -> Int
}

extension PostProcessor {
    /// Marks each sequence (type id and sequence id = its index), processes, and concatenates
    /// (`PostProcessor::process`).
    func run(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> Encoding {
        let marked = encodings.enumerated().map { $0.element.with(typeID: $0.offset, sequence: $0.offset) }
        var result = Encoding()
        for e in try process(marked, addSpecialTokens: addSpecialTokens) { result.append(contentsOf: e) }
        return result
    }
}

/// The post-processor types of tokenizer.json, by their `"type"`.
enum PostProcessorRegistry {
    static let builders: [String: @Sendable (ConfigReader) throws -> any PostProcessor] = [
        "TemplateProcessing": { try TemplateProcessing(config: $0) },
        "BertProcessing": { try BertProcessing(config: $0) },
        "RobertaProcessing": { try RobertaProcessing(config: $0) },
        "ByteLevel": { try ByteLevelProcessing(config: $0) },
        "Sequence": { try PostProcessorSequence(config: $0) },
    ]

    static func make(_ config: ConfigReader) throws -> any PostProcessor {
        let type = try config.typeName(part: .postProcessor)
        guard let build = builders[type] else {
            throw TokenizerError.unsupportedType(part: .postProcessor, type: type, supported: builders.keys.sorted(),
                                                 file: config.file)
        }
        return try build(config)
    }

    /// A `[piece, id]` pair (BertProcessing's `cls` and `sep`).
    static func tokenPair(_ config: ConfigReader, _ key: String) throws -> (String, Int) {
        let items = try config.array(key)
        guard items.count == 2 else { throw config.fail("'\(key)' must be [token, id]") }
        return (try items[0].asString(), try items[1].asInt())
    }
}

/// Several post-processors, one after the other (`Sequence`).
struct PostProcessorSequence: PostProcessor {
    let processors: [any PostProcessor]

    init(config: ConfigReader) throws {
        processors = try config.array("processors").map(PostProcessorRegistry.make)
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) throws -> [Encoding] {
        var current = encodings
        for p in processors { current = try p.process(current, addSpecialTokens: addSpecialTokens) }
        return current
    }

    func addedTokens(isPair: Bool) -> Int { processors.reduce(0) { $0 + $1.addedTokens(isPair: isPair) } }
}

/// Concatenation without special tokens, for tokenizers without a post-processor.
struct NoPostProcessor: PostProcessor {
    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] { encodings }
    func addedTokens(isPair: Bool) -> Int { 0 }
}
