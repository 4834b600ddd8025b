import Foundation
import GlassboxFiles

/// A parsed JSON document, as tokenizer files need it: numbers keep whether they were integers,
/// object members keep their order (a repeated key: the last one wins on lookup, as serde does),
/// strings are exact (no Unicode normalization; a lone surrogate escape is an error, as in serde).
enum JSONValue: Sendable {
    case null
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(key: String, value: JSONValue)])

    /// Parses `data` (UTF-8). `file` only names the document in errors. A text `tokenizers` and
    /// Python's `json` refuse (a byte-order mark, UTF-16, UTF-32, invalid UTF-8) is refused too.
    static func parse(_ data: Data, file: String) throws -> JSONValue {
        if let problem = PythonJSONEncoding.problem(data) { throw TokenizerError.malformedFile(file: file, detail: problem) }
        var parser = JSONParser(bytes: [UInt8](data), file: file)
        return try parser.parseDocument()
    }

    /// The member `key` of an object (the last one if repeated), `nil` if absent or not an object.
    subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.last(where: { $0.key == key })?.value
    }

    var isNull: Bool { if case .null = self { true } else { false } }

    /// A short description of the value's kind, for error messages.
    var kindName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .int, .double: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

/// A recursive-descent JSON parser over ``JSONLexer``'s tokens, as strict as serde_json (no
/// `NaN`, no lone surrogate escape).
private struct JSONParser {
    var lexer: JSONLexer
    /// The token at hand (not yet consumed).
    var token = JSONToken(kind: .end, range: 0..<0)
    /// Python's strictness (no trailing comma, no comment), checked on every token read.
    var rule = PythonJSONSyntax.Rule()
    let file: String
    var depth = 0

    init(bytes: [UInt8], file: String) {
        lexer = JSONLexer(bytes)
        self.file = file
    }

    var bytes: [UInt8] { lexer.bytes }

    /// Reads the next token; throws ``InputFileError/pythonRefuses(path:line:column:problem:)``
    /// for a trailing comma or a comment.
    mutating func advance() throws {
        token = lexer.next()
        if let refusal = rule.check(token) { throw PythonJSONSyntax.error(refusal, path: file, in: bytes) }
    }

    mutating func parseDocument() throws -> JSONValue {
        try advance()
        let value = try parseValue()
        if token.kind != .end { throw error("unexpected content after the JSON value") }
        return value
    }

    /// The error `detail` at `offset` (default: the token at hand), placed by line and column.
    func error(_ detail: String, at offset: Int? = nil) -> TokenizerError {
        let (line, column) = JSONLexer.lineColumn(of: offset ?? token.range.lowerBound, in: bytes)
        return .malformedFile(file: file, detail: "invalid JSON at line \(line), column \(column): \(detail)")
    }

    mutating func parseValue() throws -> JSONValue {
        let current = token
        switch current.kind {
        case .beginObject: return try parseObject()
        case .beginArray: return try parseArray()
        case .string: try advance(); return .string(try string(current))
        case .trueLiteral: try advance(); return .bool(true)
        case .falseLiteral: try advance(); return .bool(false)
        case .null: try advance(); return .null
        case .number: try advance(); return try number(current)
        case .end: throw error("unexpected end of input")
        case .unterminatedString: throw error("an unterminated string")
        case .word where "tfn".utf8.contains(bytes[current.range.lowerBound]): throw error("invalid literal")
        default: throw error("unexpected character")
        }
    }

    mutating func enter() throws {
        depth += 1
        if depth > 512 { throw error("nesting deeper than 512 levels") }
    }

    mutating func parseObject() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        try advance()
        var members: [(key: String, value: JSONValue)] = []
        if token.kind == .endObject { try advance(); return .object(members) }
        while true {
            let keyToken = token
            guard keyToken.kind == .string else {
                throw error(keyToken.kind == .unterminatedString ? "an unterminated string" : "expected a member name")
            }
            try advance()
            let key = try string(keyToken)
            guard token.kind == .colon else { throw error("expected ':'") }
            try advance()
            members.append((key, try parseValue()))
            switch token.kind {
            case .comma: try advance()
            case .endObject: try advance(); return .object(members)
            case .end: throw error("unexpected end of input in an object")
            default: throw error("expected ',' or '}'")
            }
        }
    }

    mutating func parseArray() throws -> JSONValue {
        try enter()
        defer { depth -= 1 }
        try advance()
        var elements: [JSONValue] = []
        if token.kind == .endArray { try advance(); return .array(elements) }
        while true {
            elements.append(try parseValue())
            switch token.kind {
            case .comma: try advance()
            case .endArray: try advance(); return .array(elements)
            case .end: throw error("unexpected end of input in an array")
            default: throw error("expected ',' or ']'")
            }
        }
    }

    /// The value of the string `token`: its escapes resolved, valid UTF-8.
    func string(_ token: JSONToken) throws -> String {
        let value: String?
        if token.plain {
            value = String(validating: bytes[(token.range.lowerBound + 1)..<(token.range.upperBound - 1)], as: UTF8.self)
        } else {
            do {
                value = String(validating: try JSONString.decode(token, in: bytes, loneSurrogates: .refuse).bytes, as: UTF8.self)
            } catch {
                throw self.error(error.message, at: error.offset)
            }
        }
        guard let value else { throw error("a string is not valid UTF-8", at: token.range.lowerBound) }
        return value
    }

    /// The number `token` as an integer when it is written as one and fits, else a double.
    func number(_ token: JSONToken) throws -> JSONValue {
        let slice = bytes[token.range]
        let text = String(decoding: slice, as: UTF8.self)
        let isInteger = !slice.contains(where: { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") })
        if isInteger, let value = Int(text) { return .int(value) }
        guard let value = Double(text) else { throw error("an invalid number '\(text)'", at: token.range.lowerBound) }
        return .double(value)
    }
}
