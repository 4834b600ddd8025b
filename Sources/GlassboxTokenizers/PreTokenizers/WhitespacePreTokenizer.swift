/// Splits into runs of word characters and runs of other non-space characters, dropping the
/// whitespace (`Whitespace`: the `regex` crate's `\w+|[^\w\s]+`).
struct WhitespacePreTokenizer: PreTokenizer {
    static let regex: Regex? = {
        let word = ScalarClass(items: [.flags(.regexWord, negated: false)])
        let other = ScalarClass(items: [.flags(.regexWord, negated: false), .flags(.whitespace, negated: false)],
                                negated: true)
        let node = RegexNode.alternation([.repetition(.set(word), min: 1, max: nil, mode: .greedy),
                                          .repetition(.set(other), min: 1, max: nil, mode: .greedy)])
        return try? Regex(pattern: #"\w+|[^\w\s]+"#, node: node)
    }()

    func preTokenize(_ string: inout PreTokenizedString) throws {
        guard let regex = Self.regex else {
            throw TokenizerError.invalidRegex(pattern: #"\w+|[^\w\s]+"#, detail: "the built-in pattern did not compile")
        }
        try string.split { s in
            try s.split(SplitPattern.inverted(.regex(regex)).findMatches(in: s.scalars), behavior: .removed)
        }
    }
}

/// Splits on whitespace, dropping it (`WhitespaceSplit`).
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func preTokenize(_ string: inout PreTokenizedString) throws {
        try string.split { s in
            try s.split(SplitPattern.predicate(UnicodeClasses.isWhitespace).findMatches(in: s.scalars), behavior: .removed)
        }
    }
}
