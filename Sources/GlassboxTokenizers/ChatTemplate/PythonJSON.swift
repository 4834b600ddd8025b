import Foundation

/// Python's `json.dumps`, as transformers' `tojson` filter calls it: `ensure_ascii=False` by
/// default, `indent` (nil: one line with `", "` and `": "`; given: `","` and `": "`, one member per
/// line), custom `separators`, `sort_keys`. Undefined values and functions cannot be serialized.
enum PythonJSON {
    /// `json.dumps` keyword arguments `tojson` accepts.
    struct Options {
        var ensureASCII = false
        /// The indentation unit, nil for one line.
        var indent: String? = nil
        /// (item separator, key separator); nil: Python's defaults for the indent.
        var separators: (String, String)? = nil
        var sortKeys = false
    }

    /// Appends the JSON text of `value` (at nesting `level`) to `out`, bounded by the output limit.
    static func dump(_ value: TemplateValue, options: Options, level: Int, into out: inout String,
                     renderer: TemplateRenderer, at offset: Int) throws {
        try renderer.checkSize(out.utf8.count, at: offset)
        if level > renderer.limits.callDepth * 4 {
            throw TemplateFailure(offset: offset, detail: "tojson: value nested too deeply")
        }
        let (itemSeparator, keySeparator) = options.separators ?? (options.indent == nil ? (", ", ": ") : (",", ": "))
        func newline(_ depth: Int) {
            if let indent = options.indent { out += "\n" + String(repeating: indent, count: depth) }
        }
        switch value {
        case .none: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .int(let i): out += String(i)
        case .double(let d):
            out += d.isNaN ? "NaN" : d.isInfinite ? (d < 0 ? "-Infinity" : "Infinity") : PythonFloat.repr(d)
        case .string(let s): quote(s, ascii: options.ensureASCII, into: &out)
        case .list(let items), .tuple(let items): // a tuple is a JSON array too, as json.dumps writes it
            if items.isEmpty { out += "[]"; return }
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += itemSeparator }
                newline(level + 1)
                try dump(item, options: options, level: level + 1, into: &out, renderer: renderer, at: offset)
            }
            newline(level)
            out += "]"
        case .dict(let d):
            try dumpObject(d, options: options, level: level, itemSeparator: itemSeparator, keySeparator: keySeparator,
                           into: &out, renderer: renderer, at: offset)
        case .namespace, .callable, .dictView, .loop:
            throw TemplateFailure(offset: offset, detail: "tojson: Object of type \(value.typeName) is not JSON serializable")
        case .undefined:
            throw TemplateFailure(offset: offset, detail: "tojson: Object of type Undefined is not JSON serializable")
        }
    }

    /// A dict as a JSON object, keys in insertion order (or sorted with `sort_keys`).
    private static func dumpObject(_ d: TemplateDict, options: Options, level: Int, itemSeparator: String,
                                   keySeparator: String, into out: inout String, renderer: TemplateRenderer,
                                   at offset: Int) throws {
        if d.isEmpty { out += "{}"; return }
        var items = d.items
        if options.sortKeys {
            items.sort { $0.0.unicodeScalars.lexicographicallyPrecedes($1.0.unicodeScalars) { $0.value < $1.value } }
        }
        out += "{"
        for (i, (k, v)) in items.enumerated() {
            if i > 0 { out += itemSeparator }
            if let indent = options.indent { out += "\n" + String(repeating: indent, count: level + 1) }
            quote(k, ascii: options.ensureASCII, into: &out)
            out += keySeparator
            try dump(v, options: options, level: level + 1, into: &out, renderer: renderer, at: offset)
        }
        if let indent = options.indent { out += "\n" + String(repeating: indent, count: level) }
        out += "}"
    }

    /// A JSON string literal as Python writes it.
    static func quote(_ s: String, ascii: Bool, into out: inout String) {
        out += "\""
        for c in s.unicodeScalars {
            switch c {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case "\u{08}": out += "\\b"
            case "\u{0C}": out += "\\f"
            default:
                if c.value < 0x20 || (ascii && c.value > 0x7E) {
                    if c.value > 0xFFFF {
                        let v = c.value - 0x10000
                        out += "\\u" + PythonFloat.hex(0xD800 + (v >> 10), 4) + "\\u" + PythonFloat.hex(0xDC00 + (v & 0x3FF), 4)
                    } else {
                        out += "\\u" + PythonFloat.hex(c.value, 4)
                    }
                } else {
                    out.unicodeScalars.append(c)
                }
            }
        }
        out += "\""
    }
}
