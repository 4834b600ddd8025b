/// Replaces every match of a pattern in each token (`Replace` decoder, e.g. `▁` → space).
struct ReplaceDecoder: TokenDecoder {
    let pattern: SplitPattern
    let content: String

    init(config: ConfigReader) throws {
        pattern = .regex(try ReplaceNormalizer.regex(config))
        content = try config.string("content")
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var out = String.UnicodeScalarView()
            for piece in pattern.findMatches(in: scalars) {
                if piece.isMatch { out.append(contentsOf: content.unicodeScalars) } else { out.append(contentsOf: scalars[piece.range]) }
            }
            return String(out)
        }
    }
}
