import Foundation

/// Rewrites what Python's `json` reads but Foundation's JSON readers refuse, so that a file
/// `transformers` loads is read here too: the literals `NaN`, `Infinity` and `-Infinity`, a
/// number beyond Double's range (`1e400`, which Python reads as inf), and a lone UTF-16
/// surrogate escape (`"\ud800"`). Each literal and out-of-range number becomes a JSON string of
/// its text (`"NaN"`, `"1e400"`): a field nobody reads loads as Python loads it, and a field a
/// decoder reads as a number fails with a type mismatch at its own key (see
/// ``isNonFiniteLiteral(_:)``). A lone surrogate becomes U+FFFD.
///
/// One pass over ``JSONLexer``'s tokens; the input is returned as it is when there is nothing to rewrite.
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
        var lexer = JSONLexer(bytes)
        while case let token = lexer.next(), token.kind != .end {
            switch token.kind {
            case .string where !token.plain:
                guard let decoded = try? JSONString.decode(token, in: bytes, loneSurrogates: .replace) else { continue }
                for escape in decoded.loneSurrogates { replace(escape, with: Array(#"\ufffd"#.utf8)) }
            case .nan, .infinity, .negativeInfinity:
                replace(token.range, with: [UInt8(ascii: "\"")] + bytes[token.range] + [UInt8(ascii: "\"")])
            case .number where isNonFiniteLiteral(String(decoding: bytes[token.range], as: UTF8.self)):
                replace(token.range, with: [UInt8(ascii: "\"")] + bytes[token.range] + [UInt8(ascii: "\"")])
            default: break
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
}
