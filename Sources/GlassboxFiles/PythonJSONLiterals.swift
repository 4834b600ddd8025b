import Foundation

/// Rewrites what Python's `json` reads but Foundation's JSON readers refuse, so that a file
/// `transformers` loads is read here too: the literals `NaN`, `Infinity` and `-Infinity`, a
/// number beyond Double's range (`1e400`, which Python reads as inf), and a lone UTF-16
/// surrogate escape (`"\ud800"`). Each literal and out-of-range number becomes a JSON string of
/// its text (`"NaN"`, `"1e400"`): a field nobody reads loads as Python loads it, and a field a
/// decoder reads as a number fails with a type mismatch at its own key (see
/// ``isNonFiniteLiteral(_:)``). A lone surrogate becomes U+FFFD.
///
/// One pass over the bytes; the input is returned as it is when there is nothing to rewrite.
public enum PythonJSONLiterals {
    /// `data` with the literals Foundation refuses rewritten (see the type's description).
    public static func rewrite(_ data: Data) -> Data {
        let bytes = [UInt8](data)
        var output: [UInt8] = []
        var copied = 0   // bytes[..<copied] are in `output` (only once something changed)
        var changed = false
        func replace(_ range: Range<Int>, with replacement: [UInt8]) {
            if !changed { output.reserveCapacity(bytes.count + 16); changed = true }
            output.append(contentsOf: bytes[copied..<range.lowerBound])
            output.append(contentsOf: replacement)
            copied = range.upperBound
        }
        var i = 0
        while i < bytes.count {
            let byte = bytes[i]
            if byte == UInt8(ascii: "\"") {
                i += 1
                while i < bytes.count, bytes[i] != UInt8(ascii: "\"") {
                    guard bytes[i] == UInt8(ascii: "\\") else { i += 1; continue }
                    if let unit = hexUnit(bytes, at: i), (0xD800...0xDFFF).contains(unit) {
                        if unit <= 0xDBFF, let next = hexUnit(bytes, at: i + 6), (0xDC00...0xDFFF).contains(next) {
                            i += 12   // a proper pair
                        } else {
                            replace(i..<(i + 6), with: Array(#"\ufffd"#.utf8))
                            i += 6
                        }
                    } else {
                        i += 2
                    }
                }
                i += 1
            } else if byte == UInt8(ascii: "-") || byte == UInt8(ascii: "N") || byte == UInt8(ascii: "I")
                        || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) {
                let start = i
                while i < bytes.count, !",]}: \n\r\t\"".utf8.contains(bytes[i]) { i += 1 }
                let word = String(decoding: bytes[start..<i], as: UTF8.self)
                if isNonFiniteLiteral(word) {
                    replace(start..<i, with: Array("\"\(word)\"".utf8))
                }
            } else {
                i += 1
            }
        }
        guard changed else { return data }
        output.append(contentsOf: bytes[copied...])
        return Data(output)
    }

    /// Whether `text` is one of Python's non-finite literals, or a number Python reads as
    /// ±inf: what ``rewrite(_:)`` turns into a string.
    public static func isNonFiniteLiteral(_ text: String) -> Bool {
        text == "NaN" || text == "Infinity" || text == "-Infinity"
            || (!text.isEmpty && text.allSatisfy { "+-.eE0123456789".contains($0) } && Double(text)?.isInfinite == true)
    }

    /// The UTF-16 unit of the escape `\uXXXX` at `i`, or nil when there is none.
    private static func hexUnit(_ bytes: [UInt8], at i: Int) -> Int? {
        guard i + 6 <= bytes.count, bytes[i] == UInt8(ascii: "\\"), bytes[i + 1] == UInt8(ascii: "u") else { return nil }
        return Int(String(decoding: bytes[(i + 2)..<(i + 6)], as: UTF8.self), radix: 16)
    }
}
