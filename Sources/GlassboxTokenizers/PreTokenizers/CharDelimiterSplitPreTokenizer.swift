/// Splits on one delimiter character, dropping it (`CharDelimiterSplit`).
struct CharDelimiterSplitPreTokenizer: PreTokenizer {
    let delimiter: Unicode.Scalar

    init(config: ConfigReader) throws {
        delimiter = try config.character("delimiter")
    }

    func preTokenize(_ string: inout PreTokenizedString) {
        let delimiter = self.delimiter
        string.split { s in
            s.split(SplitPattern.predicate { $0 == delimiter }.findMatches(in: s.scalars), behavior: .removed)
        }
    }
}
