/// SentencePiece-style pre-tokenizer (`Metaspace`): spaces become `▁` (the `replacement`), a
/// `▁` is put in front (`prepend_scheme`: `always`, only for the `first` split of the input, or
/// `never`), and with `split` the text is cut before every `▁`.
struct MetaspacePreTokenizer: PreTokenizer {
    enum PrependScheme: String, Sendable { case always, first, never }

    let replacement: Unicode.Scalar
    let prependScheme: PrependScheme
    let split: Bool

    init(config: ConfigReader) throws {
        replacement = try config.character("replacement")
        var scheme = PrependScheme.always
        if let name = try config.optionalString("prepend_scheme") {
            guard let s = PrependScheme(rawValue: name) else {
                throw config.fail("unknown prepend_scheme '\(name)' (always, first, never)")
            }
            scheme = s
        }
        if try config.optionalBool("add_prefix_space") == false {
            guard scheme == .never else {
                throw config.fail("add_prefix_space does not match declared prepend_scheme")
            }
            scheme = .never
        }
        prependScheme = scheme
        split = try config.bool("split", default: true)
    }

    func preTokenize(_ string: inout PreTokenizedString) throws {
        let replacement = self.replacement
        try string.split { normalized in
            var s = normalized
            s.map { $0 == " " ? replacement : $0 }
            switch prependScheme {
            case .always:
                if s.scalars.first != replacement { s.prepend([replacement]) }
            case .first:
                if s.scalars.first != replacement && s.originalStart == 0 { s.prepend([replacement]) }
            case .never: break
            }
            guard split else { return [s] }
            return try s.split(SplitPattern.predicate { $0 == replacement }.findMatches(in: s.scalars),
                           behavior: .mergedWithNext)
        }
    }
}
