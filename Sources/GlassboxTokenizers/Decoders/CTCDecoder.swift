/// Connectionist-temporal-classification output (`CTC`): repeated tokens collapse, the pad
/// token disappears, and with `cleanup` the word delimiter becomes a space.
struct CTCDecoder: TokenDecoder {
    let padToken: String
    let wordDelimiter: String
    let cleanup: Bool

    init(config: ConfigReader) throws {
        padToken = try config.string("pad_token")
        wordDelimiter = try config.string("word_delimiter_token")
        cleanup = try config.bool("cleanup")
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        var out: [String] = []
        var previous: String? = nil
        for token in tokens {
            defer { previous = token }
            if let previous, token.sameBytes(as: previous) { continue }
            var t = token.replacingBytes(padToken, with: "")
            if cleanup { t = WordPieceDecoder.cleanup(t).replacingBytes(wordDelimiter, with: " ") }
            if !t.isEmpty { out.append(t) }
        }
        return out
    }
}
