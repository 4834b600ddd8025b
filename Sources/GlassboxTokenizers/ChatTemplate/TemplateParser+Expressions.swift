import Foundation

/// Expressions, with jinja2's precedence (loosest first): conditional `a if c else b`, `or`,
/// `and`, `not`, comparisons (`== != < <= > >= in`, `not in`), `+ -`, `~`, `* / // %`, `**`,
/// unary `- +`, then postfix `.attr`, `[item]`, `[a:b:c]`, `(call)`, `| filter`, `is test`.
extension TemplateParser {
    /// A single expression or a bare tuple `a, b` (a tuple value).
    mutating func parseTuple(conditional: Bool = true) throws -> TemplateExpression {
        let start = token.offset
        let first = conditional ? try parseExpression() : try parseOr()
        guard token.kind == .op(",") else { return first }
        var items = [first]
        while token.kind == .op(",") {
            advance()
            if [.blockEnd, .variableEnd, .op(")")].contains(token.kind) { break }
            items.append(conditional ? try parseExpression() : try parseOr())
        }
        return TemplateExpression(kind: .tuple(items), offset: start)
    }

    /// An expression with inline ifs (`a if c else b`).
    mutating func parseExpression() throws -> TemplateExpression {
        depth += 1
        defer { depth -= 1 }
        if depth > maxDepth { throw TemplateFailure(offset: token.offset, detail: "expression nested deeper than \(maxDepth)") }
        let mark = unknownNames.count
        var value = try parseOr()
        while case .name("if") = token.kind {
            let start = token.offset
            advance()
            // jinja2 compiles the whole inline if as conditional code.
            for i in mark..<unknownNames.count { unknownNames[i].soft = true }
            let outer = soft
            soft = true
            defer { soft = outer }
            let condition = try parseOr()
            var otherwise: TemplateExpression? = nil
            if case .name("else") = token.kind {
                advance()
                otherwise = try parseExpression()
            }
            value = TemplateExpression(kind: .conditional(condition: condition, then: value, otherwise: otherwise), offset: start)
        }
        return value
    }

    /// Counts one more link of a left-deep chain (`a + b + c`, `a.b.c`, `a|f|g`) as nesting, so the
    /// height of every expression tree (and the recursion evaluating it) stays within `maxDepth`.
    mutating func link(_ links: inout Int, at offset: Int) throws {
        links += 1
        depth += 1
        if depth > maxDepth { throw TemplateFailure(offset: offset, detail: "expression nested deeper than \(maxDepth)") }
    }

    /// `a or b or …`.
    mutating func parseOr() throws -> TemplateExpression {
        try parseBooleanChain("or", next: { try $0.parseAnd() }, combine: TemplateExpression.Kind.or)
    }

    /// `a and b and …`.
    mutating func parseAnd() throws -> TemplateExpression {
        try parseBooleanChain("and", next: { try $0.parseNot() }, combine: TemplateExpression.Kind.and)
    }

    /// `a WORD b WORD …` (`or`, `and`), left-associative, each operand parsed by `next`.
    private mutating func parseBooleanChain(_ word: String, next: (inout Self) throws -> TemplateExpression,
                                            combine: (TemplateExpression, TemplateExpression) -> TemplateExpression.Kind)
        throws -> TemplateExpression {
        var links = 0
        defer { depth -= links }
        var left = try next(&self)
        while case .name(let name) = token.kind, name == word {
            let at = token.offset
            try link(&links, at: at)
            advance()
            left = TemplateExpression(kind: combine(left, try next(&self)), offset: at)
        }
        return left
    }

    /// `not a`.
    mutating func parseNot() throws -> TemplateExpression {
        if case .name("not") = token.kind {
            let at = token.offset
            advance()
            depth += 1
            defer { depth -= 1 }
            if depth > maxDepth { throw TemplateFailure(offset: at, detail: "expression nested deeper than \(maxDepth)") }
            return TemplateExpression(kind: .not(try parseNot()), offset: at)
        }
        return try parseCompare()
    }

    /// A comparison chain.
    mutating func parseCompare() throws -> TemplateExpression {
        let start = token.offset
        let first = try parseMath1()
        var ops: [(String, TemplateExpression)] = []
        var links = 0
        defer { depth -= links }
        while true {
            try link(&links, at: token.offset)
            if case .op(let op) = token.kind, ["==", "!=", "<", "<=", ">", ">="].contains(op) {
                advance()
                ops.append((op, try parseMath1()))
            } else if case .name("in") = token.kind {
                advance()
                ops.append(("in", try parseMath1()))
            } else if case .name("not") = token.kind, index + 1 < tokens.count, tokens[index + 1].kind == .name("in") {
                advance(); advance()
                ops.append(("not in", try parseMath1()))
            } else {
                break
            }
        }
        return ops.isEmpty ? first : TemplateExpression(kind: .compare(first, ops), offset: start)
    }

    /// `a + b - c …`.
    mutating func parseMath1() throws -> TemplateExpression {
        try parseLeftAssociative(["+", "-"]) { try $0.parseConcat() }
    }

    /// `a ~ b ~ …`.
    mutating func parseConcat() throws -> TemplateExpression {
        try parseLeftAssociative(["~"]) { try $0.parseMath2() }
    }

    /// `a * b / c // d % e …`.
    mutating func parseMath2() throws -> TemplateExpression {
        try parseLeftAssociative(["*", "/", "//", "%"]) { try $0.parsePow() }
    }

    /// `a ** b …` (left-associative, as jinja2 parses it).
    mutating func parsePow() throws -> TemplateExpression {
        try parseLeftAssociative(["**"]) { try $0.parseUnary() }
    }

    /// `x op y op z …` for the binary operators `ops`, grouped from the left, each operand parsed
    /// by `next`; each link counts towards the nesting limit.
    mutating func parseLeftAssociative(_ ops: Set<String>, next: (inout TemplateParser) throws -> TemplateExpression)
        throws -> TemplateExpression {
        var links = 0
        defer { depth -= links }
        var left = try next(&self)
        while case .op(let op) = token.kind, ops.contains(op) {
            let at = token.offset
            try link(&links, at: at)
            advance()
            left = TemplateExpression(kind: .binary(op, left, try next(&self)), offset: at)
        }
        return left
    }

    /// `-a`, `+a`, or a primary with its postfixes and (with `withFilter`) filters and tests.
    mutating func parseUnary(withFilter: Bool = true) throws -> TemplateExpression {
        let at = token.offset
        var node: TemplateExpression
        if token.kind == .op("-") || token.kind == .op("+") {
            let negate = token.kind == .op("-")
            advance()
            depth += 1
            defer { depth -= 1 }
            if depth > maxDepth { throw TemplateFailure(offset: at, detail: "expression nested deeper than \(maxDepth)") }
            let operand = try parseUnary(withFilter: false)
            node = TemplateExpression(kind: negate ? .negate(operand) : .plus(operand), offset: at)
        } else {
            node = try parsePrimary()
        }
        node = try parsePostfix(node)
        if withFilter { node = try parseFilterExpression(node) }
        return node
    }

    /// A name, literal, parenthesized expression or tuple, list or dict.
    mutating func parsePrimary() throws -> TemplateExpression {
        let at = token.offset
        switch token.kind {
        case .name(let name):
            advance()
            switch name {
            case "true", "True": return TemplateExpression(kind: .literal(.bool(true)), offset: at)
            case "false", "False": return TemplateExpression(kind: .literal(.bool(false)), offset: at)
            case "none", "None": return TemplateExpression(kind: .literal(.none), offset: at)
            default: return TemplateExpression(kind: .name(name), offset: at)
            }
        case .string(var s):
            advance()
            // Adjacent string literals concatenate, as in Python.
            while case .string(let more) = token.kind { s += more; advance() }
            return TemplateExpression(kind: .literal(.string(s)), offset: at)
        case .integer(let i):
            advance()
            return TemplateExpression(kind: .literal(.int(i)), offset: at)
        case .float(let d):
            advance()
            return TemplateExpression(kind: .literal(.double(d)), offset: at)
        case .op("("):
            advance()
            if token.kind == .op(")") {
                advance()
                return TemplateExpression(kind: .tuple([]), offset: at)
            }
            let inner = try parseTuple()
            try expect(.op(")"), "')'")
            return inner
        case .op("["):
            advance()
            var items: [TemplateExpression] = []
            while token.kind != .op("]") {
                if !items.isEmpty { try expect(.op(","), "',' or ']'") }
                if token.kind == .op("]") { break }
                items.append(try parseExpression())
            }
            advance()
            return TemplateExpression(kind: .list(items), offset: at)
        case .op("{"):
            advance()
            var pairs: [(TemplateExpression, TemplateExpression)] = []
            while token.kind != .op("}") {
                if !pairs.isEmpty { try expect(.op(","), "',' or '}'") }
                if token.kind == .op("}") { break }
                let key = try parseExpression()
                try expect(.op(":"), "':' in a dict literal")
                pairs.append((key, try parseExpression()))
            }
            advance()
            return TemplateExpression(kind: .dict(pairs), offset: at)
        case .end, .blockEnd, .variableEnd:
            throw TemplateFailure(offset: at, detail: "expected an expression")
        default:
            throw TemplateFailure(offset: at, detail: "unexpected \(describe(token.kind))")
        }
    }

    /// A token as error messages name it.
    func describe(_ kind: TemplateToken.Kind) -> String {
        switch kind {
        case .op(let op): "'\(op)'"
        case .name(let n): "'\(n)'"
        default: "token"
        }
    }

    /// `.attr`, `[item]`, `[a:b:c]` and calls after `start`.
    mutating func parsePostfix(_ start: TemplateExpression) throws -> TemplateExpression {
        var node = start
        var links = 0
        defer { depth -= links }
        while true {
            let at = token.offset
            try link(&links, at: at)
            switch token.kind {
            case .op("."):
                advance()
                switch token.kind {
                case .name(let attribute):
                    advance()
                    node = TemplateExpression(kind: .attribute(node, attribute), offset: at)
                case .integer(let i):
                    advance()
                    node = TemplateExpression(kind: .item(node, TemplateExpression(kind: .literal(.int(i)), offset: at)), offset: at)
                default:
                    throw TemplateFailure(offset: token.offset, detail: "expected an attribute name after '.'")
                }
            case .op("["):
                advance()
                node = try parseSubscript(node, at: at)
            case .op("("):
                node = TemplateExpression(kind: .call(node, try parseArguments()), offset: at)
            default:
                return node
            }
        }
    }

    /// The inside of `[…]` after `base`: an index or a slice.
    mutating func parseSubscript(_ base: TemplateExpression, at: Int) throws -> TemplateExpression {
        var parts: [TemplateExpression?] = [nil]
        var colons = 0
        while token.kind != .op("]") {
            if token.kind == .op(":") {
                colons += 1
                if colons > 2 { throw TemplateFailure(offset: token.offset, detail: "too many ':' in a slice") }
                parts.append(nil)
                advance()
                continue
            }
            guard parts[parts.count - 1] == nil else { throw TemplateFailure(offset: token.offset, detail: "expected ']'") }
            parts[parts.count - 1] = try parseExpression()
        }
        advance()
        if colons == 0 {
            guard let index = parts[0] else { throw TemplateFailure(offset: at, detail: "expected an index in '[]'") }
            return TemplateExpression(kind: .item(base, index), offset: at)
        }
        while parts.count < 3 { parts.append(nil) }
        return TemplateExpression(kind: .slice(base, parts[0], parts[1], parts[2]), offset: at)
    }

    /// `(a, b, name=c)`, the current token being `(`.
    mutating func parseArguments() throws -> TemplateArguments {
        try expect(.op("("), "'('")
        var args = TemplateArguments()
        while token.kind != .op(")") {
            if !args.positional.isEmpty || !args.keywords.isEmpty { try expect(.op(","), "',' or ')'") }
            if token.kind == .op(")") { break }
            if token.kind == .op("*") || token.kind == .op("**") {
                throw TemplateFailure(offset: token.offset, detail: "*args and **kwargs in calls are not supported")
            }
            if case .name(let name) = token.kind, index + 1 < tokens.count, tokens[index + 1].kind == .op("=") {
                advance(); advance()
                args.keywords.append((name, try parseExpression()))
            } else {
                if !args.keywords.isEmpty { throw TemplateFailure(offset: token.offset, detail: "positional argument follows keyword argument") }
                args.positional.append(try parseExpression())
            }
        }
        advance()
        return args
    }

    /// `| filter`, `is test` and calls after them, left to right.
    mutating func parseFilterExpression(_ start: TemplateExpression) throws -> TemplateExpression {
        var node = start
        var links = 0
        defer { depth -= links }
        while true {
            let at = token.offset
            try link(&links, at: at)
            if token.kind == .op("|") {
                advance()
                let nameOffset = token.offset
                let name = try dottedName()
                if !TemplateRenderer.filterNames.contains(name) {
                    unknownNames.append((nameOffset, TemplateRenderer.unknownFilter(name), soft))
                }
                let args = token.kind == .op("(") ? try parseArguments() : TemplateArguments()
                node = TemplateExpression(kind: .filter(node, name, args), offset: at)
            } else if case .name("is") = token.kind {
                advance()
                var negated = false
                if case .name("not") = token.kind { negated = true; advance() }
                let nameOffset = token.offset
                let name = try dottedName()
                if !TemplateRenderer.testNames.contains(name) {
                    unknownNames.append((nameOffset, TemplateRenderer.unknownTest(name), soft))
                }
                var args = TemplateArguments()
                if token.kind == .op("(") {
                    args = try parseArguments()
                } else if startsTestArgument(token.kind) {
                    var argument = try parsePrimary()
                    argument = try parsePostfix(argument)
                    args.positional = [argument]
                }
                node = TemplateExpression(kind: .test(node, name, args, negated: negated), offset: at)
            } else if token.kind == .op("(") {
                node = TemplateExpression(kind: .call(node, try parseArguments()), offset: at)
            } else {
                return node
            }
        }
    }

    /// Whether a test takes this token as its one unparenthesized argument (`is divisibleby 3`).
    func startsTestArgument(_ kind: TemplateToken.Kind) -> Bool {
        switch kind {
        case .name(let n): !["else", "or", "and", "if", "in", "not", "is"].contains(n)
        case .string, .integer, .float: true
        case .op("["), .op("{"): true
        default: false
        }
    }

    /// A filter or test name (dotted names allowed, as jinja2 parses them).
    mutating func dottedName() throws -> String {
        guard case .name(var name) = token.kind else { throw TemplateFailure(offset: token.offset, detail: "expected a filter or test name") }
        advance()
        while token.kind == .op("."), index + 1 < tokens.count, case .name(let more) = tokens[index + 1].kind {
            advance(); advance()
            name += "." + more
        }
        return name
    }
}
