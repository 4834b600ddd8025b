import Foundation

/// Rewrites a JSON document so that a key repeated in one object keeps only its last value, as
/// Python's `json` (and so `transformers`) reads it; Foundation's decoders keep the first. A config
/// with `"n_layer": 2, "n_layer": 3` then means 3 layers here too.
///
/// One pass over ``JSONLexer``'s tokens: strings and numbers are kept as written; an object or array is rebuilt
/// (compactly) only when a key repeats inside it or it holds whitespace to drop, else kept as its
/// slice of the input, not copied level by level (keys compared as JSON reads them: `"a"` and
/// `"\u0061"` are one key). A
/// document that is not strict JSON (RFC 8259: no `NaN`, no bare words, no raw control characters
/// in strings) is returned unchanged, for the decoder to report.
public enum LastKeyWins {
    /// `data` with every repeated key's last value in its first key's place (unchanged when no key
    /// repeats or the text is not JSON).
    public static func rewrite(_ data: Data) -> Data { scan(data).data }

    /// A document read once: the rewritten bytes, and the top-level object's members as JSON text.
    public struct Document: Sendable {
        /// The document, a repeated key's last value kept (``LastKeyWins/rewrite(_:)``).
        public let data: Data
        /// Each top-level member's value as JSON text (`"gpt2"`, `12`, `{…}`), by key (escapes in
        /// keys resolved; a repeated key: its last value). Nil when the document is not JSON (or
        /// not UTF-8) or not an object.
        public let members: [String: String]?

        /// The top-level member `key` as a string, when it is one without escapes; nil otherwise.
        public func string(_ key: String) -> String? {
            guard let text = members?[key], text.count >= 2, text.first == "\"", text.last == "\"",
                  !text.contains("\\") else { return nil }
            return String(text.dropFirst().dropLast())
        }
    }

    /// The rewritten document and its top-level members, from one pass over `data`.
    public static func scan(_ data: Data) -> Document {
        let bytes = [UInt8](data)
        var scanner = Scanner(bytes: bytes)
        scanner.topLevel = [:]
        guard let value = scanner.document() else { return Document(data: data, members: nil) }
        let isObject = bytes.first(where: { !JSONLexer.isSpace($0) }) == UInt8(ascii: "{")
        let members = isObject && UTF8Validation.firstInvalidOffset(bytes) == nil ? scanner.topLevel : nil
        return Document(data: scanner.changed ? Data(value) : data, members: members)
    }

    /// Where `data` stops being strict JSON, as "at line L, column C" (1-based, columns in
    /// bytes), or nil when it is strict JSON: for error messages in our own words.
    public static func syntaxErrorPlace(_ data: Data) -> String? {
        let bytes = [UInt8](data)
        var scanner = Scanner(bytes: bytes)
        if scanner.document() != nil { return nil }
        let (line, column) = JSONLexer.lineColumn(of: scanner.failure, in: bytes)
        return "at line \(line), column \(column)"
    }

    /// A strict reader of ``JSONLexer``'s tokens that rebuilds what it reads.
    private struct Scanner {
        var lexer: JSONLexer
        /// The token at hand (not yet consumed).
        var token: JSONToken
        /// Whether some object had a repeated key.
        var changed = false
        /// Whether the value being scanned differs from its bytes as written: a repeated key, or
        /// whitespace, which the rebuild drops. A value that does not is returned as its slice of
        /// the text, not copied level by level.
        var differs = false
        /// The outermost object's members, filled while it is scanned.
        var topLevel: [String: String]?
        /// How many objects enclose the current position.
        var depth = 0
        /// Where the text stopped being strict JSON (after a nil from `value()`).
        var failure = 0

        init(bytes: [UInt8]) {
            lexer = JSONLexer(bytes)
            token = lexer.next()
        }

        var bytes: [UInt8] { lexer.bytes }

        /// Consumes the token at hand; whitespace before the next one makes the value differ.
        mutating func advance() {
            let end = token.range.upperBound
            token = lexer.next()
            if token.range.lowerBound > end { differs = true }
        }

        /// nil, with `failure` at the token at hand.
        mutating func fail(at offset: Int? = nil) -> ArraySlice<UInt8>? {
            failure = offset ?? token.range.lowerBound
            return nil
        }

        /// The whole text as one value, rewritten; nil when it is not strict JSON.
        mutating func document() -> ArraySlice<UInt8>? {
            guard let value = value() else { return nil }
            guard token.kind == .end else { return fail() }
            return value
        }

        /// The value at hand, rewritten; nil when the text is not strict JSON.
        mutating func value() -> ArraySlice<UInt8>? {
            let current = token
            switch current.kind {
            case .beginObject: return object()
            case .beginArray: return array()
            case .string where !current.plain:
                do { _ = try JSONString.decode(current, in: bytes, loneSurrogates: .replace) } catch { return fail(at: error.offset) }
            case .string, .number, .trueLiteral, .falseLiteral, .null: break
            default: return fail()
            }
            advance()
            return bytes[current.range]
        }

        /// The bytes of the object or array that began at `start` and ends with the token at
        /// hand (its closing bracket, then consumed): as written unless something inside differs
        /// (then `rebuild()`); `outer` is the enclosing value's `differs`.
        mutating func finish(from start: Int, outer: Bool, _ rebuild: () -> [UInt8]) -> ArraySlice<UInt8> {
            let inside = differs
            differs = outer || inside
            let result = inside ? rebuild()[...] : bytes[start..<token.range.upperBound]
            advance()
            return result
        }

        /// After an item: `,` (true, another follows) or `close` (false, the end; not consumed);
        /// nil for anything else.
        mutating func separator(closing close: JSONToken.Kind) -> Bool? {
            if token.kind == .comma { advance(); return true }
            if token.kind == close { return false }
            return nil
        }

        mutating func array() -> ArraySlice<UInt8>? {
            let start = token.range.lowerBound, outer = differs
            differs = false
            advance()
            var items: [ArraySlice<UInt8>] = []
            if token.kind == .endArray { return finish(from: start, outer: outer) { Array("[]".utf8) } }
            while true {
                guard let item = value() else { return nil }
                items.append(item)
                guard let more = separator(closing: .endArray) else { return fail() }
                if !more { break }
            }
            return finish(from: start, outer: outer) {
                [UInt8(ascii: "[")] + Array(items.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
            }
        }

        mutating func object() -> ArraySlice<UInt8>? {
            let start = token.range.lowerBound, outer = differs
            differs = false
            advance()
            depth += 1
            defer { depth -= 1 }
            let isTop = depth == 1
            var members: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []
            var position: [String: Int] = [:]
            if token.kind == .endObject { return finish(from: start, outer: outer) { Array("{}".utf8) } }
            while true {
                let keyToken = token
                guard keyToken.kind == .string else { return fail() }
                guard let key = value() else { return nil }
                guard token.kind == .colon else { return fail() }
                advance()
                guard let item = value() else { return nil }
                let name = keyToken.plain ? String(decoding: key.dropFirst().dropLast(), as: UTF8.self)
                    : JSONString.text(keyToken, in: bytes) ?? String(decoding: key, as: UTF8.self)
                if isTop { topLevel?[name] = String(decoding: item, as: UTF8.self) }
                if let at = position[name] {
                    members[at].value = item          // Python: the first key's place, the last value
                    changed = true
                    differs = true
                } else {
                    position[name] = members.count
                    members.append((key, item))
                }
                guard let more = separator(closing: .endObject) else { return fail() }
                if !more { break }
            }
            return finish(from: start, outer: outer) {
                let body = members.map { $0.key + [UInt8(ascii: ":")] + $0.value }
                return [UInt8(ascii: "{")] + Array(body.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "}")]
            }
        }
    }
}

extension InputFile {
    /// ``readJSON(_:limit:pythonSyntax:)`` for a file Python reads with `json.load` (a model folder's configs,
    /// its shard index): it must be plain UTF-8 (``readPlainUTF8JSON(_:limit:)``), what Python
    /// reads and Foundation refuses is rewritten (``PythonJSONLiterals``: `NaN`, `1e400`, a lone
    /// surrogate), and a repeated key keeps its last value (``LastKeyWins``).
    public static func readPythonJSON(_ url: URL, limit: Int) throws -> Data {
        LastKeyWins.rewrite(PythonJSONLiterals.rewrite(try readPlainUTF8JSON(url, limit: limit)))
    }

    /// ``readJSON(_:limit:pythonSyntax:)`` that also refuses a text Python's `json` refuses: a
    /// trailing comma or a comment (``PythonJSONSyntax``), a byte-order mark, UTF-16 or UTF-32,
    /// invalid UTF-8 (``InputFileError/notPlainUTF8(path:problem:)``).
    public static func readPlainUTF8JSON(_ url: URL, limit: Int) throws -> Data {
        let data = try read(url, limit: limit)
        if let problem = PythonJSONEncoding.problem(data) { throw InputFileError.notPlainUTF8(path: url.path, problem: problem) }
        try checkJSONText(data, path: url.path, pythonSyntax: true)
        return data
    }
}
