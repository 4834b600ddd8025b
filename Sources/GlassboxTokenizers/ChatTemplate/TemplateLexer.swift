import Foundation

/// One token of a template: literal text, a tag delimiter, or a piece of an expression.
/// `offset` is where it starts, in Unicode scalars of the normalized source.
struct TemplateToken {
    /// What a token is, with its value.
    enum Kind: Equatable {
        /// Literal text between tags, whitespace control already applied.
        case data(String)
        case variableBegin, variableEnd, blockBegin, blockEnd
        case name(String)
        case string(String)
        case integer(Int)
        case float(Double)
        /// An operator or punctuation: `+ - * / // % ** ~ == != < <= > >= = . , : | ( ) [ ] { }`.
        case op(String)
        case end
    }

    let kind: Kind
    let offset: Int
}

/// Splits a template into tokens as jinja2's lexer does with `trim_blocks=True` and
/// `lstrip_blocks=True` (transformers' environment): `\r\n` and `\r` become `\n` and one trailing
/// line break is dropped (`keep_trailing_newline=False`); a `-` inside a delimiter strips the
/// whitespace on that side; the line break after a block or comment tag is dropped (unless `+%}`);
/// spaces and tabs before a block or comment tag that starts a line are dropped (unless `{%+`);
/// comments produce no token.
struct TemplateLexer {
    /// The normalized source, one element per Unicode scalar.
    let source: [Unicode.Scalar]
    private var pos = 0
    private var tokens: [TemplateToken] = []
    private var lineStarting = true

    /// Normalizes `text`'s line breaks as jinja2 does before lexing.
    static func normalize(_ text: String) -> [Unicode.Scalar] {
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(text.unicodeScalars.count)
        var previousCR = false
        for s in text.unicodeScalars {
            if s == "\r" {
                out.append("\n")
                previousCR = true
                continue
            }
            if s == "\n", previousCR { previousCR = false; continue }
            previousCR = false
            out.append(s)
        }
        if out.last == "\n" { out.removeLast() }
        return out
    }

    /// All tokens, ending with `.end`.
    static func tokenize(_ source: [Unicode.Scalar]) throws -> [TemplateToken] {
        var lexer = TemplateLexer(scalars: source)
        try lexer.run()
        return lexer.tokens
    }

    private init(scalars: [Unicode.Scalar]) { source = scalars }

    /// The scalar at `i`, nil past the end.
    private func at(_ i: Int) -> Unicode.Scalar? { i < source.count ? source[i] : nil }

    /// Whether `literal` occurs at `i`.
    private func matches(_ literal: String, at i: Int) -> Bool {
        var j = i
        for s in literal.unicodeScalars {
            guard at(j) == s else { return false }
            j += 1
        }
        return true
    }

    /// Python's `str.isspace` for one scalar.
    static func isSpace(_ s: Unicode.Scalar) -> Bool {
        s.properties.isWhitespace || (0x1C...0x1F).contains(s.value)
    }

    /// Splits the whole source: text up to each tag, then the tag (comments skipped).
    private mutating func run() throws {
        while pos < source.count {
            // The next tag start: `{{`, `{%` or `{#`.
            var i = pos
            var kind: Unicode.Scalar? = nil
            while i + 1 < source.count {
                if source[i] == "{", ["{", "%", "#"].contains(source[i + 1]) { kind = source[i + 1]; break }
                i += 1
            }
            guard let kind else {
                appendData(Array(source[pos...]), at: pos)
                pos = source.count
                break
            }
            let sign: Unicode.Scalar? = (at(i + 2) == "-" || at(i + 2) == "+") ? at(i + 2) : nil
            var text = Array(source[pos..<i])
            if sign == "-" {
                while let last = text.last, Self.isSpace(last) { text.removeLast() }
            } else if sign != "+", kind != "{" {
                // lstrip_blocks: whitespace between the line start and a block or comment tag.
                let lineStart = (text.lastIndex(of: "\n").map { $0 + 1 }) ?? 0
                if lineStart > 0 || lineStarting, lineStart < text.count,
                   text[lineStart...].allSatisfy(Self.isSpace) {
                    text.removeSubrange(lineStart...)
                }
            }
            appendData(text, at: pos)
            let inner = i + 2 + (sign == nil ? 0 : 1)
            switch kind {
            case "#": try skipComment(from: inner, tagStart: i)
            case "%":
                if isRawTag(inner) { throw TemplateFailure(offset: i, detail: "{% raw %} blocks are not supported") }
                tokens.append(TemplateToken(kind: .blockBegin, offset: i))
                try lexTag(from: inner, block: true, tagStart: i)
            default:
                tokens.append(TemplateToken(kind: .variableBegin, offset: i))
                try lexTag(from: inner, block: false, tagStart: i)
            }
        }
        tokens.append(TemplateToken(kind: .end, offset: source.count))
    }

    /// A `.data` token of `text` (none if empty).
    private mutating func appendData(_ text: [Unicode.Scalar], at offset: Int) {
        guard !text.isEmpty else { return }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: text)
        tokens.append(TemplateToken(kind: .data(String(s)), offset: offset))
    }

    /// Whether the block tag starting at `i` is `raw`.
    private func isRawTag(_ i: Int) -> Bool {
        var j = i
        while let c = at(j), Self.isSpace(c) { j += 1 }
        guard matches("raw", at: j) else { return false }
        j += 3
        if let c = at(j), c.properties.isAlphabetic || c == "_" || ("0"..."9").contains(c) { return false }
        return true
    }

    /// Consumes a comment up to `#}` (with its whitespace control).
    private mutating func skipComment(from start: Int, tagStart: Int) throws {
        var j = start
        while j < source.count {
            if source[j] == "+", matches("#}", at: j + 1) { pos = j + 3; lineStarting = false; return }
            if source[j] == "-", matches("#}", at: j + 1) { pos = consumeSpace(from: j + 3); return }
            if matches("#}", at: j) { pos = consumeTrimNewline(from: j + 2); return }
            j += 1
        }
        throw TemplateFailure(offset: tagStart, detail: "missing end of comment tag ('#}')")
    }

    /// After `-%}`, `-#}` or `-}}`: skips all whitespace; notes whether it ended a line.
    private mutating func consumeSpace(from start: Int) -> Int {
        var j = start
        while let c = at(j), Self.isSpace(c) { j += 1 }
        lineStarting = j > start && source[j - 1] == "\n"
        return j
    }

    /// After `%}` or `#}`: trim_blocks drops one line break.
    private mutating func consumeTrimNewline(from start: Int) -> Int {
        if at(start) == "\n" { lineStarting = true; return start + 1 }
        lineStarting = false
        return start
    }

    private static let operators = ["//", "**", "==", "!=", "<=", ">=", "+", "-", "*", "/", "%", "~", "<", ">", "=",
                                    ".", ",", ":", "|", "(", ")", "[", "]", "{", "}", ";"]

    /// Lexes the inside of a `{{ }}` or `{% %}` tag through its end delimiter.
    private mutating func lexTag(from start: Int, block: Bool, tagStart: Int) throws {
        var j = start
        var brackets: [Unicode.Scalar] = []
        while true {
            while let c = at(j), Self.isSpace(c) { j += 1 }
            guard j < source.count else {
                throw TemplateFailure(offset: tagStart, detail: "unexpected end of template: the tag opened here is not closed (\(block ? "%}" : "}}") missing)")
            }
            if brackets.isEmpty {
                if block {
                    if source[j] == "+", matches("%}", at: j + 1) {
                        tokens.append(TemplateToken(kind: .blockEnd, offset: j)); pos = j + 3; lineStarting = false; return
                    }
                    if source[j] == "-", matches("%}", at: j + 1) {
                        tokens.append(TemplateToken(kind: .blockEnd, offset: j)); pos = consumeSpace(from: j + 3); return
                    }
                    if matches("%}", at: j) {
                        tokens.append(TemplateToken(kind: .blockEnd, offset: j)); pos = consumeTrimNewline(from: j + 2); return
                    }
                } else {
                    if source[j] == "-", matches("}}", at: j + 1) {
                        tokens.append(TemplateToken(kind: .variableEnd, offset: j)); pos = consumeSpace(from: j + 3); return
                    }
                    if matches("}}", at: j) {
                        tokens.append(TemplateToken(kind: .variableEnd, offset: j)); pos = j + 2; lineStarting = false; return
                    }
                }
            }
            let c = source[j]
            if c == "'" || c == "\"" {
                let (value, next) = try lexString(from: j)
                tokens.append(TemplateToken(kind: .string(value), offset: j))
                j = next
            } else if ("0"..."9").contains(c) {
                j = try lexNumber(from: j)
            } else if c == "_" || c.properties.isAlphabetic {
                var k = j
                while let d = at(k), d == "_" || d.properties.isAlphabetic || d.properties.numericType != nil { k += 1 }
                var s = String.UnicodeScalarView()
                s.append(contentsOf: source[j..<k])
                tokens.append(TemplateToken(kind: .name(String(s)), offset: j))
                j = k
            } else if let op = Self.operators.first(where: { matches($0, at: j) }) {
                switch op {
                case "(": brackets.append(")")
                case "[": brackets.append("]")
                case "{": brackets.append("}")
                case ")", "]", "}":
                    guard let expected = brackets.popLast() else {
                        throw TemplateFailure(offset: j, detail: "unexpected '\(op)'")
                    }
                    if String(expected) != op { throw TemplateFailure(offset: j, detail: "unexpected '\(op)', expected '\(expected)'") }
                default: break
                }
                tokens.append(TemplateToken(kind: .op(op), offset: j))
                j += op.unicodeScalars.count
            } else {
                throw TemplateFailure(offset: j, detail: "unexpected character '\(c.escaped(asASCII: false))'")
            }
        }
    }

    /// An integer or float literal (`_` separators allowed, as in jinja2).
    private mutating func lexNumber(from start: Int) throws -> Int {
        var j = start
        func digits() { while let d = at(j), ("0"..."9").contains(d) || (d == "_" && at(j + 1).map { ("0"..."9").contains($0) } == true) { j += 1 } }
        digits()
        var isFloat = false
        if at(j) == ".", let d = at(j + 1), ("0"..."9").contains(d) { isFloat = true; j += 1; digits() }
        if at(j) == "e" || at(j) == "E" {
            var k = j + 1
            if at(k) == "+" || at(k) == "-" { k += 1 }
            if let d = at(k), ("0"..."9").contains(d) { isFloat = true; j = k; digits() }
        }
        var s = String.UnicodeScalarView()
        s.append(contentsOf: source[start..<j])
        let text = String(s).replacingOccurrences(of: "_", with: "")
        if isFloat {
            tokens.append(TemplateToken(kind: .float(Double(text) ?? .infinity), offset: start))
        } else {
            guard let value = Int(text) else { throw TemplateFailure(offset: start, detail: "integer literal \(text) is too large") }
            tokens.append(TemplateToken(kind: .integer(value), offset: start))
        }
        return j
    }

    /// A quoted string with Python's `unicode-escape` decoding, as jinja2 applies it.
    private func lexString(from start: Int) throws -> (String, Int) {
        let quote = source[start]
        var j = start + 1
        var out = String.UnicodeScalarView()
        while true {
            guard let c = at(j) else { throw TemplateFailure(offset: start, detail: "unterminated string literal") }
            if c == quote { return (String(out), j + 1) }
            if c != "\\" { out.append(c); j += 1; continue }
            guard let e = at(j + 1) else { throw TemplateFailure(offset: start, detail: "unterminated string literal") }
            j += 2
            switch e {
            case "n": out.append("\n")
            case "t": out.append("\t")
            case "r": out.append("\r")
            case "\\": out.append("\\")
            case "'": out.append("'")
            case "\"": out.append("\"")
            case "a": out.append("\u{07}")
            case "b": out.append("\u{08}")
            case "f": out.append("\u{0C}")
            case "v": out.append("\u{0B}")
            case "\n": break
            case "x", "u", "U":
                let count = e == "x" ? 2 : (e == "u" ? 4 : 8)
                var value: UInt32 = 0
                for k in 0..<count {
                    guard let h = at(j + k), h.isASCII, let d = UInt32(String(h), radix: 16) else {
                        throw TemplateFailure(offset: j - 2, detail: "truncated \\\(e) escape in a string literal")
                    }
                    value = value * 16 + d
                }
                guard let scalar = Unicode.Scalar(value) else {
                    throw TemplateFailure(offset: j - 2, detail: "escape \\\(e) names no Unicode character")
                }
                out.append(scalar)
                j += count
            case "N":
                // `\N{NAME}`: the named character; a malformed escape or an unknown name is a syntax error.
                guard at(j) == "{", let close = (j + 1..<source.count).first(where: { source[$0] == "}" || source[$0] == quote }),
                      source[close] == "}", close > j + 1 else {
                    throw TemplateFailure(offset: j - 2, detail: "malformed \\N character escape in a string literal")
                }
                let name = String(String.UnicodeScalarView(source[(j + 1)..<close]))
                guard let scalar = UnicodeNames.lookup(name) else {
                    throw TemplateFailure(offset: j - 2, detail: "unknown Unicode character name '\(name)' in a \\N{…} escape")
                }
                out.append(scalar)
                j = close + 1
            case "0"..."7":
                var value = e.value - 0x30
                var k = 0
                while k < 2, let d = at(j), ("0"..."7").contains(d) { value = value * 8 + d.value - 0x30; j += 1; k += 1 }
                out.append(Unicode.Scalar(value)!)
            default:
                // Python keeps unknown escapes as written.
                out.append("\\")
                out.append(e)
            }
        }
    }
}
