/// Cuts the text into pieces of `length` characters (`FixedLength`; the last may be shorter).
struct FixedLengthPreTokenizer: PreTokenizer {
    let length: Int

    init(config: ConfigReader) throws {
        length = try config.int("length", default: 5)
        guard length > 0 else { throw config.fail("'length' must be at least 1") }
    }

    func preTokenize(_ string: inout PreTokenizedString) {
        string.split { s in
            stride(from: 0, to: s.count, by: length).map { s.slice($0..<min($0 + length, s.count)) }
        }
    }
}
