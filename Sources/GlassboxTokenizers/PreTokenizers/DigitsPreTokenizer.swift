/// Splits numbers off (`Digits`): each numeric character alone with `individual_digits`, else
/// runs of them (numeric as Rust's `char::is_numeric`: any `N*` character).
struct DigitsPreTokenizer: PreTokenizer {
    let individualDigits: Bool

    init(config: ConfigReader) throws {
        individualDigits = try config.bool("individual_digits")
    }

    func preTokenize(_ string: inout PreTokenizedString) throws {
        let behavior: SplitBehavior = individualDigits ? .isolated : .contiguous
        try string.split { s in
            try s.split(SplitPattern.predicate(UnicodeClasses.isNumber).findMatches(in: s.scalars), behavior: behavior)
        }
    }
}
