/// WordPiece (BERT): greedy longest-match-first over the word, continuation pieces carrying a
/// prefix (`##`); a word with an unmatchable part, or longer than `max_input_chars_per_word`
/// characters, becomes the single unknown token.
struct WordPieceModel: TokenizationModel {
    let table: PieceTable
    let pieces: [String?]
    let unknownToken: String
    let prefix: [UInt8]
    let maxInputCharsPerWord: Int
    /// Bytes of the longest vocabulary piece: no longer candidate can match, so the search starts
    /// there (a word of n bytes costs O(n · longest), not O(n²), under a large
    /// `max_input_chars_per_word`).
    let longestPieceBytes: Int

    var typeName: String { "WordPiece" }
    var vocabularySize: Int { table.count }
    var vocabulary: [(String, Int)] { table.entries }

    init(vocabulary: [(String, Int)], unknownToken: String = "[UNK]", prefix: String = "##",
         maxInputCharsPerWord: Int = 100) {
        table = PieceTable(vocabulary)
        pieces = ModelRegistry.pieces(vocabulary)
        self.unknownToken = unknownToken
        self.prefix = Array(prefix.utf8)
        self.maxInputCharsPerWord = maxInputCharsPerWord
        longestPieceBytes = vocabulary.reduce(0) { max($0, $1.0.utf8.count) }
    }

    init(config: ConfigReader) throws {
        self.init(vocabulary: try ModelRegistry.vocabulary(config),
                  unknownToken: try config.optionalString("unk_token") ?? "[UNK]",
                  prefix: try config.optionalString("continuing_subword_prefix") ?? "##",
                  maxInputCharsPerWord: try config.int("max_input_chars_per_word", default: 100))
    }

    func id(of piece: String) -> Int? { table.id(of: piece) }
    func piece(for id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id] : nil }

    private func unknown(_ word: UnsafeBufferPointer<UInt8>) throws -> ModelToken {
        guard let id = table.id(of: unknownToken) else {
            throw TokenizerError.unknownTokenMissing(model: typeName, token: unknownToken)
        }
        return ModelToken(id: id, start: 0, end: word.count)
    }

    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) throws {
        var chars = 0
        for b in word where b & 0xC0 != 0x80 { chars += 1 }
        if chars > maxInputCharsPerWord { tokens.append(try unknown(word)); return }
        let first = tokens.count
        var buffer = prefix
        var start = 0
        while start < word.count {
            // The longest candidate that could be a piece (with the prefix when not at the start),
            // cut back to a character boundary.
            var end = min(word.count, start + max(1, longestPieceBytes - (start > 0 ? prefix.count : 0)))
            while end > start && end < word.count && word[end] & 0xC0 == 0x80 { end -= 1 }
            var found: Int? = nil
            while start < end {
                let piece = UnsafeBufferPointer(rebasing: word[start..<end])
                let id: Int?
                if start > 0 {
                    buffer.removeSubrange(prefix.count...)
                    buffer.append(contentsOf: piece)
                    id = table.id(of: buffer)
                } else {
                    id = table.id(piece)
                }
                if let id { found = id; break }
                // Drop the last character.
                end -= 1
                while end > start && word[end] & 0xC0 == 0x80 { end -= 1 }
            }
            guard let id = found else {
                tokens.removeSubrange(first...)
                tokens.append(try unknown(word))
                return
            }
            tokens.append(ModelToken(id: id, start: start, end: end))
            start = end
        }
    }
}
