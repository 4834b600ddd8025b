/// Splits into runs of word characters and runs of other non-space characters, dropping the
/// whitespace (`Whitespace`: the `regex` crate's `\w+|[^\w\s]+`).
struct WhitespacePreTokenizer: PreTokenizer {
    static let regex: Regex? = {
        let word = ScalarClass(items: [.flags(.regexWord, negated: false)])
        let other = ScalarClass(items: [.flags(.regexWord, negated: false), .flags(.whitespace, negated: false)],
                                negated: true)
        let node = RegexNode.alternation([.repetition(.set(word), min: 1, max: nil, mode: .greedy),
                                          .repetition(.set(other), min: 1, max: nil, mode: .greedy)])
        return (try? RegexCompiler.compile(node, pattern: #"\w+|[^\w\s]+"#)).map {
            Regex(pattern: #"\w+|[^\w\s]+"#, compiled: $0)
        }
    }()

    func preTokenize(_ string: inout PreTokenizedString) throws {
        guard let regex = Self.regex else {
            throw TokenizerError.invalidRegex(pattern: #"\w+|[^\w\s]+"#, detail: "the built-in pattern did not compile")
        }
        string.split { s in
            s.split(SplitPattern.inverted(.regex(regex)).findMatches(in: s.scalars), behavior: .removed)
        }
    }
}

/// Splits on whitespace, dropping it (`WhitespaceSplit`).
struct WhitespaceSplitPreTokenizer: PreTokenizer {
    func preTokenize(_ string: inout PreTokenizedString) {
        string.split { s in
            s.split(SplitPattern.predicate(UnicodeClasses.isWhitespace).findMatches(in: s.scalars), behavior: .removed)
        }
    }
}
