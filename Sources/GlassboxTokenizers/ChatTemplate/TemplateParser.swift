import Foundation

/// Builds the statements of a template from its tokens, following jinja2's parser for the tags
/// chat templates use (`if`, `for`, `set`, `macro`, `generation`, `break`, `continue`); any
/// other tag is an error naming it. Nesting is bounded (`maxDepth`) so a hostile template
/// cannot exhaust the stack.
struct TemplateParser {
    var tokens: [TemplateToken]
    var index = 0
    /// Current nesting of statements and expressions.
    var depth = 0
    /// The deepest nesting accepted.
    let maxDepth: Int
    /// Whether the code being parsed runs only conditionally (inside `if` or an inline `… if … else …`,
    /// not inside a loop or macro body there): jinja2 reports an unknown filter or test there only
    /// when it runs, elsewhere when the template is compiled.
    var soft = false
    /// Unknown filters and tests met so far: where, the message, and whether in soft code.
    var unknownNames: [(offset: Int, detail: String, soft: Bool)] = []

    init(tokens: [TemplateToken], maxDepth: Int) {
        self.tokens = tokens
        self.maxDepth = maxDepth
    }

    var token: TemplateToken { tokens[index] }

    /// Moves to the next token (stays on `.end`).
    mutating func advance() { if index < tokens.count - 1 { index += 1 } }

    /// The statements of the whole template.
    mutating func parseTemplate() throws -> [TemplateNode] {
        let (body, end) = try parseBody(until: [])
        if let end { throw TemplateFailure(offset: end.offset, detail: "unexpected '\(end.name)'") }
        if let unknown = unknownNames.first(where: { !$0.soft }) { throw TemplateFailure(offset: unknown.offset, detail: unknown.detail) }
        return body
    }

    /// Statements up to a block tag whose name is in `names` (returned, its name consumed) or
    /// the end of the template (`nil`).
    mutating func parseBody(until names: Set<String>) throws -> ([TemplateNode], (name: String, offset: Int)?) {
        depth += 1
        defer { depth -= 1 }
        if depth > maxDepth { throw TemplateFailure(offset: token.offset, detail: "blocks nested deeper than \(maxDepth)") }
        var nodes: [TemplateNode] = []
        while true {
            switch token.kind {
            case .end:
                return (nodes, nil)
            case .data(let text):
                nodes.append(.text(text))
                advance()
            case .variableBegin:
                advance()
                let e = try parseTuple()
                try expect(.variableEnd, "'}}'")
                nodes.append(.output(e))
            case .blockBegin:
                let begin = token.offset
                advance()
                guard case .name(let name) = token.kind else {
                    throw TemplateFailure(offset: token.offset, detail: "expected a tag name after '{%'")
                }
                if names.contains(name) {
                    advance()
                    return (nodes, (name, begin))
                }
                nodes.append(try parseStatement(name, offset: begin))
            default:
                throw TemplateFailure(offset: token.offset, detail: "unexpected token")
            }
        }
    }

    /// Consumes a token of `kind` or fails naming `what` was expected.
    mutating func expect(_ kind: TemplateToken.Kind, _ what: String) throws {
        guard token.kind == kind else { throw TemplateFailure(offset: token.offset, detail: "expected \(what)") }
        advance()
    }

    /// Consumes the name `name` or fails.
    mutating func expectName(_ name: String) throws {
        guard case .name(name) = token.kind else { throw TemplateFailure(offset: token.offset, detail: "expected '\(name)'") }
        advance()
    }

    /// The body of a block that must end with one of `names`; an unclosed block names its tag.
    mutating func parseBlock(_ tag: String, at offset: Int, until names: Set<String>) throws -> ([TemplateNode], String) {
        let (body, end) = try parseBody(until: names)
        guard let end else {
            let expected = names.sorted().map { "'\($0)'" }.joined(separator: " or ")
            throw TemplateFailure(offset: offset, detail: "'\(tag)' block is not closed (expected \(expected))")
        }
        return (body, end.name)
    }

    /// The block tag `name` (its `{%` at `offset`), through its end tag.
    mutating func parseStatement(_ name: String, offset: Int) throws -> TemplateNode {
        switch name {
        case "if": return try parseIf(offset: offset)
        case "for": return try parseFor(offset: offset)
        case "set": return try parseSet(offset: offset)
        case "macro": return try parseMacro(offset: offset)
        case "generation":
            advance()
            try expect(.blockEnd, "'%}'")
            let (body, _) = try parseBlock("generation", at: offset, until: ["endgeneration"])
            try expect(.blockEnd, "'%}'")
            return .generation(body)
        case "filter": return try parseFilterBlock(offset: offset)
        case "break", "continue":
            advance()
            try expect(.blockEnd, "'%}'")
            return name == "break" ? .breakLoop(offset: offset) : .continueLoop(offset: offset)
        case "endif", "endfor", "endset", "endmacro", "endfilter", "endgeneration", "elif", "else":
            throw TemplateFailure(offset: offset, detail: "unexpected '\(name)' (no block is open that it could end)")
        default:
            throw TemplateFailure(offset: offset, detail: "unsupported tag '\(name)' (supported: if, for, set, macro, filter, generation, break, continue)")
        }
    }

    /// `if` … `elif` … `else` … `endif`.
    mutating func parseIf(offset: Int) throws -> TemplateNode {
        advance()
        let outer = soft
        soft = true
        defer { soft = outer }
        var branches: [(TemplateExpression, [TemplateNode])] = []
        var condition = try parseTuple(conditional: false)
        try expect(.blockEnd, "'%}'")
        while true {
            let (body, end) = try parseBlock("if", at: offset, until: ["elif", "else", "endif"])
            branches.append((condition, body))
            switch end {
            case "elif":
                condition = try parseTuple(conditional: false)
                try expect(.blockEnd, "'%}'")
            case "else":
                try expect(.blockEnd, "'%}'")
                let (otherwise, _) = try parseBlock("if", at: offset, until: ["endif"])
                try expect(.blockEnd, "'%}'")
                return .conditional(branches, otherwise: otherwise)
            default:
                try expect(.blockEnd, "'%}'")
                return .conditional(branches, otherwise: [])
            }
        }
    }

    /// `for target in iterable [if filter] [recursive]` … `else` … `endfor`.
    mutating func parseFor(offset: Int) throws -> TemplateNode {
        advance()
        let target = try parseTarget(allowNamespace: false)
        try expectName("in")
        let iterable = try parseTuple(conditional: false)
        var filter: TemplateExpression? = nil
        if case .name("if") = token.kind {
            advance()
            filter = try parseExpression()
        }
        var recursive = false
        if case .name("recursive") = token.kind {
            advance()
            recursive = true
        }
        try expect(.blockEnd, "'%}'")
        let outer = soft
        soft = false
        let (body, end) = try parseBlock("for", at: offset, until: ["else", "endfor"])
        soft = outer
        var otherwise: [TemplateNode] = []
        try expect(.blockEnd, "'%}'")
        if end == "else" {
            (otherwise, _) = try parseBlock("for", at: offset, until: ["endfor"])
            try expect(.blockEnd, "'%}'")
        }
        return .loop(target: target, iterable: iterable, filter: filter, body: body, otherwise: otherwise, recursive: recursive,
                     offset: offset)
    }

    /// `set target = value`, or a block `set name` … `endset`.
    mutating func parseSet(offset: Int) throws -> TemplateNode {
        advance()
        let target = try parseTarget(allowNamespace: true)
        if token.kind == .op("=") {
            advance()
            let value = try parseTuple()
            try expect(.blockEnd, "'%}'")
            return .assign(target, value, offset: offset)
        }
        guard case .name(let name) = target else {
            throw TemplateFailure(offset: token.offset, detail: "expected '=' in the set tag")
        }
        try expect(.blockEnd, "'%}' or '='")
        let outer = soft
        soft = false
        defer { soft = outer }
        let (body, _) = try parseBlock("set", at: offset, until: ["endset"])
        try expect(.blockEnd, "'%}'")
        return .assignBlock(name, body)
    }

    /// `{% filter name(args) | other … %}body{% endfilter %}`.
    mutating func parseFilterBlock(offset: Int) throws -> TemplateNode {
        advance()
        var filters: [(name: String, arguments: TemplateArguments, offset: Int)] = []
        repeat {
            if !filters.isEmpty { advance() }  // the `|`
            let at = token.offset
            let name = try dottedName()
            if !TemplateRenderer.filterNames.contains(name) {
                unknownNames.append((at, TemplateRenderer.unknownFilter(name), soft))
            }
            filters.append((name, token.kind == .op("(") ? try parseArguments() : TemplateArguments(), at))
        } while token.kind == .op("|")
        try expect(.blockEnd, "'%}'")
        let outer = soft
        soft = false
        defer { soft = outer }
        let (body, _) = try parseBlock("filter", at: offset, until: ["endfilter"])
        try expect(.blockEnd, "'%}'")
        return .filterBlock(filters, body)
    }

    /// `macro name(params)` … `endmacro`.
    mutating func parseMacro(offset: Int) throws -> TemplateNode {
        advance()
        guard case .name(let name) = token.kind else { throw TemplateFailure(offset: token.offset, detail: "expected a macro name") }
        advance()
        try expect(.op("("), "'(' after the macro name")
        var parameters: [(name: String, defaultValue: TemplateExpression?)] = []
        while token.kind != .op(")") {
            if !parameters.isEmpty { try expect(.op(","), "',' between macro parameters") }
            if token.kind == .op(")") { break }
            guard case .name(let p) = token.kind else { throw TemplateFailure(offset: token.offset, detail: "expected a parameter name") }
            advance()
            var value: TemplateExpression? = nil
            if token.kind == .op("=") {
                advance()
                value = try parseExpression()
            } else if parameters.contains(where: { $0.defaultValue != nil }) {
                throw TemplateFailure(offset: token.offset, detail: "non-default parameter follows default parameter")
            }
            parameters.append((p, value))
        }
        advance()
        try expect(.blockEnd, "'%}'")
        let outer = soft
        soft = false
        defer { soft = outer }
        let (body, _) = try parseBlock("macro", at: offset, until: ["endmacro"])
        if case .name = token.kind { advance() }  // `{% endmacro name %}`
        try expect(.blockEnd, "'%}'")
        return .macro(name: name, parameters: parameters, body: body)
    }

    /// `name`, `ns.attr` (set only) or `a, b` / `(a, b)`.
    mutating func parseTarget(allowNamespace: Bool) throws -> TemplateTarget {
        var names: [String] = []
        let parenthesized = token.kind == .op("(")
        if parenthesized { advance() }
        while true {
            guard case .name(let name) = token.kind else { throw TemplateFailure(offset: token.offset, detail: "expected a variable name") }
            if ["true", "false", "none", "True", "False", "None"].contains(name) {
                throw TemplateFailure(offset: token.offset, detail: "cannot assign to '\(name)'")
            }
            advance()
            if allowNamespace, names.isEmpty, !parenthesized, token.kind == .op(".") {
                advance()
                guard case .name(let attribute) = token.kind else { throw TemplateFailure(offset: token.offset, detail: "expected an attribute name") }
                advance()
                return .attribute(namespace: name, attribute: attribute)
            }
            names.append(name)
            guard token.kind == .op(",") else { break }
            advance()
        }
        if parenthesized { try expect(.op(")"), "')'") }
        return names.count == 1 && !parenthesized ? .name(names[0]) : .tuple(names)
    }
}
