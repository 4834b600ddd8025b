/// A parsed regular expression.
indirect enum RegexNode: Sendable {
    case empty
    case scalar(Unicode.Scalar, caseInsensitive: Bool)
    case set(ScalarClass)
    case concat([RegexNode])
    case alternation([RegexNode])
    case repetition(RegexNode, min: Int, max: Int?, mode: RepetitionMode)
    case assertion(RegexAssertion)
    case look(RegexNode, ahead: Bool, negate: Bool)
    case atomic(RegexNode)
}

enum RepetitionMode: Sendable { case greedy, lazy, possessive }

/// Zero-width assertions. `^` and `$` are line anchors, as in Ruby/Oniguruma.
enum RegexAssertion: Sendable { case lineStart, lineEnd, textStart, textEnd, textEndOrFinalNewline, wordBoundary, notWordBoundary }

/// Parses the Oniguruma (Ruby syntax) subset that tokenizer files use: alternation, groups
/// (`(?:…)`, `(?i:…)`, `(?i)`, named and plain captures treated as groups, `(?=…)`, `(?!…)`,
/// `(?<=…)`, `(?<!…)`, `(?>…)`), greedy / lazy / possessive quantifiers including `{n,m}`,
/// classes with ranges and escapes, `\s \S \d \D \w \W \h \H`, `\p{…}` / `\P{…}` general
/// categories, `.`, anchors, and `\t \n \r \f \v \a \e \xHH \x{…} \uHHHH` escapes. Anything else
/// (backreferences, scripts, class intersections) is an error naming the construct.
struct RegexParser {
    let pattern: String
    let scalars: [Unicode.Scalar]
    var index = 0
    var caseInsensitive = false
    var dotAll = false

    init(_ pattern: String) {
        self.pattern = pattern
        scalars = Array(pattern.unicodeScalars)
    }

    static func parse(_ pattern: String) throws -> RegexNode {
        var parser = RegexParser(pattern)
        let node = try parser.parseAlternation()
        if parser.index < parser.scalars.count { throw parser.fail("unbalanced ')'") }
        return node
    }

    func fail(_ detail: String) -> TokenizerError {
        .invalidRegex(pattern: pattern, detail: "\(detail) (at character \(index))")
    }

    var atEnd: Bool { index >= scalars.count }
    func peek(_ offset: Int = 0) -> Unicode.Scalar? {
        index + offset < scalars.count ? scalars[index + offset] : nil
    }

    private mutating func parseAlternation() throws -> RegexNode {
        // A `(?i)` inside this group holds until the group ends, across `|`.
        let savedFlags = (caseInsensitive, dotAll)
        defer { (caseInsensitive, dotAll) = savedFlags }
        var branches = [try parseConcatenation()]
        while peek() == "|" {
            index += 1
            branches.append(try parseConcatenation())
        }
        return branches.count == 1 ? branches[0] : .alternation(branches)
    }

    private mutating func parseConcatenation() throws -> RegexNode {
        var items: [RegexNode] = []
        while let c = peek(), c != "|", c != ")" {
            if c == "(", peek(1) == "?", let flagged = try parseInlineFlags() {
                // `(?i)` applies to the rest of the enclosing group; `(?i:…)` is a group.
                if let group = flagged { items.append(try parseQuantifiers(group)) }
                continue
            }
            let atom = try parseAtom()
            items.append(try parseQuantifiers(atom))
        }
        if items.isEmpty { return .empty }
        return items.count == 1 ? items[0] : .concat(items)
    }

    /// Parses `(?flags)` or `(?flags:…)` at the current position. Returns nil if this is another
    /// kind of group, `.some(nil)` for a bare flag switch, `.some(node)` for a flag group.
    private mutating func parseInlineFlags() throws -> RegexNode?? {
        var j = index + 2
        var on = true
        var ci = caseInsensitive, da = dotAll
        while j < scalars.count {
            let c = scalars[j]
            switch c {
            case "i": ci = on
            case "m": da = on
            case "x": throw fail("extended mode (?x) is not supported")
            case "-": on = false
            case ")":
                guard j > index + 2 else { return nil }
                caseInsensitive = ci
                dotAll = da
                index = j + 1
                return .some(nil)
            case ":":
                guard j > index + 2 else { return nil }
                let saved = (caseInsensitive, dotAll)
                caseInsensitive = ci
                dotAll = da
                index = j + 1
                let inner = try parseAlternation()
                guard peek() == ")" else { throw fail("missing ')'") }
                index += 1
                (caseInsensitive, dotAll) = saved
                return .some(inner)
            default: return nil
            }
            j += 1
        }
        return nil
    }

    private mutating func parseAtom() throws -> RegexNode {
        guard let c = peek() else { throw fail("unexpected end") }
        index += 1
        switch c {
        case "(": return try parseGroup()
        case "[": return .set(try parseClass())
        case ".": return .set(ScalarClass(items: [.any(dotAll: dotAll)]))
        case "^": return .assertion(.lineStart)
        case "$": return .assertion(.lineEnd)
        case "\\": return try parseEscape()
        case "*", "+", "?": throw fail("a quantifier with nothing to repeat")
        default: return .scalar(c, caseInsensitive: caseInsensitive)
        }
    }

    private mutating func parseGroup() throws -> RegexNode {
        var kind = "group"
        if peek() == "?" {
            switch (peek(1), peek(2)) {
            case (":", _): index += 2
            case ("=", _): index += 2; kind = "ahead"
            case ("!", _): index += 2; kind = "notAhead"
            case (">", _): index += 2; kind = "atomic"
            case ("<", "="): index += 3; kind = "behind"
            case ("<", "!"): index += 3; kind = "notBehind"
            case ("<", _), ("P", "<"), ("'", _):
                // Named group: skip the name.
                index += peek(1) == "P" ? 3 : 2
                while let c = peek(), c != ">", c != "'" { index += 1 }
                index += 1
            default: throw fail("unsupported group syntax '(?\(peek(1).map { String($0) } ?? "")'")
            }
        }
        let inner = try parseAlternation()
        guard peek() == ")" else { throw fail("missing ')'") }
        index += 1
        switch kind {
        case "ahead": return .look(inner, ahead: true, negate: false)
        case "notAhead": return .look(inner, ahead: true, negate: true)
        case "behind": return .look(inner, ahead: false, negate: false)
        case "notBehind": return .look(inner, ahead: false, negate: true)
        case "atomic": return .atomic(inner)
        default: return inner
        }
    }

    private mutating func parseQuantifiers(_ atom: RegexNode) throws -> RegexNode {
        var node = atom
        while let c = peek() {
            var min = 0, max: Int? = nil
            switch c {
            case "*": index += 1
            case "+": index += 1; min = 1
            case "?": index += 1; max = 1
            case "{":
                guard let (lo, hi, length) = try parseBraces() else { return node }
                index += length
                min = lo
                max = hi
                // In Ruby syntax `{n,m}+` repeats again rather than being possessive, and only
                // `{n,m}?` is lazy.
                if peek() == "?" {
                    index += 1
                    node = .repetition(node, min: min, max: max, mode: .lazy)
                } else {
                    node = .repetition(node, min: min, max: max, mode: .greedy)
                }
                continue
            default: return node
            }
            if case .assertion = node { throw fail("a quantifier on an anchor") }
            var mode = RepetitionMode.greedy
            if peek() == "?" { index += 1; mode = .lazy } else if peek() == "+" { index += 1; mode = .possessive }
            node = .repetition(node, min: min, max: max, mode: mode)
        }
        return node
    }

    /// `{n}`, `{n,}`, `{n,m}` or `{,m}` at the current position: (min, max, length), or nil if
    /// the brace is a literal. A bound above 100,000 is an error, as in Oniguruma (the `tokenizers`
    /// library's engine: "too big number for repeat range").
    private func parseBraces() throws -> (Int, Int?, Int)? {
        var j = index + 1
        func number() throws -> Int? {
            var value: Int? = nil
            while j < scalars.count, let d = Int(String(scalars[j])), (0...9).contains(d) {
                value = (value ?? 0) * 10 + d
                if value! > 100_000 { throw fail("too big number for repeat range (the limit is 100000)") }
                j += 1
            }
            return value
        }
        let lo = try number()
        var hi: Int?
        if j < scalars.count && scalars[j] == "," {
            j += 1
            hi = try number()
            guard lo != nil || hi != nil else { return nil }
        } else {
            guard lo != nil else { return nil }
            hi = lo
        }
        guard j < scalars.count, scalars[j] == "}" else { return nil }
        if let lo, let hi, hi < lo { return nil }
        return (lo ?? 0, hi, j + 1 - index)
    }
}
