/// Maps byte-level symbols back to bytes and decodes them as UTF-8, invalid sequences becoming
/// U+FFFD (`ByteLevel` decoder). A token with a character outside the table keeps its own bytes.
struct ByteLevelDecoder: TokenDecoder {
    func decodeChain(_ tokens: [String]) -> [String] {
        var bytes: [UInt8] = []
        for token in tokens {
            let start = bytes.count
            var mapped = true
            for c in token.unicodeScalars {
                guard let b = ByteLevel.byte(for: c) else { mapped = false; break }
                bytes.append(b)
            }
            if !mapped {
                bytes.removeSubrange(start...)
                bytes.append(contentsOf: token.utf8)
            }
        }
        return [LossyUTF8.decode(bytes)]
    }
}
