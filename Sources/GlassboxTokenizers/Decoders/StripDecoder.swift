/// Removes up to `start` leading and `stop` trailing occurrences of a character from every
/// token (`Strip` decoder; Llama 2 uses it to drop the space the normalizer prepended).
struct StripDecoder: TokenDecoder {
    let content: Unicode.Scalar
    let start: Int
    let stop: Int

    init(config: ConfigReader) throws {
        content = try config.character("content")
        start = try config.int("start")
        stop = try config.int("stop")
    }

    func decodeChain(_ tokens: [String]) -> [String] {
        tokens.map { token in
            let chars = Array(token.unicodeScalars)
            var lower = 0
            for i in 0..<min(start, chars.count) { if chars[i] == content { lower = i + 1 } else { break } }
            var upper = chars.count
            for i in 0..<min(stop, chars.count) {
                let index = chars.count - i - 1
                if chars[index] == content { upper = index } else { break }
            }
            guard lower < upper else { return "" }
            var out = String.UnicodeScalarView()
            out.append(contentsOf: chars[lower..<upper])
            return String(out)
        }
    }
}
