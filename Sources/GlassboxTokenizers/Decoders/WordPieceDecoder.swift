/// Joins WordPiece tokens (`WordPiece` decoder): a continuation (`##ing`) loses its prefix, any
/// other token after the first gets a space; `cleanup` removes spaces before punctuation and
/// in English contractions.
struct WordPieceDecoder: TokenDecoder {
    let prefix: String
    let cleanup: Bool

    init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    init(config: ConfigReader) throws {
        prefix = try config.string("prefix")
        cleanup = try config.bool("cleanup")
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var t = token
            if i != 0 {
                t = token.hasPrefixBytes(prefix)
                    ? String(decoding: token.utf8.dropFirst(prefix.utf8.count), as: UTF8.self) : " " + token
            }
            return cleanup ? Self.cleanup(t) : t
        }
    }

    /// The reference's `cleanup`.
    static func cleanup(_ text: String) -> String {
        var t = text
        for (from, to) in [(" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                           (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")] {
            t = t.replacingBytes(from, with: to)
        }
        return t
    }
}
