/// Turns `▁` back into spaces (`Metaspace` decoder); in the first token they are removed
/// instead, unless the prepend scheme is `never`.
struct MetaspaceDecoder: TokenDecoder {
    let replacement: Unicode.Scalar
    let prependsSpace: Bool

    init(config: ConfigReader) throws {
        let pre = try MetaspacePreTokenizer(config: config)
        replacement = pre.replacement
        prependsSpace = pre.prependScheme != .never
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.enumerated().map { i, token in
            var out = String.UnicodeScalarView()
            for c in token.unicodeScalars {
                if c == replacement {
                    if !(i == 0 && prependsSpace) { out.append(" ") }
                } else {
                    out.append(c)
                }
            }
            return String(out)
        }
    }
}
