/// A model: turns one split (the UTF-8 bytes of its normalized text) into tokens, and maps
/// between ids and pieces (`model` in tokenizer.json).
protocol TokenizationModel: Sendable {
    /// Appends the tokens of `word`, with byte offsets into it.
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) throws
    func id(of piece: String) -> Int?
    func piece(for id: Int) -> String?
    /// The number of pieces in the vocabulary (`get_vocab_size`).
    var vocabularySize: Int { get }
    /// All pieces with their ids.
    var vocabulary: [(String, Int)] { get }
    /// The model's type name (`BPE`, `WordPiece`, …).
    var typeName: String { get }
    /// The token string of `token` when it is not its piece (`word` is the split's UTF-8), or nil.
    func tokenValue(_ token: ModelToken, in word: [UInt8]) -> String?
}

extension TokenizationModel {
    func tokenValue(_ token: ModelToken, in word: [UInt8]) -> String? { nil }
}

/// The model types of tokenizer.json, by their `"type"`.
enum ModelRegistry {
    static let builders: [String: @Sendable (ConfigReader) throws -> any TokenizationModel] = [
        "BPE": { try BPEModel(config: $0) },
        "WordPiece": { try WordPieceModel(config: $0) },
        "WordLevel": { try WordLevelModel(config: $0) },
        "Unigram": { try UnigramModel(config: $0) },
    ]

    static func make(_ config: ConfigReader) throws -> any TokenizationModel {
        // Files written before `type` existed: WordPiece has a prefix, Unigram a list of [piece, score],
        // WordLevel only a vocab.
        var type: String
        if config.member("type") == nil, case .object = config.value {
            var vocabularyIsList = false
            if case .array = config.member("vocab") { vocabularyIsList = true }
            type = config.member("merges") != nil ? "BPE"
                : vocabularyIsList ? "Unigram"
                : config.member("continuing_subword_prefix") != nil ? "WordPiece" : "WordLevel"
        } else {
            type = try config.typeName(part: .model)
        }
        guard let build = builders[type] else {
            throw TokenizerError.unsupportedType(part: .model, type: type, supported: builders.keys.sorted(),
                                                 file: config.file)
        }
        return try build(config)
    }

    /// Reads a `"vocab"` object of piece → id.
    static func vocabulary(_ config: ConfigReader) throws -> [(String, Int)] {
        let vocabulary = try config.object("vocab").map { (piece, value) in
            guard case .int(let id) = value.value, id >= 0, id <= Int(Int32.max) else {
                throw value.fail("the id of \(piece.debugDescription) must be a non-negative integer")
            }
            return (piece, id)
        }
        try checkDense(vocabulary) { config.fail($0) }
        return vocabulary
    }

    /// Ids index an array: refuse a vocabulary whose ids are far sparser than its size.
    static func checkDense(_ vocabulary: [(String, Int)], fail: (String) -> TokenizerError) throws {
        let largest = vocabulary.map(\.1).max() ?? 0
        if largest > 16 * vocabulary.count + 65_536 {
            throw fail("vocabulary ids are not dense: id \(largest) for \(vocabulary.count) pieces")
        }
    }

    /// The id → piece table of a vocabulary (the last piece wins for a repeated id).
    static func pieces(_ vocabulary: [(String, Int)]) -> [String?] {
        var pieces = [String?](repeating: nil, count: (vocabulary.map(\.1).max() ?? -1) + 1)
        for (piece, id) in vocabulary { pieces[id] = piece }
        return pieces
    }
}
