import Foundation

/// Rewrites a JSON document so that a key repeated in one object keeps only its last value, as
/// Python's `json` (and so `transformers`) reads it; Foundation's decoders keep the first. A config
/// with `"n_layer": 2, "n_layer": 3` then means 3 layers here too.
///
/// One pass over the bytes: strings and numbers are kept as written; an object or array is rebuilt
/// (compactly) only when a key repeats inside it or it holds whitespace to drop, else kept as its
/// slice of the input, not copied level by level (keys compared as written, escapes and all). A
/// document this scanner cannot follow is returned unchanged, for the decoder to report.
enum LastKeyWins {
    static func rewrite(_ data: Data) -> Data {
        let bytes = [UInt8](data)
        var scanner = Scanner(bytes: bytes)
        guard let value = scanner.value(), scanner.atEndAfterSpace(), scanner.changed else { return data }
        return Data(value)
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

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            let start = i
            while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
            if i > start { differs = true }
        }

        mutating func atEndAfterSpace() -> Bool {
            skipSpace()
            return i == bytes.count
        }

        /// The value at `i`, rewritten; nil when the text is not JSON this scanner follows.
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
                return i > start ? bytes[start..<i] : nil
            }
        }

        /// The bytes of the object or array that began at `start` and ends at `i`: as written unless
        /// something inside differs (then `rebuild()`); `outer` is the enclosing value's `differs`.
        mutating func finish(from start: Int, outer: Bool, _ rebuild: () -> [UInt8]) -> ArraySlice<UInt8> {
            let inside = differs
            differs = outer || inside
            return inside ? rebuild()[...] : bytes[start..<i]
        }

        mutating func string() -> ArraySlice<UInt8>? {
            let start = i
            i += 1
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                if bytes[i] == UInt8(ascii: "\"") { i += 1; return bytes[start..<i] }
                i += 1
            }
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
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                return nil
            }
            return finish(from: start, outer: outer) {
                [UInt8(ascii: "[")] + Array(items.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
            }
        }

        mutating func object() -> ArraySlice<UInt8>? {
            let start = i, outer = differs
            differs = false
            i += 1
            var members: [(key: ArraySlice<UInt8>, value: ArraySlice<UInt8>)] = []
            var position: [ArraySlice<UInt8>: Int] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return finish(from: start, outer: outer) { Array("{}".utf8) } }
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "\""), let key = string() else { return nil }
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
                i += 1
                guard let item = value() else { return nil }
                if let at = position[key] {
                    members[at].value = item          // Python: the first key's place, the last value
                    changed = true
                    differs = true
                } else {
                    position[key] = members.count
                    members.append((key, item))
                }
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "}") { i += 1; break }
                return nil
            }
            return finish(from: start, outer: outer) {
                let body = members.map { $0.key + [UInt8(ascii: ":")] + $0.value }
                return [UInt8(ascii: "{")] + Array(body.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "}")]
            }
        }
    }
}
