import Foundation

/// Rewrites a JSON document so that a key repeated in one object keeps only its last value, as
/// Python's `json` (and so `transformers`) reads it; Foundation's decoders keep the first. A config
/// with `"n_layer": 2, "n_layer": 3` then means 3 layers here too.
///
/// One pass over the bytes: strings and numbers are kept as written; an object or array is rebuilt
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
        guard let value = scanner.value(), scanner.atEndAfterSpace() else { return Document(data: data, members: nil) }
        let isObject = bytes.first(where: { !Scanner.isSpace($0) }) == UInt8(ascii: "{")
        let members = isObject && UTF8Validation.firstInvalidOffset(bytes) == nil ? scanner.topLevel : nil
        return Document(data: scanner.changed ? Data(value) : data, members: members)
    }

    /// Where `data` stops being strict JSON, as "at line L, column C" (1-based, columns in
    /// bytes), or nil when it is strict JSON: for error messages in our own words.
    public static func syntaxErrorPlace(_ data: Data) -> String? {
        let bytes = [UInt8](data)
        var scanner = Scanner(bytes: bytes)
        if scanner.value() != nil && scanner.atEndAfterSpace() { return nil }
        let offset = min(scanner.i, bytes.count)
        let lineStart = bytes[..<offset].lastIndex(of: 0x0A).map { $0 + 1 } ?? 0
        return "at line \(bytes[..<offset].count(where: { $0 == 0x0A }) + 1), column \(offset - lineStart + 1)"
    }

    private struct Scanner {
        let bytes: [UInt8]
        var i = 0
        /// Whether some object had a repeated key.
        var changed = false
        /// Whether the value being scanned differs from its bytes as written: a repeated key, or
        /// whitespace, which the rebuild drops. A value that does not is returned as its slice of
        /// `bytes`, not copied level by level.
        var differs = false
        /// The outermost object's members, filled while it is scanned.
        var topLevel: [String: String]?
        /// How many objects enclose the current position.
        var depth = 0

        init(bytes: [UInt8]) { self.bytes = bytes }

        static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 }

        mutating func skipSpace() {
            let start = i
            while i < bytes.count, Self.isSpace(bytes[i]) { i += 1 }
            if i > start { differs = true }
        }

        mutating func atEndAfterSpace() -> Bool {
            skipSpace()
            return i == bytes.count
        }

        /// The value at `i`, rewritten; nil when the text is not strict JSON.
        mutating func value() -> ArraySlice<UInt8>? {
            skipSpace()
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string()
            default:
                let start = i
                while i < bytes.count, !",]}: \n\r\t".utf8.contains(bytes[i]) { i += 1 }
                let word = bytes[start..<i]
                return Self.isLiteral(word) || Self.isNumber(word) ? word : nil
            }
        }

        /// `true`, `false` or `null`.
        static func isLiteral(_ word: ArraySlice<UInt8>) -> Bool {
            word.elementsEqual("true".utf8) || word.elementsEqual("false".utf8) || word.elementsEqual("null".utf8)
        }

        /// A JSON number: `-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?` (no `NaN`, no `Infinity`).
        static func isNumber(_ word: ArraySlice<UInt8>) -> Bool {
            var j = word.startIndex
            func digits() -> Int {
                let from = j
                while j < word.endIndex, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(word[j]) { j += 1 }
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

        /// The bytes of the object or array that began at `start` and ends at `i`: as written unless
        /// something inside differs (then `rebuild()`); `outer` is the enclosing value's `differs`.
        mutating func finish(from start: Int, outer: Bool, _ rebuild: () -> [UInt8]) -> ArraySlice<UInt8> {
            let inside = differs
            differs = outer || inside
            return inside ? rebuild()[...] : bytes[start..<i]
        }

        /// A string with valid escapes and no raw control characters, quotes included.
        mutating func string() -> ArraySlice<UInt8>? {
            let start = i
            i += 1
            while i < bytes.count {
                let byte = bytes[i]
                if byte < 0x20 { return nil }
                if byte == UInt8(ascii: "\\") {
                    guard i + 1 < bytes.count else { return nil }
                    if bytes[i + 1] == UInt8(ascii: "u") {
                        guard i + 6 <= bytes.count, bytes[(i + 2)..<(i + 6)].allSatisfy({ Self.isHexDigit($0) }) else { return nil }
                        i += 6
                    } else {
                        guard "\"\\/bfnrt".utf8.contains(bytes[i + 1]) else { return nil }
                        i += 2
                    }
                    continue
                }
                if byte == UInt8(ascii: "\"") { i += 1; return bytes[start..<i] }
                i += 1
            }
            return nil
        }

        /// A key (quotes included) as text, escapes resolved (`"n\u005flayer"` is `n_layer`).
        static func keyName(_ key: ArraySlice<UInt8>) -> String? {
            guard key.contains(UInt8(ascii: "\\")) else { return String(decoding: key.dropFirst().dropLast(), as: UTF8.self) }
            return (try? JSONSerialization.jsonObject(with: Data(key), options: [.fragmentsAllowed])) as? String
        }

        static func isHexDigit(_ byte: UInt8) -> Bool {
            (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(byte)
                || (UInt8(ascii: "A")...UInt8(ascii: "F")).contains(byte)
        }

        /// After an item: `,` (true, another follows) or `close` (false, the end), consumed; nil
        /// for anything else.
        mutating func separator(closing close: UInt8) -> Bool? {
            skipSpace()
            guard i < bytes.count else { return nil }
            if bytes[i] == UInt8(ascii: ",") { i += 1; return true }
            if bytes[i] == close { i += 1; return false }
            return nil
        }

        mutating func array() -> ArraySlice<UInt8>? {
            let start = i, outer = differs
            differs = false
            i += 1
            var items: [ArraySlice<UInt8>] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return finish(from: start, outer: outer) { Array("[]".utf8) } }
            while true {
                guard let item = value() else { return nil }
                items.append(item)
                guard let more = separator(closing: UInt8(ascii: "]")) else { return nil }
                if !more { break }
            }
            return finish(from: start, outer: outer) {
                [UInt8(ascii: "[")] + Array(items.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
            }
        }

        mutating func object() -> ArraySlice<UInt8>? {
            let start = i, outer = differs
            differs = false
            i += 1
            depth += 1
            defer { depth -= 1 }
            let isTop = depth == 1
            var members: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []
            var position: [String: Int] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return finish(from: start, outer: outer) { Array("{}".utf8) } }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let item = value() else { return nil }
                let name = Self.keyName(key) ?? String(decoding: key, as: UTF8.self)
                if isTop { topLevel?[name] = String(decoding: item, as: UTF8.self) }
                if let at = position[name] {
                    members[at].value = item          // Python: the first key's place, the last value
                    changed = true
                    differs = true
                } else {
                    position[name] = members.count
                    members.append((key, item))
                }
                guard let more = separator(closing: UInt8(ascii: "}")) else { return nil }
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
    /// ``readJSON(_:limit:)`` for a file Python reads with `json.load` (a model folder's configs,
    /// its shard index): it must be plain UTF-8 (``readPlainUTF8JSON(_:limit:)``), what Python
    /// reads and Foundation refuses is rewritten (``PythonJSONLiterals``: `NaN`, `1e400`, a lone
    /// surrogate), and a repeated key keeps its last value (``LastKeyWins``).
    public static func readPythonJSON(_ url: URL, limit: Int) throws -> Data {
        LastKeyWins.rewrite(PythonJSONLiterals.rewrite(try readPlainUTF8JSON(url, limit: limit)))
    }

    /// ``readJSON(_:limit:)`` that also refuses a text Python's `json` refuses: a byte-order mark,
    /// UTF-16 or UTF-32, invalid UTF-8 (``InputFileError/notPlainUTF8(path:problem:)``).
    public static func readPlainUTF8JSON(_ url: URL, limit: Int) throws -> Data {
        let data = try readJSON(url, limit: limit)
        if let problem = PythonJSONEncoding.problem(data) { throw InputFileError.notPlainUTF8(path: url.path, problem: problem) }
        return data
    }
}
