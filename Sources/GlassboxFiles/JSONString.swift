import Foundation

/// The value of a string token from ``JSONLexer``: its escapes resolved and checked (one
/// backslash escape of RFC 8259 each, no raw control character), as UTF-8 bytes.
public enum JSONString {
    /// What to do with a `\uXXXX` escape of a lone UTF-16 surrogate (`"\ud800"`).
    public enum LoneSurrogates: Sendable {
        /// An error (serde_json, so `tokenizers`, refuses it).
        case refuse
        /// U+FFFD in the value, and the escape's range reported (Python reads it as a lone
        /// surrogate, which Swift strings cannot hold).
        case replace
    }

    /// Why a string is not valid, and where (a byte offset in the text).
    public struct Problem: Error, LocalizedError, Equatable, Sendable {
        /// The offset of the offending byte (a control character, the backslash of an escape).
        public let offset: Int
        /// What is wrong, as a phrase ("a control character inside a string").
        public let message: String

        /// "invalid JSON string at byte N: what" (`place(in:)` gives the line and column when the
        /// text is at hand).
        public var errorDescription: String? { "invalid JSON string at byte \(offset): \(message)" }
    }

    /// A decoded string: its UTF-8 bytes, and the ranges of the lone-surrogate escapes replaced.
    public struct Decoded: Sendable {
        /// The value's UTF-8 bytes.
        public let bytes: [UInt8]
        /// The range of each `\uXXXX` escape of a lone surrogate (with ``LoneSurrogates/replace``).
        public let loneSurrogates: [Range<Int>]
    }

    /// The value of the string `token` of `text`, escapes resolved; a ``Problem`` for an invalid
    /// escape, a raw control character, or (with `loneSurrogates: .refuse`) a lone surrogate.
    /// UTF-8 validity is the caller's to check.
    public static func decode(_ token: JSONToken, in text: [UInt8], loneSurrogates: LoneSurrogates) throws(Problem) -> Decoded {
        let inner = (token.range.lowerBound + 1)..<max(token.range.lowerBound + 1, token.range.upperBound - 1)
        if token.plain { return Decoded(bytes: Array(text[inner]), loneSurrogates: []) }
        var out: [UInt8] = []
        out.reserveCapacity(inner.count)
        var lone: [Range<Int>] = []
        var i = inner.lowerBound
        func hex(at j: Int) -> UInt32? {
            guard j + 4 <= inner.upperBound else { return nil }
            var value: UInt32 = 0
            for k in j..<(j + 4) {
                let c = text[k]
                let digit: UInt32
                switch c {
                case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(c - UInt8(ascii: "0"))
                case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(c - UInt8(ascii: "a") + 10)
                case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(c - UInt8(ascii: "A") + 10)
                default: return nil
                }
                value = value * 16 + digit
            }
            return value
        }
        func unit(at j: Int) -> UInt32? {
            guard j + 1 < inner.upperBound, text[j] == UInt8(ascii: "\\"), text[j + 1] == UInt8(ascii: "u") else { return nil }
            return hex(at: j + 2)
        }
        while i < inner.upperBound {
            let byte = text[i]
            if byte < 0x20 { throw Problem(offset: i, message: "a control character inside a string") }
            guard byte == UInt8(ascii: "\\") else { out.append(byte); i += 1; continue }
            guard i + 1 < inner.upperBound else { throw Problem(offset: i, message: "an unterminated string") }
            let escape = text[i + 1]
            switch escape {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): out.append(escape)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                guard i + 6 <= inner.upperBound else { throw Problem(offset: i, message: "a truncated \\u escape") }
                guard var code = hex(at: i + 2) else { throw Problem(offset: i, message: "an invalid \\u escape") }
                if (0xD800..<0xDC00).contains(code), let low = unit(at: i + 6), (0xDC00..<0xE000).contains(low) {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if (0xD800..<0xE000).contains(code) {
                    if loneSurrogates == .refuse { throw Problem(offset: i, message: "a lone surrogate escape in a string") }
                    lone.append(i..<(i + 6))
                    code = 0xFFFD
                }
                // `code` is a scalar here: surrogates were paired or replaced.
                out.append(contentsOf: Unicode.UTF8.encode(Unicode.Scalar(code)!)!)
                i += 6
                continue
            default:
                throw Problem(offset: i, message: "an invalid escape '\\\(Character(Unicode.Scalar(escape)))'")
            }
            i += 2
        }
        return Decoded(bytes: out, loneSurrogates: lone)
    }

    /// The string `token`'s value as a Swift string (lone surrogates as U+FFFD, invalid UTF-8
    /// repaired); nil when its escapes are invalid. For keys, whose text is compared.
    public static func text(_ token: JSONToken, in text: [UInt8]) -> String? {
        guard let decoded = try? decode(token, in: text, loneSurrogates: .replace) else { return nil }
        return String(decoding: decoded.bytes, as: UTF8.self)
    }
}
