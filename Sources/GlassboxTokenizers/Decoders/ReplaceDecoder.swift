/// Replaces every match of a pattern in each token (`Replace` decoder, e.g. `▁` → space).
/// Decoding cannot fail, so the pattern must compile to an automaton (no atomic groups over
/// more than one class, no variable-length lookarounds): each search is then linear in the token.
struct ReplaceDecoder: TokenDecoder {
    let regex: Regex
    let content: String

    init(config: ConfigReader) throws {
        regex = try ReplaceNormalizer.regex(config)
        guard regex.automaton != nil else {
            throw TokenizerError.invalidRegex(pattern: regex.pattern, detail:
                "a Replace decoder's pattern cannot use atomic groups or lookarounds of variable length")
        }
        content = try config.string("content")
        guard growthFactor <= maximumDecoderGrowth else {
            throw config.fail("a Replace decoder of \(content.unicodeScalars.count) scalars can make the text up to "
                              + "\(Int(growthFactor.rounded(.up)))× longer (more than \(Int(maximumDecoderGrowth))×)")
        }
    }

    /// Each match of `m ≥ 1` scalars becomes `content`: at most `max(1, |content| / m)` times longer;
    /// a pattern that can match the empty text inserts `content` between any two scalars.
    var growthFactor: Double {
        let c = Double(content.unicodeScalars.count)
        if let literal = regex.literal { return max(1, c / Double(max(1, literal.count))) }
        let matchesEmpty = !regex.unboundedMatches(in: []).isEmpty
        return matchesEmpty ? c + 1 : max(1, c)
    }

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
