import Foundation

/// Arithmetic and comparison with Python's rules (`/` is true division, `//` and `%` floor,
/// `True == 1`, strings compare by code point), as jinja2 evaluates them.
extension TemplateRenderer {
    /// `a op b` for `+ - * / // % ** ~`, with Python semantics; sizes bounded by the limits.
    func binary(_ op: String, _ a: TemplateValue, _ b: TemplateValue, at offset: Int) throws -> TemplateValue {
        if op == "~" {
            let x = try str(a, at: offset), y = try str(b, at: offset)
            try checkSize(x.utf8.count + y.utf8.count, at: offset)
            return .string(x + y)
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
        case ("+", .tuple(let x), .tuple(let y)):
            try checkListSize(x.count + y.count, at: offset)
            return .tuple(x + y)
        case ("+", .list, _), ("+", .tuple, _):
            throw TemplateFailure(offset: offset, detail: "can only concatenate \(a.typeName) (not \"\(b.typeName)\") to \(a.typeName)")
        case ("%", .string, _):
            throw TemplateFailure(offset: offset, detail: "string formatting with '%' is not supported")
        default:
            break
        }
        if op == "*" {
            if case .string(let text) = a, let n = b.integerValue { return try repeated(text, n, at: offset) }
            if case .string(let text) = b, let n = a.integerValue { return try repeated(text, n, at: offset) }
            if case .list(let items) = a, let n = b.integerValue { return .list(try repeated(items, n, at: offset)) }
            if case .list(let items) = b, let n = a.integerValue { return .list(try repeated(items, n, at: offset)) }
            if case .tuple(let items) = a, let n = b.integerValue { return .tuple(try repeated(items, n, at: offset)) }
            if case .tuple(let items) = b, let n = a.integerValue { return .tuple(try repeated(items, n, at: offset)) }
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
                // Int.min // -1 is 2**63, past Int (Python's int grows); Int.min % -1 is 0.
                if x == Int.min && y == -1 {
                    if op == "%" { return .int(0) }
                    throw TemplateFailure(offset: offset, detail: "integer overflow")
                }
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

    /// The items of a list or tuple `* n` (empty for n ≤ 0), bounded like strings.
    private func repeated(_ items: [TemplateValue], _ n: Int, at offset: Int) throws -> [TemplateValue] {
        let count = max(n, 0)
        let (total, overflow) = items.count.multipliedReportingOverflow(by: count)
        try checkListSize(overflow ? Int.max : total, at: offset)
        return Array([[TemplateValue]](repeating: items, count: count).joined())
    }

    /// Python's `==` (jinja2's `Undefined` equals only another `Undefined`). Each value visited counts
    /// against the work budget: lists holding one list twice, nested 40 deep, would take 2^40 steps.
    func equals(_ a: TemplateValue, _ b: TemplateValue, at offset: Int) throws -> Bool {
        try countVisit(at: offset)
        switch (a, b) {
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)): // a list never equals a tuple
            guard x.count == y.count else { return false }
            for (p, q) in zip(x, y) where !(try equals(p, q, at: offset)) { return false }
            return true
        case (.dictView, .dictView):
            return try compareViews("==", a, b, at: offset) ?? false
        case (.dict(let x), .dict(let y)):
            guard x.count == y.count else { return false }
            for (k, v) in x.items {
                guard let w = y[k], try equals(v, w, at: offset) else { return false }
            }
            return true
        default:
            return a.scalarEquals(b)
        }
    }

    /// Python's `str(value)` (what `{{ value }}` prints; an undefined value prints nothing), failing
    /// once it would pass the output limit (a value of shared nested lists can print exponentially long).
    func str(_ value: TemplateValue, at offset: Int) throws -> String {
        switch value {
        case .undefined: return ""
        case .string(let s): return s
        default: return try repr(value, at: offset)
        }
    }

    /// Python's `repr(value)`, bounded like ``str(_:at:)``.
    func repr(_ value: TemplateValue, at offset: Int) throws -> String {
        var out = ""
        guard value.appendRepr(to: &out, limit: limits.outputBytes) else {
            throw TemplateFailure(offset: offset, detail: "a string longer than \(limits.outputBytes) bytes")
        }
        return out
    }

    /// One comparison of a chain (`== != < <= > >= in`, `not in`).
    func compare(_ op: String, _ a: TemplateValue, _ b: TemplateValue, at offset: Int) throws -> Bool {
        switch op {
        case "==": return try equals(a, b, at: offset)
        case "!=": return !(try equals(a, b, at: offset))
        case "in": return try contains(b, a, at: offset)
        case "not in": return !(try contains(b, a, at: offset))
        default:
            if let result = try compareViews(op, a, b, at: offset) { return result }
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
        case .list(let items), .tuple(let items): return try items.contains { try equals($0, needle, at: offset) }
        case .dictView(let v): return try v.elements.contains { try equals($0, needle, at: offset) }
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

    /// -1, 0 or 1 for Python's ordering of numbers, strings (by code point), lists and tuples (a list
    /// and a tuple do not compare).
    func ordering(_ a: TemplateValue, _ b: TemplateValue, op: String, at offset: Int) throws -> Int {
        if let order = TemplateValue.numericOrder(a, b) { return order }
        switch (a, b) {
        case (.string(let x), .string(let y)):
            if x.utf8.elementsEqual(y.utf8) { return 0 }
            return x.utf8.lexicographicallyPrecedes(y.utf8) ? -1 : 1
        case (.list(let x), .list(let y)), (.tuple(let x), .tuple(let y)):
            for (p, q) in zip(x, y) where !(try equals(p, q, at: offset)) { return try ordering(p, q, op: op, at: offset) }
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

    /// -1, 0 or 1 comparing two numbers exactly as Python does (two ints as ints, an int and a float
    /// without rounding the int to a float); `nil` when either is not a number or a float is NaN.
    static func numericOrder(_ a: TemplateValue, _ b: TemplateValue) -> Int? {
        func sign(_ x: Int, _ y: Int) -> Int { x < y ? -1 : (x > y ? 1 : 0) }
        switch (a.integerValue, b.integerValue) {
        case let (x?, y?): return sign(x, y)
        case (let x?, nil): return b.numberValue.flatMap { intVersusDouble(x, $0) }
        case (nil, let y?): return a.numberValue.flatMap { intVersusDouble(y, $0) }.map { -$0 }
        case (nil, nil):
            guard let x = a.numberValue, let y = b.numberValue, !x.isNaN, !y.isNaN else { return nil }
            return x < y ? -1 : (x > y ? 1 : 0)
        }
    }

    /// -1, 0 or 1 comparing `i` with `d` exactly; `nil` for NaN.
    private static func intVersusDouble(_ i: Int, _ d: Double) -> Int? {
        if d.isNaN { return nil }
        if d >= 0x1p63 { return -1 }
        if d < -0x1p63 { return 1 }
        let whole = d.rounded(.down) // in [-2^63, 2^63): exactly an Int
        let w = Int(whole)
        if i != w { return i < w ? -1 : 1 }
        return d > whole ? -1 : 0
    }

    /// Python's `==` for values that are not lists, tuples or dicts (those compare element by element in
    /// ``TemplateRenderer/equals(_:_:at:)``, which bounds the work); a list, tuple or dict is never equal here.
    func scalarEquals(_ other: TemplateValue) -> Bool {
        if let order = TemplateValue.numericOrder(self, other) { return order == 0 }
        switch (self, other) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
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

    /// Appends Python's `repr(value)` to `out`, stopping (and returning false) once `out` is longer
    /// than `limit` bytes; an undefined value appends nothing.
    func appendRepr(to out: inout String, limit: Int) -> Bool {
        switch self {
        case .undefined: break
        case .none: out += "None"
        case .bool(let b): out += b ? "True" : "False"
        case .int(let i): out += String(i)
        case .double(let d): out += PythonFloat.repr(d)
        case .string(let s):
            if out.utf8.count + s.utf8.count + 2 > limit { return false } // a repr is never shorter
            out += PythonFloat.reprString(s)
        case .list(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                guard item.appendRepr(to: &out, limit: limit) else { return false }
            }
            out += "]"
        case .tuple(let items):
            out += "("
            for (i, item) in items.enumerated() {
                if i > 0 { out += ", " }
                guard item.appendRepr(to: &out, limit: limit) else { return false }
            }
            out += items.count == 1 ? ",)" : ")"
        case .dict(let d):
            out += "{"
            for (i, (k, v)) in d.items.enumerated() {
                if i > 0 { out += ", " }
                out += PythonFloat.reprString(k) + ": "
                guard v.appendRepr(to: &out, limit: limit) else { return false }
            }
            out += "}"
        case .dictView(let v):
            out += v.kind.rawValue + "("
            guard TemplateValue.list(v.elements).appendRepr(to: &out, limit: limit) else { return false }
            out += ")"
        case .namespace(let ns):
            out += "<Namespace "
            guard TemplateValue.dict(ns.attributes).appendRepr(to: &out, limit: limit) else { return false }
            out += ">"
        case .callable: out += "<function>"
        case .loop(let loop): out += "<LoopContext \(loop.index0 + 1)/\(loop.items.count)>"
        }
        return out.utf8.count <= limit
    }

    /// `repr(value)` cut to about 200 bytes (with `...`), for error messages.
    var shortRepr: String {
        var out = ""
        return appendRepr(to: &out, limit: 200) ? out : String(decoding: out.utf8.prefix(200), as: UTF8.self) + "..."
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
