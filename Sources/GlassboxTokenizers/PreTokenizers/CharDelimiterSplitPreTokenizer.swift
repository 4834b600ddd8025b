/// Splits on one delimiter character, dropping it (`CharDelimiterSplit`).
struct CharDelimiterSplitPreTokenizer: PreTokenizer {
    let delimiter: Unicode.Scalar

    init(config: ConfigReader) throws {
        delimiter = try config.character("delimiter")
    }

    func preTokenize(_ string: inout PreTokenizedString) throws {
        let delimiter = self.delimiter
        try string.split { s in
            try s.split(SplitPattern.predicate { $0 == delimiter }.findMatches(in: s.scalars), behavior: .removed)
        }
    }
}
