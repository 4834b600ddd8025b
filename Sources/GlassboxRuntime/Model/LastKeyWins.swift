import Foundation

/// Rewrites a JSON document so that a key repeated in one object keeps only its last value, as
/// Python's `json` (and so `transformers`) reads it; Foundation's decoders keep the first. A config
/// with `"n_layer": 2, "n_layer": 3` then means 3 layers here too.
///
/// One pass over the bytes: strings and numbers are copied as written, objects are rebuilt only
/// when a key repeats (keys compared as written, escapes and all). A document this scanner cannot
/// follow is returned unchanged, for the decoder to report.
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

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func skipSpace() {
            while i < bytes.count, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i]) { i += 1 }
        }

        mutating func atEndAfterSpace() -> Bool {
            skipSpace()
            return i == bytes.count
        }

        /// The value at `i`, rewritten; nil when the text is not JSON this scanner follows.
        mutating func value() -> [UInt8]? {
            skipSpace()
            guard i < bytes.count else { return nil }
            switch bytes[i] {
            case UInt8(ascii: "{"): return object()
            case UInt8(ascii: "["): return array()
            case UInt8(ascii: "\""): return string()
            default:
                let start = i
                while i < bytes.count, !",]}: \n\r\t".utf8.contains(bytes[i]) { i += 1 }
                return i > start ? Array(bytes[start..<i]) : nil
            }
        }

        mutating func string() -> [UInt8]? {
            let start = i
            i += 1
            while i < bytes.count {
                if bytes[i] == UInt8(ascii: "\\") { i += 2; continue }
                if bytes[i] == UInt8(ascii: "\"") { i += 1; return Array(bytes[start..<i]) }
                i += 1
            }
            return nil
        }

        mutating func array() -> [UInt8]? {
            i += 1
            var items: [[UInt8]] = []
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "]") { i += 1; return Array("[]".utf8) }
            while true {
                guard let item = value() else { return nil }
                items.append(item)
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == UInt8(ascii: ",") { i += 1; continue }
                if bytes[i] == UInt8(ascii: "]") { i += 1; break }
                return nil
            }
            return [UInt8(ascii: "[")] + Array(items.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "]")]
        }

        mutating func object() -> [UInt8]? {
            i += 1
            var members: [(key: [UInt8], value: [UInt8])] = []
            var position: [[UInt8]: Int] = [:]
            skipSpace()
            if i < bytes.count, bytes[i] == UInt8(ascii: "}") { i += 1; return Array("{}".utf8) }
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
            let body = members.map { $0.key + [UInt8(ascii: ":")] + $0.value }
            return [UInt8(ascii: "{")] + Array(body.joined(separator: [UInt8(ascii: ",")])) + [UInt8(ascii: "}")]
        }
    }
}
