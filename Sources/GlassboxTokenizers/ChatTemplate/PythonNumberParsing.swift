import Foundation

/// Python's `int(text, base)` and `float(text)` on strings, as jinja2's `int` and `float` filters call them:
/// surrounding whitespace ignored, any Unicode decimal digit read as its ASCII digit (`'١٢'` is 12),
/// single underscores between digits (`'1_000'`), base prefixes (`0x`, `0o`, `0b`) only when the
/// base matches or is 0, and for floats `inf`, `infinity` and `nan` in any case.
enum PythonNumberParsing {
    /// What `int(text, base)` gives.
    enum IntResult: Equatable {
        case value(Int)
        /// Valid digits, but past Int's range (Python would give a big int).
        case overflow
        /// A ValueError in Python (bad syntax, or a base other than 0 and 2 ... 36).
        case invalid
    }

    /// The text with Unicode spaces as ' ' and Unicode decimal digits as ASCII digits, stripped of
    /// surrounding whitespace (CPython's `_PyUnicode_TransformDecimalAndSpaceToASCII`, then strip);
    /// any other non-ASCII character becomes '?', which no number accepts.
    static func normalized(_ text: String) -> [UInt8] {
        var out: [UInt8] = []
        for c in text.unicodeScalars {
            if c.isASCII { out.append(UInt8(c.value)) }
            else if TemplateLexer.isSpace(c) { out.append(0x20) }
            else if c.properties.numericType == .decimal, let v = c.properties.numericValue { out.append(0x30 + UInt8(v)) }
            else { out.append(UInt8(ascii: "?")) }
        }
        let space: Set<UInt8> = [0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1C, 0x1D, 0x1E, 0x1F]
        guard let first = out.firstIndex(where: { !space.contains($0) }) else { return [] }
        let last = out.lastIndex(where: { !space.contains($0) })!
        return Array(out[first...last])
    }

    /// The value of ASCII digit or letter `c` (`'a'` and `'A'` are 10), `nil` for anything else.
    private static func digitValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): Int(c) - 0x30
        case UInt8(ascii: "a")...UInt8(ascii: "z"): Int(c) - 0x61 + 10
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): Int(c) - 0x41 + 10
        default: nil
        }
    }

    /// Python's `int(text, base)` (CPython's `PyLong_FromString` after normalizing).
    static func int(_ text: String, base: Int) -> IntResult {
        guard base == 0 || (2...36).contains(base) else { return .invalid }
        var s = normalized(text)[...]
        var negative = false
        if let c = s.first, c == UInt8(ascii: "+") || c == UInt8(ascii: "-") { negative = c == UInt8(ascii: "-"); s = s.dropFirst() }
        var base = base
        var prefixed = false
        if s.count >= 2, s.first == UInt8(ascii: "0") {
            let p = s[s.startIndex + 1] | 0x20 // lower-cased
            let prefixBase = p == UInt8(ascii: "x") ? 16 : p == UInt8(ascii: "o") ? 8 : p == UInt8(ascii: "b") ? 2 : 0
            if prefixBase != 0, base == 0 || base == prefixBase {
                base = prefixBase
                prefixed = true
                s = s.dropFirst(2)
                if s.first == UInt8(ascii: "_") { s = s.dropFirst() } // `0x_1f`: one underscore after the prefix
            }
        }
        // Base 0 without a prefix is decimal, where leading zeros are allowed only in zero itself.
        let decimalZeroRule = base == 0
        if base == 0 { base = 10 }
        var value = 0
        var overflow = false
        var digits = 0
        var previousUnderscore = false
        for c in s {
            if c == UInt8(ascii: "_") {
                if previousUnderscore || digits == 0 { return .invalid }
                previousUnderscore = true
                continue
            }
            guard let d = digitValue(c), d < base else { return .invalid }
            previousUnderscore = false
            digits += 1
            // Accumulated negatively so Int.min fits.
            let (m, o1) = value.multipliedReportingOverflow(by: base)
            let (v, o2) = m.subtractingReportingOverflow(d)
            if o1 || o2 { overflow = true } else { value = v }
        }
        if digits == 0 || previousUnderscore { return .invalid }
        if decimalZeroRule, !prefixed, s.first == UInt8(ascii: "0"), s.contains(where: { $0 != UInt8(ascii: "0") && $0 != UInt8(ascii: "_") }) {
            return .invalid
        }
        if overflow { return .overflow }
        if negative { return .value(value) }
        return value == Int.min ? .overflow : .value(-value)
    }

    /// Python's `float(text)`, `nil` where Python raises ValueError.
    static func float(_ text: String) -> Double? {
        let s = normalized(text)
        let lower = String(decoding: s.map { (0x41...0x5A).contains($0) ? $0 | 0x20 : $0 }, as: UTF8.self)
        var body = Substring(lower)
        var sign = 1.0
        if let c = body.first, c == "+" || c == "-" { sign = c == "-" ? -1 : 1; body = body.dropFirst() }
        if body == "inf" || body == "infinity" { return sign * .infinity }
        if body == "nan" { return .nan }
        // [digits][.digits][e[sign]digits], at least one mantissa digit, `_` only between two digits.
        var cleaned = ""
        var mantissaDigits = 0, exponentDigits = 0
        var seenPoint = false, seenExponent = false
        let chars = Array(body)
        for (i, c) in chars.enumerated() {
            switch c {
            case "0"..."9":
                cleaned.append(c)
                if seenExponent { exponentDigits += 1 } else { mantissaDigits += 1 }
            case "_":
                guard i > 0, i + 1 < chars.count, chars[i - 1].isASCII, chars[i - 1].isNumber, chars[i + 1].isASCII,
                      chars[i + 1].isNumber else { return nil }
            case ".":
                if seenPoint || seenExponent { return nil }
                seenPoint = true
                cleaned.append(c)
            case "e":
                if seenExponent || mantissaDigits == 0 { return nil }
                seenExponent = true
                cleaned.append(c)
                if i + 1 < chars.count, chars[i + 1] == "+" || chars[i + 1] == "-" { continue }
            case "+", "-":
                guard i > 0, chars[i - 1] == "e" else { return nil }
                cleaned.append(c)
            default:
                return nil
            }
        }
        if mantissaDigits == 0 || (seenExponent && exponentDigits == 0) { return nil }
        return Double(cleaned).map { sign * $0 }
    }
}
