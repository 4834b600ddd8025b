import Foundation

/// The jinja2 filters chat templates use, with jinja2's semantics, and transformers' `tojson`
/// (`json.dumps` with `ensure_ascii=False`, no HTML escaping). A filter not listed here is an
/// error when the template is parsed, as jinja2 reports unknown filters when compiling — except in
/// conditional code (`if` blocks, inline `… if … else …`), where jinja2 defers the error, and so
/// does this interpreter: it fails only if that code runs.
extension TemplateRenderer {
    static let filterNames: Set<String> = [
        "trim", "tojson", "length", "count", "upper", "lower", "capitalize", "title", "default", "d", "first", "last",
        "join", "items", "list", "string", "replace", "selectattr", "rejectattr", "select", "reject", "map", "reverse",
        "int", "float", "abs", "safe", "e", "escape", "indent", "unique", "wordcount", "sum", "min", "max",
    ]

    /// jinja2's built-in filters this interpreter does not provide.
    static let unsupportedFilters: Set<String> = [
        "attr", "batch", "center", "dictsort", "filesizeformat", "forceescape", "format", "groupby", "pprint", "random",
        "round", "slice", "sort", "striptags", "truncate", "urlencode", "urlize", "wordwrap", "xmlattr",
    ]

    /// The message for a filter that is not available.
    static func unknownFilter(_ name: String) -> String {
        unsupportedFilters.contains(name) ? "the jinja2 filter '\(name)' is not supported" : "no filter named '\(name)'"
    }

    /// `value | name(args, kwargs)`; an unknown name fails here (it was deferred from parsing).
    func applyFilter(_ name: String, _ value: TemplateValue, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)],
                     at offset: Int) throws -> TemplateValue {
        func arg(_ i: Int, _ keyword: String) -> TemplateValue? {
            i < args.count ? args[i] : kwargs.first(where: { $0.0 == keyword })?.1
        }
        func text() throws -> [Unicode.Scalar] { Array(try str(value, at: offset).unicodeScalars) }
        switch name {
        case "trim":
            let chars: Set<Unicode.Scalar>? = if case .string(let c)? = arg(0, "chars") { Set(c.unicodeScalars) } else { nil }
            return .string(TemplateMethods.strip(try text(), chars, leading: true, trailing: true))
        case "upper": return .string(PythonCase.upper(try str(value, at: offset)))
        case "lower": return .string(PythonCase.lower(try str(value, at: offset)))
        case "capitalize": return .string(PythonCase.capitalize(try text()))
        case "title": return .string(jinjaTitle(try text()))
        case "string": return .string(try str(value, at: offset))
        case "safe": return value
        case "e", "escape": return .string(htmlEscape(try str(value, at: offset)))
        case "length", "count":
            switch value {
            case .string(let s): return .int(s.unicodeScalars.count)
            case .list(let l), .tuple(let l): return .int(l.count)
            case .dict(let d): return .int(d.count)
            case .dictView(let v): return .int(v.dict.count)
            case .undefined: return .int(0)
            default: throw TemplateFailure(offset: offset, detail: "object of type '\(value.typeName)' has no len()")
            }
        case "default", "d":
            let fallback = arg(0, "default_value") ?? .string("")
            let boolean = arg(1, "boolean")?.isTruthy ?? false
            if value.isUndefined || (boolean && !value.isTruthy) { return fallback }
            return value
        case "first", "last":
            if case .undefined = value { return .undefined("no \(name) item, sequence was empty") }
            let items = try iterate(value, at: offset)
            return (name == "first" ? items.first : items.last) ?? .undefined("no \(name) item, sequence was empty")
        case "reverse":
            if case .string(let s) = value { return .string(TemplateMethods.scalarString(s.unicodeScalars.reversed())) }
            return .list(try iterate(value, at: offset).reversed())
        case "list":
            return .list(try iterate(value, at: offset))
        case "items":
            switch value {
            case .undefined: return .list([])
            case .dict(let d): return .list(d.items.map { .tuple([.string($0.0), $0.1]) })
            default: throw TemplateFailure(offset: offset, detail: "can only get item pairs from a mapping")
            }
        case "join":
            var items = try iterate(value, at: offset)
            if case .string(let attribute)? = arg(1, "attribute") {
                items = try items.map { try itemPath($0, attribute, at: offset) }
            }
            let separator = try arg(0, "d").map { try str($0, at: offset) } ?? ""
            let parts = try items.map { try str($0, at: offset) }
            // Summed before joining: the parts may be one huge string many times.
            let bytes = parts.reduce(separator.utf8.count * max(parts.count - 1, 0)) { $0 + $1.utf8.count }
            try checkSize(bytes, at: offset)
            return .string(parts.joined(separator: separator))
        case "replace":
            guard case .string(let old)? = arg(0, "old"), case .string(let new)? = arg(1, "new") else {
                throw TemplateFailure(offset: offset, detail: "replace needs two strings")
            }
            let count = arg(2, "count")?.integerValue ?? -1
            return .string(try TemplateMethods.replace(try text(), Array(old.unicodeScalars), Array(new.unicodeScalars),
                                                       count: count, renderer: self, at: offset))
        case "selectattr", "rejectattr", "select", "reject":
            let byAttribute = name.hasSuffix("attr")
            var rest = args
            var attribute = ""
            if byAttribute {
                guard case .string(let a)? = rest.first else { throw TemplateFailure(offset: offset, detail: "\(name) needs an attribute name") }
                attribute = a
                rest.removeFirst()
            }
            var testName: String? = nil
            if let first = rest.first {
                guard case .string(let t) = first else { throw TemplateFailure(offset: offset, detail: "\(name) needs a test name") }
                guard Self.testNames.contains(t) else { throw TemplateFailure(offset: offset, detail: Self.unknownTest(t)) }
                testName = t
                rest.removeFirst()
            }
            let keep = name.hasPrefix("select")
            return .list(try iterate(value, at: offset).filter { item in
                let probe = byAttribute ? try itemPath(item, attribute, at: offset) : item
                let ok = try testName.map { try applyTest($0, probe, rest, [], at: offset) } ?? probe.isTruthy
                return ok == keep
            })
        case "map":
            let items = try iterate(value, at: offset)
            if case .string(let attribute)? = kwargs.first(where: { $0.0 == "attribute" })?.1 {
                let fallback = kwargs.first(where: { $0.0 == "default" })?.1
                return .list(try items.map { item in
                    let v = try itemPath(item, attribute, at: offset)
                    if v.isUndefined, let fallback { return fallback }
                    return v
                })
            }
            guard case .string(let filter)? = args.first else { throw TemplateFailure(offset: offset, detail: "map needs a filter name or attribute=") }
            guard Self.filterNames.contains(filter) else { throw TemplateFailure(offset: offset, detail: Self.unknownFilter(filter)) }
            return .list(try items.map { try applyFilter(filter, $0, Array(args.dropFirst()), [], at: offset) })
        case "unique":
            // jinja2: a set of keys seen (strings lower-cased unless case_sensitive, or the items'
            // `attribute`); lists and dicts are unhashable.
            let caseSensitive = arg(0, "case_sensitive")?.isTruthy ?? false
            let attribute: String? = if case .string(let a)? = arg(1, "attribute") { a } else { nil }
            var seen = Set<UniqueKey>()
            var out: [TemplateValue] = []
            for item in try iterate(value, at: offset) {
                let probe = try attribute.map { try itemPath(item, $0, at: offset) } ?? item
                if seen.insert(try UniqueKey(probe, caseSensitive: caseSensitive, at: offset)).inserted { out.append(item) }
            }
            return .list(out)
        case "sum":
            var total: TemplateValue = arg(1, "start") ?? .int(0)
            for item in try iterate(value, at: offset) { total = try binary("+", total, item, at: offset) }
            return total
        case "min", "max":
            let items = try iterate(value, at: offset)
            guard var best = items.first else { return .undefined("no \(name) item, sequence was empty") }
            for item in items.dropFirst() {
                let o = try ordering(item, best, op: "<", at: offset)
                if name == "min" ? o < 0 : o > 0 { best = item }
            }
            return best
        case "wordcount":
            return .int(try str(value, at: offset).split(whereSeparator: { !($0.isLetter || $0.isNumber || $0 == "_") }).count)
        case "int":
            return try intFilter(value, default: arg(0, "default") ?? .int(0), base: arg(1, "base") ?? .int(10), at: offset)
        case "float":
            return try floatFilter(value, default: arg(0, "default") ?? .double(0), at: offset)
        case "abs":
            switch value {
            case .int(let i): return .int(try checked(i == Int.min ? (0, true) : (abs(i), false), at: offset))
            case .bool(let b): return .int(b ? 1 : 0)
            case .double(let d): return .double(abs(d))
            default: throw TemplateFailure(offset: offset, detail: "bad operand type for abs(): '\(value.typeName)'")
            }
        case "indent":
            let width: String = switch arg(0, "width") {
            case .string(let s)?: s
            case let v?: String(repeating: " ", count: max(0, v.integerValue ?? 4))
            case nil: "    "
            }
            let first = arg(1, "first")?.isTruthy ?? false
            let blank = arg(2, "blank")?.isTruthy ?? false
            let text = try str(value, at: offset)
            var lines = text.components(separatedBy: "\n")
            try checkSize(text.utf8.count + lines.count * width.utf8.count, at: offset)  // at most this, before building it
            for i in lines.indices where (i > 0 || first) && (blank || !lines[i].allSatisfy(\.isWhitespace)) {
                lines[i] = width + lines[i]
            }
            let out = lines.joined(separator: "\n")
            try checkSize(out.utf8.count, at: offset)
            return .string(out)
        case "tojson":
            var options = PythonJSON.Options()
            for (k, v) in kwargs {
                switch k {
                case "ensure_ascii": options.ensureASCII = v.isTruthy
                case "indent":
                    switch v {
                    case .none: options.indent = nil
                    case .string(let s): options.indent = s
                    default: options.indent = String(repeating: " ", count: max(0, v.integerValue ?? 0))
                    }
                case "separators":
                    guard case .list(let l) = v, l.count == 2, case .string(let a) = l[0], case .string(let b) = l[1] else {
                        throw TemplateFailure(offset: offset, detail: "tojson separators must be two strings")
                    }
                    options.separators = (a, b)
                case "sort_keys": options.sortKeys = v.isTruthy
                default: throw TemplateFailure(offset: offset, detail: "tojson() got an unexpected keyword argument '\(k)'")
                }
            }
            if let first = args.first { options.ensureASCII = first.isTruthy }
            var out = ""
            try PythonJSON.dump(value, options: options, level: 0, into: &out, renderer: self, at: offset)
            return .string(out)
        default:
            throw TemplateFailure(offset: offset, detail: Self.unknownFilter(name))
        }
    }

    /// jinja2's `do_int(value, default=0, base=10)`: a string is `int(value, base)`, else `int(value)`;
    /// where that fails, `int(float(value))`; where that fails too, `default`. An undefined value is
    /// an error (jinja2's `Undefined` refuses `int()`), and so is a result past 64 bits (Python's
    /// int would grow; this interpreter's stops), naming the value.
    func intFilter(_ value: TemplateValue, default fallback: TemplateValue, base: TemplateValue, at offset: Int) throws -> TemplateValue {
        func truncated(_ d: Double) throws -> TemplateValue {
            if d.isNaN || d.isInfinite { return fallback } // int(float(…)) raises ValueError / OverflowError, both caught
            guard d >= -0x1p63, d < 0x1p63 else {
                throw TemplateFailure(offset: offset, detail: "integer overflow: \(value.shortRepr)|int is past the 64-bit integer range")
            }
            return .int(Int(d))
        }
        switch value {
        case .undefined(let why): throw TemplateFailure(offset: offset, detail: why)
        case .int: return value
        case .bool(let b): return .int(b ? 1 : 0)
        case .double(let d):
            if d.isInfinite { throw TemplateFailure(offset: offset, detail: "cannot convert float infinity to integer") }
            return try truncated(d)
        case .string(let s):
            // A base that is not an int is a TypeError in `int(value, base)`: caught, then float().
            switch base.integerValue.map({ PythonNumberParsing.int(s, base: $0) }) ?? .invalid {
            case .value(let i): return .int(i)
            case .overflow:
                throw TemplateFailure(offset: offset, detail: "integer overflow: \(value.shortRepr)|int is past the 64-bit integer range")
            case .invalid:
                return try PythonNumberParsing.float(s).map(truncated) ?? fallback
            }
        default: return fallback
        }
    }

    /// jinja2's `do_float(value, default=0.0)`: Python's `float(value)` (a string as
    /// ``PythonNumberParsing/float(_:)`` reads it: `'1_000'`, `' 2.5 '`, `'inf'`, `'nan'`, `'1e5'`),
    /// `default` where that raises ValueError or TypeError. An undefined value is an error, as
    /// jinja2's `Undefined` refuses `float()`.
    func floatFilter(_ value: TemplateValue, default fallback: TemplateValue, at offset: Int) throws -> TemplateValue {
        switch value {
        case .undefined(let why): throw TemplateFailure(offset: offset, detail: why)
        case .string(let s): return PythonNumberParsing.float(s).map { .double($0) } ?? fallback
        default: return value.numberValue.map { .double($0) } ?? fallback
        }
    }

    /// jinja2's `make_attrgetter`: `a.b` looks up `a` then `b`, each as an item first.
    func itemPath(_ value: TemplateValue, _ path: String, at offset: Int) throws -> TemplateValue {
        var v = value
        for part in path.split(separator: ".", omittingEmptySubsequences: false) {
            let key: TemplateValue = Int(part).map { .int($0) } ?? .string(String(part))
            v = try item(v, key, at: offset)
        }
        return v
    }

    /// jinja2's `title` filter: words start after `-`, whitespace, `(`, `{`, `[` or `<`; each word is
    /// `word[0].upper() + word[1:].lower()` (upper case, not title case, and the rest lower-cased on
    /// its own: a final sigma is judged within `word[1:]`).
    func jinjaTitle(_ s: [Unicode.Scalar]) -> String {
        var out = ""
        var word: [Unicode.Scalar] = []
        func flush() {
            if let first = word.first { out += PythonCase.upper(String(first)) + PythonCase.lower(TemplateMethods.scalarString(word.dropFirst())) }
            word = []
        }
        for c in s {
            if TemplateLexer.isSpace(c) || "-({[<".unicodeScalars.contains(c) {
                flush()
                out.unicodeScalars.append(c)
            } else {
                word.append(c)
            }
        }
        flush()
        return out
    }

    /// markupsafe's `escape`.
    func htmlEscape(_ s: String) -> String {
        var out = ""
        for c in s.unicodeScalars {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&#34;"
            case "'": out += "&#39;"
            default: out.unicodeScalars.append(c)
            }
        }
        return out
    }
}
