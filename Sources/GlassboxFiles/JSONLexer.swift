/// The one tokenizer of JSON text the project's JSON scanners share (``LastKeyWins``,
/// ``PythonJSONLiterals``, the depth check of ``InputFile/checkJSONText(_:path:limit:pythonSyntax:)``, the
/// config number finder, the tokenizer files' parser, the safetensors header count, the batch
/// compactor): one pass over UTF-8 bytes, a token at a time, each with its byte range.
///
/// It accepts anything and classifies it; each reader decides what it allows. Whitespace (space,
/// tab, line feed, carriage return) separates tokens and is skipped; a string token's end is
/// found by skipping each backslash's next byte (its escapes are checked only when a reader asks:
/// ``JSONString``); every other run of bytes up to a delimiter is a word, classified as a number
/// (RFC 8259 grammar), a literal, one of Python's non-finite literals or a bare word.
///
/// ```swift
/// var lexer = JSONLexer(bytes)
/// while case let token = lexer.next(), token.kind != .end { … token.range … }
/// ```
public struct JSONLexer: Sendable {
    /// The text being read.
    public let bytes: [UInt8]
    /// Where the next token's search starts.
    public private(set) var offset = 0

    /// A lexer at the start of `bytes`.
    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Whether `byte` is JSON whitespace.
    @inline(__always)
    public static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

    /// Whether `byte` ends a word: whitespace, punctuation, a quote or a slash.
    @inline(__always)
    static func endsWord(_ byte: UInt8) -> Bool {
        switch byte {
        case 0x20, 0x0A, 0x0D, 0x09, UInt8(ascii: "{"), UInt8(ascii: "}"), UInt8(ascii: "["), UInt8(ascii: "]"),
             UInt8(ascii: ","), UInt8(ascii: ":"), UInt8(ascii: "\""), UInt8(ascii: "/"): true
        default: false
        }
    }

    /// The next token (``JSONToken/Kind/end`` at the end of the text, again on every later call).
    public mutating func next() -> JSONToken {
        let count = bytes.count
        while offset < count, Self.isSpace(bytes[offset]) { offset += 1 }
        let start = offset
        guard start < count else { return JSONToken(kind: .end, range: count..<count) }
        let byte = bytes[start]
        let kind: JSONToken.Kind
        switch byte {
        case UInt8(ascii: "{"): kind = .beginObject; offset += 1
        case UInt8(ascii: "}"): kind = .endObject; offset += 1
        case UInt8(ascii: "["): kind = .beginArray; offset += 1
        case UInt8(ascii: "]"): kind = .endArray; offset += 1
        case UInt8(ascii: ","): kind = .comma; offset += 1
        case UInt8(ascii: ":"): kind = .colon; offset += 1
        case UInt8(ascii: "\""): return string(from: start)
        case UInt8(ascii: "/") where start + 1 < count && bytes[start + 1] == UInt8(ascii: "/"):
            offset = start + 2
            while offset < count, bytes[offset] != 0x0A { offset += 1 }
            kind = .comment
        case UInt8(ascii: "/") where start + 1 < count && bytes[start + 1] == UInt8(ascii: "*"):
            offset = start + 2
            while offset + 1 < count, !(bytes[offset] == UInt8(ascii: "*") && bytes[offset + 1] == UInt8(ascii: "/")) { offset += 1 }
            offset = min(offset + 2, count)
            kind = .comment
        case UInt8(ascii: "/"): kind = .word; offset += 1
        default:
            offset += 1
            while offset < count, !Self.endsWord(bytes[offset]) { offset += 1 }
            kind = Self.classify(bytes[start..<offset])
        }
        return JSONToken(kind: kind, range: start..<offset)
    }

    /// The string token starting at the quote at `start`: its end is the next quote not escaped
    /// by a backslash (``JSONToken/Kind/unterminatedString`` when there is none).
    private mutating func string(from start: Int) -> JSONToken {
        let count = bytes.count
        var i = start + 1
        var plain = true
        while i < count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                offset = i + 1
                return JSONToken(kind: .string, range: start..<offset, plain: plain)
            }
            if byte == UInt8(ascii: "\\") { plain = false; i += 2; continue }
            if byte < 0x20 { plain = false }
            i += 1
        }
        offset = count
        return JSONToken(kind: .unterminatedString, range: start..<count, plain: false)
    }

    /// A word's kind: a literal, a number, or a bare word.
    static func classify(_ word: ArraySlice<UInt8>) -> JSONToken.Kind {
        switch word.first {
        case UInt8(ascii: "t"): return word.elementsEqual("true".utf8) ? .trueLiteral : .word
        case UInt8(ascii: "f"): return word.elementsEqual("false".utf8) ? .falseLiteral : .word
        case UInt8(ascii: "n"): return word.elementsEqual("null".utf8) ? .null : .word
        case UInt8(ascii: "N"): return word.elementsEqual("NaN".utf8) ? .nan : .word
        case UInt8(ascii: "I"): return word.elementsEqual("Infinity".utf8) ? .infinity : .word
        case UInt8(ascii: "-") where word.dropFirst().first == UInt8(ascii: "I"):
            return word.elementsEqual("-Infinity".utf8) ? .negativeInfinity : .word
        default: return isNumber(word) ? .number : .word
        }
    }

    /// Whether `word` is a JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?`.
    public static func isNumber(_ word: ArraySlice<UInt8>) -> Bool {
        var j = word.startIndex
        func digits() -> Int {
            let from = j
            while j < word.endIndex, word[j] >= UInt8(ascii: "0") && word[j] <= UInt8(ascii: "9") { j += 1 }
            return j - from
        }
        if j < word.endIndex, word[j] == UInt8(ascii: "-") { j += 1 }
        let first = j
        let whole = digits()
        guard whole > 0, whole == 1 || word[first] != UInt8(ascii: "0") else { return false }
        if j < word.endIndex, word[j] == UInt8(ascii: ".") {
            j += 1
            guard digits() > 0 else { return false }
        }
        if j < word.endIndex, word[j] == UInt8(ascii: "e") || word[j] == UInt8(ascii: "E") {
            j += 1
            if j < word.endIndex, word[j] == UInt8(ascii: "+") || word[j] == UInt8(ascii: "-") { j += 1 }
            guard digits() > 0 else { return false }
        }
        return j == word.endIndex
    }

    /// The 1-based line and column (in bytes) of `offset` in `bytes`, for messages.
    public static func lineColumn(of offset: Int, in bytes: [UInt8]) -> (line: Int, column: Int) {
        let end = min(max(offset, 0), bytes.count)
        var line = 1, lineStart = 0
        for i in 0..<end where bytes[i] == 0x0A { line += 1; lineStart = i + 1 }
        return (line, end - lineStart + 1)
    }
}
