/// Replaces every match of a pattern in each token (`Replace` decoder, e.g. `▁` → space).
/// Decoding cannot fail, so the pattern must compile to an automaton (no atomic groups over
/// more than one class, no variable-length lookarounds): each search is then linear in the token.
struct ReplaceDecoder: TokenDecoder {
    let regex: Regex
    let content: String

    init(config: ConfigReader) throws {
        regex = try ReplaceNormalizer.regex(config)
        guard regex.automaton != nil else {
            throw config.fail(TokenizerError.invalidRegex(pattern: regex.pattern, detail:
                "a Replace decoder's pattern cannot use atomic groups or lookarounds of variable length").errorDescription!)
        }
        content = try config.string("content")
        guard growthFactor <= ReplaceNormalizer.maximumChainGrowth else {
            throw config.fail("a Replace decoder of \(content.unicodeScalars.count) scalars can make the text up to "
                              + "\(ReplaceNormalizer.describe(growth: growthFactor))× longer "
                              + "(more than \(Int(ReplaceNormalizer.maximumChainGrowth))×)")
        }
    }

    /// As for the `Replace` normalizer: ``ReplaceNormalizer/growthFactor(_:contentLength:)``.
    var growthFactor: Double { ReplaceNormalizer.growthFactor(regex, contentLength: content.unicodeScalars.count) }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let scalars = Array(token.unicodeScalars)
            var out = String.UnicodeScalarView()
            var last = 0
            for m in regex.unboundedMatches(in: scalars) {
                out.append(contentsOf: scalars[last..<m.lowerBound])
                out.append(contentsOf: content.unicodeScalars)
                last = m.upperBound
            }
            out.append(contentsOf: scalars[last...])
            return String(out)
        }
    }
}
