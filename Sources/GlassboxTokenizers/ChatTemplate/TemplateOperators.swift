import Foundation

/// Arithmetic and comparison with Python's rules (`/` is true division, `//` and `%` floor,
/// `True == 1`, strings compare by code point), as jinja2 evaluates them.
extension TemplateRenderer {
    /// `a op b` for `+ - * / // % ** ~`, with Python semantics; sizes bounded by the limits.
    func binary(_ op: String, _ a: TemplateValue, _ b: TemplateValue, at offset: Int) throws -> TemplateValue {
        if op == "~" {
            let s = a.pythonString + b.pythonString
            try checkSize(s.utf8.count, at: offset)
            return .string(s)
        }
        if case .undefined(let why) = a { throw TemplateFailure(offset: offset, detail: why) }
        if case .undefined(let why) = b { throw TemplateFailure(offset: offset, detail: why) }
        switch (op, a, b) {
        case ("+", .string(let x), .string(let y)):
            try checkSize(x.utf8.count + y.utf8.count, at: offset)
            return .string(x + y)
        case ("+", .list(let x), .list(let y)):
            try checkListSize(x.count + y.count, at: offset)
            return .list(x + y)
        case ("%", .string, _):
            throw TemplateFailure(offset: offset, detail: "string formatting with '%' is not supported")
        default:
            break
        }
        if op == "*" {
            if case .string(let text) = a, let n = b.integerValue { return try repeated(text, n, at: offset) }
            if case .string(let text) = b, let n = a.integerValue { return try repeated(text, n, at: offset) }
            if case .list(let items) = a, let n = b.integerValue { return try repeated(items, n, at: offset) }
            if case .list(let items) = b, let n = a.integerValue { return try repeated(items, n, at: offset) }
        }
        if let x = a.integerValue, let y = b.integerValue {
            switch op {
            case "+": return .int(try checked(x.addingReportingOverflow(y), at: offset))
            case "-": return .int(try checked(x.subtractingReportingOverflow(y), at: offset))
            case "*": return .int(try checked(x.multipliedReportingOverflow(by: y), at: offset))
            case "/":
                if y == 0 { throw TemplateFailure(offset: offset, detail: "division by zero") }
                return .double(Double(x) / Double(y))
            case "//", "%":
                if y == 0 { throw TemplateFailure(offset: offset, detail: "integer division or modulo by zero") }
                var q = x / y
                if (x % y != 0) && ((x < 0) != (y < 0)) { q -= 1 }
                return op == "//" ? .int(q) : .int(x - q * y)
            case "**":
                if y < 0 { return .double(pow(Double(x), Double(y))) }
                var result = 1
                for _ in 0..<min(y, 64) { result = try checked(result.multipliedReportingOverflow(by: x), at: offset) }
                if y > 64, x.magnitude > 1 { throw TemplateFailure(offset: offset, detail: "integer overflow") }
                return .int(y > 64 ? (x == -1 && y % 2 == 1 ? -1 : (x == 0 ? 0 : 1)) : result)
            default: break
            }
        }
        if let x = a.numberValue, let y = b.numberValue {
            switch op {
            case "+": return .double(x + y)
            case "-": return .double(x - y)
            case "*": return .double(x * y)
            case "/":
                if y == 0 { throw TemplateFailure(offset: offset, detail: "float division by zero") }
                return .double(x / y)
            case "//", "%":
                if y == 0 { throw TemplateFailure(offset: offset, detail: "float modulo") }
                let m = x.truncatingRemainder(dividingBy: y)
                let mod = (m != 0 && (m < 0) != (y < 0)) ? m + y : m
                return op == "%" ? .double(mod) : .double(((x - mod) / y).rounded())
            case "**": return .double(pow(x, y))
            default: break
            }
        }
        throw TemplateFailure(offset: offset, detail: "unsupported operand type(s) for \(op): '\(a.typeName)' and '\(b.typeName)'")
    }

    /// `text * n` (empty for n ≤ 0), bounded by the output limit.
    private func repeated(_ text: String, _ n: Int, at offset: Int) throws -> TemplateValue {
        let count = max(n, 0)
        let (bytes, overflow) = text.utf8.count.multipliedReportingOverflow(by: count)
        try checkSize(overflow ? Int.max : bytes, at: offset)
        return .string(String(repeating: text, count: count))
    }

    /// `items * n` (empty for n ≤ 0), bounded like strings.
    private func repeated(_ items: [TemplateValue], _ n: Int, at offset: Int) throws -> TemplateValue {
        let count = max(n, 0)
        let (total, overflow) = items.count.multipliedReportingOverflow(by: count)
        try checkListSize(overflow ? Int.max : total, at: offset)
        return .list(Array([[TemplateValue]](repeating: items, count: count).joined()))
    }

    /// One comparison of a chain (`== != < <= > >= in`, `not in`).
    func compare(_ op: String, _ a: TemplateValue, _ b: TemplateValue, at offset: Int) throws -> Bool {
        switch op {
        case "==": return a.pythonEquals(b)
        case "!=": return !a.pythonEquals(b)
        case "in": return try contains(b, a, at: offset)
        case "not in": return !(try contains(b, a, at: offset))
        default:
            let order = try ordering(a, b, op: op, at: offset)
            switch op {
            case "<": return order < 0
            case "<=": return order <= 0
            case ">": return order > 0
            default: return order >= 0
            }
        }
    }

    /// Python's `needle in container`.
    func contains(_ container: TemplateValue, _ needle: TemplateValue, at offset: Int) throws -> Bool {
        switch container {
        case .string(let s):
            guard case .string(let n) = needle else {
                if case .undefined(let why) = needle { throw TemplateFailure(offset: offset, detail: why) }
                throw TemplateFailure(offset: offset, detail: "'in <string>' requires string as left operand, not \(needle.typeName)")
            }
            return n.isEmpty || TemplateMethods.find(Array(s.unicodeScalars), Array(n.unicodeScalars), from: 0) != nil
        case .list(let items): return items.contains { $0.pythonEquals(needle) }
        case .dict(let d):
            if case .string(let k) = needle { return d[k] != nil }
            return false
        case .namespace(let ns):
            if case .string(let k) = needle { return ns.attributes[k] != nil }
            return false
        case .undefined: return false
        default: throw TemplateFailure(offset: offset, detail: "argument of type '\(container.typeName)' is not iterable")
        }
    }

    /// -1, 0 or 1 for Python's ordering of numbers, strings (by code point) and lists.
    func ordering(_ a: TemplateValue, _ b: TemplateValue, op: String, at offset: Int) throws -> Int {
        if let x = a.numberValue, let y = b.numberValue { return x < y ? -1 : (x > y ? 1 : 0) }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            if x.utf8.elementsEqual(y.utf8) { return 0 }
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
        case (.list(let x), .list(let y)):
            for (p, q) in zip(x, y) where !p.pythonEquals(q) { return try ordering(p, q, op: op, at: offset) }
            return x.count < y.count ? -1 : (x.count > y.count ? 1 : 0)
        default:
            if case .undefined(let why) = a { throw TemplateFailure(offset: offset, detail: why) }
            if case .undefined(let why) = b { throw TemplateFailure(offset: offset, detail: why) }
            throw TemplateFailure(offset: offset, detail: "'\(op)' not supported between instances of '\(a.typeName)' and '\(b.typeName)'")
        }
    }
}

extension TemplateValue {
    var isString: Bool { if case .string = self { true } else { false } }
    var isList: Bool { if case .list = self { true } else { false } }

    /// The value as a Python int (`bool` included), `nil` otherwise.
    var integerValue: Int? {
        switch self {
        case .int(let i): i
        case .bool(let b): b ? 1 : 0
        default: nil
        }
    }

    /// The value as a number (`int`, `bool` or `float`), `nil` otherwise.
    var numberValue: Double? {
        switch self {
        case .int(let i): Double(i)
        case .bool(let b): b ? 1 : 0
        case .double(let d): d
        default: nil
        }
    }

    /// Python's `==` (jinja2's `Undefined` equals only another `Undefined`).
    func pythonEquals(_ other: TemplateValue) -> Bool {
        if let x = numberValue, let y = other.numberValue { return x == y }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.list(let x), .list(let y)): return x.count == y.count && zip(x, y).allSatisfy { $0.pythonEquals($1) }
        case (.dict(let x), .dict(let y)):
            return x.count == y.count && x.items.allSatisfy { k, v in y[k].map { v.pythonEquals($0) } ?? false }
        case (.namespace(let x), .namespace(let y)): return x === y
        default: return false
        }
    }

    /// jinja2's name of the value's type in "has no attribute" messages (`'dict object'`).
    var objectName: String {
        switch self {
        case .none: "None"
        default: "\(typeName) object"
        }
    }

    /// Python's `str(value)` (what `{{ value }}` prints; an undefined value prints nothing).
    var pythonString: String {
        switch self {
        case .undefined: ""
        case .string(let s): s
        default: pythonRepr
        }
    }

    /// Python's `repr(value)`.
    var pythonRepr: String {
        switch self {
        case .undefined: ""
        case .none: "None"
        case .bool(let b): b ? "True" : "False"
        case .int(let i): String(i)
        case .double(let d): PythonFloat.repr(d)
        case .string(let s): PythonFloat.reprString(s)
        case .list(let items): "[" + items.map(\.pythonRepr).joined(separator: ", ") + "]"
        case .dict(let d): "{" + d.items.map { PythonFloat.reprString($0.0) + ": " + $0.1.pythonRepr }.joined(separator: ", ") + "}"
        case .namespace(let ns): "<Namespace " + TemplateValue.dict(ns.attributes).pythonRepr + ">"
        case .callable: "<function>"
        }
    }
}

/// Python's `repr` of floats and strings.
enum PythonFloat {
    /// `repr(float)`: the shortest digits that round-trip, in fixed notation when the decimal
    /// exponent is in -4 ..< 16, otherwise `1e+16` style.
    static func repr(_ d: Double) -> String {
        if d.isNaN { return "nan" }
        if d.isInfinite { return d < 0 ? "-inf" : "inf" }
        if d == 0 { return d.sign == .minus ? "-0.0" : "0.0" }
        // Swift's description gives the shortest round-trip digits too; re-lay them out as Python does.
        var text = "\(abs(d))"
        var exponent = 0
        if let e = text.firstIndex(where: { $0 == "e" || $0 == "E" }) {
            exponent = Int(text[text.index(after: e)...]) ?? 0
            text = String(text[..<e])
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        let intPart = String(parts[0]), fracPart = parts.count > 1 ? String(parts[1]) : ""
        var digits = intPart + fracPart
        var point = intPart.count + exponent
        while digits.hasPrefix("0"), digits.count > 1 { digits.removeFirst(); point -= 1 }
        while digits.hasSuffix("0"), digits.count > 1 { digits.removeLast() }
        let sign = d < 0 ? "-" : ""
        if point > 16 || point < -3 {
            let mantissa = digits.count > 1 ? "\(digits.first!).\(digits.dropFirst())" : digits
            let e = point - 1
            return sign + mantissa + "e" + (e < 0 ? "-" : "+") + (abs(e) < 10 ? "0" : "") + String(abs(e))
        }
        if point <= 0 { return sign + "0." + String(repeating: "0", count: -point) + digits }
        if point >= digits.count { return sign + digits + String(repeating: "0", count: point - digits.count) + ".0" }
        return sign + digits.prefix(point) + "." + digits.dropFirst(point)
    }

    /// `repr(str)`: single quotes unless the text has a single quote and no double quote;
    /// backslash, the quote, `\t \n \r` and non-printable characters escaped.
    static func reprString(_ s: String) -> String {
        let quote: Unicode.Scalar = s.unicodeScalars.contains("'") && !s.unicodeScalars.contains("\"") ? "\"" : "'"
        var out = String(quote)
        for c in s.unicodeScalars {
            switch c {
            case "\\": out += "\\\\"
            case quote: out += "\\" + String(quote)
            case "\t": out += "\\t"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            default:
                if isPrintable(c) {
                    out.unicodeScalars.append(c)
                } else if c.value < 0x100 {
                    out += "\\x" + hex(c.value, 2)
                } else if c.value < 0x10000 {
                    out += "\\u" + hex(c.value, 4)
                } else {
                    out += "\\U" + hex(c.value, 8)
                }
            }
        }
        return out + String(quote)
    }

    /// `v` in lower-case hex, zero-padded to `width` digits.
    static func hex(_ v: UInt32, _ width: Int) -> String {
        let h = String(v, radix: 16)
        return String(repeating: "0", count: max(0, width - h.count)) + h
    }

    /// Python's `str.isprintable` for one character (space is printable).
    static func isPrintable(_ c: Unicode.Scalar) -> Bool {
        if c == " " { return true }
        switch c.properties.generalCategory {
        case .control, .format, .surrogate, .privateUse, .unassigned, .lineSeparator, .paragraphSeparator, .spaceSeparator:
            return false
        default:
            return true
        }
    }
}
