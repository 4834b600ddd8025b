/// The ByteLevel post-processor: with `trim_offsets`, offsets no longer include the spaces
/// (`Ġ`) at the start or end of a token (a single leading space of the first token is kept when
/// the pre-tokenizer added it, `add_prefix_space`). Adds no tokens.
struct ByteLevelProcessing: PostProcessor {
    let trimOffsets: Bool
    let addPrefixSpace: Bool

    init(config: ConfigReader) throws {
        trimOffsets = try config.bool("trim_offsets")
        addPrefixSpace = try config.bool("add_prefix_space")
    }

    func process(_ encodings: [Encoding], addSpecialTokens: Bool) -> [Encoding] {
        guard trimOffsets else { return encodings }
        var encodings = encodings
        for i in encodings.indices { Self.trimOffsets(&encodings[i], addPrefixSpace: addPrefixSpace) }
        return encodings
    }

    func addedTokens(isPair: Bool) -> Int { 0 }

    /// `process_offsets`: counts leading and trailing `Ġ`/whitespace characters of each token
    /// string and moves the offsets in by as many units — characters of the input, as the
    /// post-processor sees offsets (Tokenizer's `postProcess`, ``CharacterOffsets``).
    static func trimOffsets(_ encoding: inout Encoding, addPrefixSpace: Bool) {
        let space = ByteLevel.characters[0x20]
        let isSpace = { (c: Unicode.Scalar) in c == space || UnicodeClasses.isWhitespace(c) }
        for i in 0..<encoding.count {
            let scalars = encoding.tokens[i].unicodeScalars
            var leading = 0
            for c in scalars { if isSpace(c) { leading += 1 } else { break } }
            var trailing = 0
            for c in scalars.reversed() { if isSpace(c) { trailing += 1 } else { break } }
            guard leading > 0 || trailing > 0 else { continue }
            var span = encoding.offsets[i]
            if leading > 0 {
                let isFirst = i == 0 || span.start == 0
                if isFirst && addPrefixSpace && leading == 1 { leading = 0 }
                span.start = min(span.start + leading, span.end)
            }
            if trailing > 0 && span.end >= trailing {
                span.end = max(span.end - trailing, span.start)
            }
            encoding.offsets[i] = span
        }
    }
}
