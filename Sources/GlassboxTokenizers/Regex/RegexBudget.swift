/// The most steps one `Regex.matches` call may take before it gives up with
/// `TokenizerError.regexBudgetExceeded`: `stepsPerUnit` per text scalar per instruction of the
/// pattern, and never less than `minimum`. A step is one thread step of the automaton or one
/// instruction of the backtracking engine. The automaton needs about two steps per scalar and
/// instruction for one search, so the budget leaves room for every search to rescan what the
/// previous one read many times over; only an input that makes the matches overlap badly, or a
/// pattern that backtracks exponentially (in the backtracking engine), reaches it.
struct RegexBudget: Sendable {
    static let stepsPerUnit = 32
    static let minimum = 1_000_000

    let pattern: String
    let textLength: Int
    let limit: Int
    private(set) var used = 0

    init(pattern: String, textLength: Int, instructions: Int) {
        self.pattern = pattern
        self.textLength = textLength
        let (units, o1) = (textLength + 1).multipliedReportingOverflow(by: instructions + 1)
        let (steps, o2) = units.multipliedReportingOverflow(by: Self.stepsPerUnit)
        limit = o1 || o2 ? Int.max : Swift.max(Self.minimum, steps)
    }

    /// No limit (for the `Replace` decoder, whose patterns must compile to an automaton).
    static func unlimited(pattern: String) -> RegexBudget {
        var budget = RegexBudget(pattern: pattern, textLength: 0, instructions: 0)
        budget.unlimited = true
        return budget
    }

    private var unlimited = false

    @inline(__always)
    mutating func spend(_ steps: Int) throws {
        used &+= steps
        if used > limit && !unlimited {
            throw TokenizerError.regexBudgetExceeded(pattern: pattern, steps: limit, textLength: textLength)
        }
    }
}

extension RegexAssertion {
    /// Whether the assertion holds at `pos` in `text`.
    static func holds(_ a: RegexAssertion, in text: UnsafeBufferPointer<Unicode.Scalar>, at pos: Int) -> Bool {
        let n = text.count
        switch a {
        case .lineStart: return pos == 0 || text[pos - 1] == "\n"
        case .lineEnd: return pos == n || text[pos] == "\n"
        case .textStart: return pos == 0
        case .textEnd: return pos == n
        case .textEndOrFinalNewline: return pos == n || (pos == n - 1 && text[pos] == "\n")
        case .wordBoundary, .notWordBoundary:
            let before = pos > 0 && UnicodeClasses.flags(text[pos - 1]).contains(.onigWord)
            let after = pos < n && UnicodeClasses.flags(text[pos]).contains(.onigWord)
            return (before != after) == (a == .wordBoundary)
        }
    }
}
