/// Splits on punctuation characters with a delimiter behavior (`Punctuation`; isolated by
/// default); punctuation is BERT's (ASCII punctuation and Unicode 8.0 `P*`).
struct PunctuationPreTokenizer: PreTokenizer {
    let behavior: SplitBehavior

    init(config: ConfigReader) throws {
        let name = try config.optionalString("behavior") ?? "Isolated"
        guard let behavior = SplitBehavior(serialized: name) else { throw config.fail("unknown behavior '\(name)'") }
        self.behavior = behavior
    }

    func preTokenize(_ string: inout PreTokenizedString) throws {
        try string.split { s in
            try s.split(SplitPattern.predicate { UnicodeClasses.flags($0).contains(.bertPunctuation) }
                        .findMatches(in: s.scalars), behavior: behavior)
        }
    }
}
