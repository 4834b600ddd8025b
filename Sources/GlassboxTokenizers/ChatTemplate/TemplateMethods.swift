import Foundation

/// The Python methods templates call on strings, dicts and lists (`content.strip()`,
/// `message.get('x')`, `text.split('</think>')`). Methods that change a value (`append`, `pop`,
/// `update`, …) exist but fail when called, as transformers' immutable sandbox refuses them.
enum TemplateMethods {
    static let stringMethods: Set<String> = [
        "strip", "lstrip", "rstrip", "startswith", "endswith", "split", "rsplit", "upper", "lower", "title",
        "capitalize", "replace", "join", "find", "rfind", "count", "removeprefix", "removesuffix", "splitlines",
        "isdigit", "isspace", "isalpha", "isalnum", "islower", "isupper", "format",
    ]
    static let dictMethods: Set<String> = ["items", "keys", "values", "get", "copy"]
    static let listMethods: Set<String> = ["index", "count", "copy"]
    static let tupleMethods: Set<String> = ["index", "count"]
    /// Methods the immutable sandbox refuses (they modify their receiver).
    static let dictMutating: Set<String> = ["pop", "update", "clear", "setdefault", "popitem"]
    static let listMutating: Set<String> = ["append", "extend", "insert", "pop", "remove", "clear", "sort", "reverse"]

    /// Whether `value` has a method `name` (jinja2 finds methods before dict keys).
    static func has(_ value: TemplateValue, _ name: String) -> Bool {
        switch value {
        case .string: stringMethods.contains(name)
        case .dict: dictMethods.contains(name) || dictMutating.contains(name)
        case .list: listMethods.contains(name) || listMutating.contains(name)
        case .tuple: tupleMethods.contains(name)
        default: false
        }
    }

    /// Calls method `name` of `receiver` with Python semantics.
    static func call(_ receiver: TemplateValue, _ name: String, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)],
                     renderer: TemplateRenderer, at offset: Int) throws -> TemplateValue {
        if dictMutating.contains(name) || listMutating.contains(name), !(receiver.isString) {
            throw TemplateFailure(offset: offset, detail: "'\(receiver.typeName).\(name)' is unsafe: transformers' immutable sandbox does not let templates change values")
        }
        func arg(_ i: Int, _ keyword: String) -> TemplateValue? {
            i < args.count ? args[i] : kwargs.first(where: { $0.0 == keyword })?.1
        }
        func string(_ i: Int, _ keyword: String) throws -> String? {
            switch arg(i, keyword) {
            case nil, .none?: return nil
            case .string(let s)?: return s
            case let v?: throw TemplateFailure(offset: offset, detail: "\(name)() argument must be str, not \(v.typeName)")
            }
        }
        switch receiver {
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            switch name {
            case "strip", "lstrip", "rstrip":
                let chars = try string(0, "chars").map { Set($0.unicodeScalars) }
                return .string(strip(scalars, chars, leading: name != "rstrip", trailing: name != "lstrip"))
            case "startswith", "endswith":
                let candidates: [String]
                switch arg(0, "prefix") {
                case .string(let p)?: candidates = [p]
                case .tuple(let l)?:
                    candidates = try l.map { item in
                        guard case .string(let p) = item else {
                            throw TemplateFailure(offset: offset, detail: "tuple for \(name) must only contain str, not \(item.typeName)")
                        }
                        return p
                    }
                case let v?:
                    throw TemplateFailure(offset: offset, detail: "\(name) first arg must be str or a tuple of str, not \(v.typeName)")
                case nil: throw TemplateFailure(offset: offset, detail: "\(name)() needs a string or a tuple of strings")
                }
                return .bool(candidates.contains { c in
                    let p = Array(c.unicodeScalars)
                    return p.count <= scalars.count && (name == "startswith" ? Array(scalars.prefix(p.count)) == p
                                                                              : Array(scalars.suffix(p.count)) == p)
                })
            case "split", "rsplit":
                let sep = try string(0, "sep")
                let maxSplit = arg(1, "maxsplit")?.integerValue ?? -1
                return .list(try split(scalars, sep, maxSplit: maxSplit, fromRight: name == "rsplit", at: offset).map { .string($0) })
            case "splitlines":
                return .list(s.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline }).map { .string(String($0)) }
                    .dropLast(s.last?.isNewline == true || s.isEmpty ? 1 : 0))
            case "upper": return .string(PythonCase.upper(s))
            case "lower": return .string(PythonCase.lower(s))
            case "title": return .string(PythonCase.title(scalars))
            case "capitalize": return .string(PythonCase.capitalize(scalars))
            case "replace":
                guard let old = try string(0, "old"), let new = try string(1, "new") else {
                    throw TemplateFailure(offset: offset, detail: "replace() takes two strings")
                }
                let count = arg(2, "count")?.integerValue ?? -1
                return .string(try replace(scalars, Array(old.unicodeScalars), Array(new.unicodeScalars), count: count,
                                           renderer: renderer, at: offset))
            case "join":
                let items = try renderer.iterate(arg(0, "iterable") ?? .list([]), at: offset)
                var parts: [String] = []
                var bytes = s.utf8.count * max(items.count - 1, 0)
                for item in items {
                    guard case .string(let p) = item else {
                        throw TemplateFailure(offset: offset, detail: "sequence item: expected str instance, \(item.typeName) found")
                    }
                    parts.append(p)
                    bytes += p.utf8.count
                }
                try renderer.checkSize(bytes, at: offset) // before joining: the parts may share one huge string
                return .string(parts.joined(separator: s))
            case "find", "rfind", "count":
                guard let sub = try string(0, "sub") else { throw TemplateFailure(offset: offset, detail: "\(name)() needs a string") }
                let needle = Array(sub.unicodeScalars)
                var positions: [Int] = []
                var from = 0
                while let p = find(scalars, needle, from: from) {
                    positions.append(p)
                    from = p + max(needle.count, 1)
                    if from > scalars.count { break }
                }
                if name == "count" { return .int(positions.count) }
                return .int((name == "find" ? positions.first : positions.last) ?? -1)
            case "removeprefix", "removesuffix":
                let affix = Array((try string(0, "prefix") ?? "").unicodeScalars)
                if name == "removeprefix", scalars.starts(with: affix) { return .string(scalarString(scalars.dropFirst(affix.count))) }
                if name == "removesuffix", !affix.isEmpty, Array(scalars.suffix(affix.count)) == affix {
                    return .string(scalarString(scalars.dropLast(affix.count)))
                }
                return receiver
            case "isdigit": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.numericType == .decimal || $0.properties.numericType == .digit })
            case "isspace": return .bool(!scalars.isEmpty && scalars.allSatisfy(TemplateLexer.isSpace))
            case "isalpha": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic })
            case "isalnum": return .bool(!scalars.isEmpty && scalars.allSatisfy { $0.properties.isAlphabetic || $0.properties.numericType != nil })
            case "islower": return .bool(s.contains { $0.isCased } && s.lowercased() == s)
            case "isupper": return .bool(s.contains { $0.isCased } && s.uppercased() == s)
            default:
                throw TemplateFailure(offset: offset, detail: "str.\(name)() is not supported")
            }
        case .dict(let d):
            switch name {
            case "items": return .dictView(TemplateDictView(kind: .items, dict: d))
            case "keys": return .dictView(TemplateDictView(kind: .keys, dict: d))
            case "values": return .dictView(TemplateDictView(kind: .values, dict: d))
            case "copy": return receiver
            default: // get
                guard case .string(let key)? = arg(0, "key") else { return arg(1, "default") ?? .none }
                return d[key] ?? arg(1, "default") ?? .none
            }
        case .list(let items), .tuple(let items):
            switch name {
            case "copy": return receiver
            case "count":
                guard let x = arg(0, "value") else { return .int(0) }
                return .int(try items.filter { try renderer.equals($0, x, at: offset) }.count)
            default: // index
                guard let x = arg(0, "value"), let i = try items.firstIndex(where: { try renderer.equals($0, x, at: offset) }) else {
                    throw TemplateFailure(offset: offset, detail: "\(receiver.typeName).index(x): x not in \(receiver.typeName)")
                }
                return .int(i)
            }
        default:
            throw TemplateFailure(offset: offset, detail: "'\(receiver.typeName)' object has no method '\(name)'")
        }
    }

    /// A string of the scalars `s`.
    static func scalarString<S: Sequence>(_ s: S) -> String where S.Element == Unicode.Scalar {
        var v = String.UnicodeScalarView()
        v.append(contentsOf: s)
        return String(v)
    }

    /// The first index ≥ `from` where `needle` occurs in `haystack` (an empty needle matches at `from`),
    /// in time linear in the part of `haystack` searched plus `needle` (Knuth–Morris–Pratt), so a
    /// long near-miss needle cannot make it quadratic.
    static func find(_ haystack: [Unicode.Scalar], _ needle: [Unicode.Scalar], from: Int) -> Int? {
        guard from >= 0, needle.count <= haystack.count - from else { return nil }
        if needle.isEmpty { return from }
        // border[i]: length of the longest proper prefix of needle[0...i] that is also its suffix.
        var border = [Int](repeating: 0, count: needle.count)
        var k = 0
        for i in 1..<needle.count {
            while k > 0, needle[i] != needle[k] { k = border[k - 1] }
            if needle[i] == needle[k] { k += 1 }
            border[i] = k
        }
        var matched = 0
        for i in from..<haystack.count {
            while matched > 0, haystack[i] != needle[matched] { matched = border[matched - 1] }
            if haystack[i] == needle[matched] { matched += 1 }
            if matched == needle.count { return i - needle.count + 1 }
        }
        return nil
    }

    /// Python's `strip`: `chars` nil strips whitespace.
    static func strip(_ s: [Unicode.Scalar], _ chars: Set<Unicode.Scalar>?, leading: Bool, trailing: Bool) -> String {
        let drop: (Unicode.Scalar) -> Bool = { c in chars.map { $0.contains(c) } ?? TemplateLexer.isSpace(c) }
        var lo = 0, hi = s.count
        if leading { while lo < hi, drop(s[lo]) { lo += 1 } }
        if trailing { while hi > lo, drop(s[hi - 1]) { hi -= 1 } }
        return scalarString(s[lo..<hi])
    }

    /// Python's `split`/`rsplit`: `sep` nil splits on runs of whitespace and drops empty parts.
    static func split(_ s: [Unicode.Scalar], _ sep: String?, maxSplit: Int, fromRight: Bool, at offset: Int) throws -> [String] {
        var parts: [String] = []
        if let sep {
            let needle = Array(sep.unicodeScalars)
            if needle.isEmpty { throw TemplateFailure(offset: offset, detail: "empty separator") }
            var positions: [Int] = []
            var from = 0
            while let p = find(s, needle, from: from) { positions.append(p); from = p + needle.count }
            if maxSplit >= 0, positions.count > maxSplit {
                positions = fromRight ? Array(positions.suffix(maxSplit)) : Array(positions.prefix(maxSplit))
            }
            var start = 0
            for p in positions {
                parts.append(scalarString(s[start..<p]))
                start = p + needle.count
            }
            parts.append(scalarString(s[start...]))
            return parts
        }
        var words: [Range<Int>] = []
        var i = 0
        while i < s.count {
            while i < s.count, TemplateLexer.isSpace(s[i]) { i += 1 }
            if i == s.count { break }
            let start = i
            while i < s.count, !TemplateLexer.isSpace(s[i]) { i += 1 }
            words.append(start..<i)
        }
        // More words than splits: the rest is one part, stripped only on the side it was split from
        // (`' a b '.split(None, 1)` is `['a', 'b ']`; `split(None, 0)` only strips the left).
        if maxSplit >= 0, words.count > maxSplit {
            if fromRight {
                let kept = words.suffix(maxSplit)
                let head = strip(Array(s[0..<(kept.first?.lowerBound ?? s.count)]), nil, leading: false, trailing: true)
                return [head] + kept.map { scalarString(s[$0]) }
            }
            let kept = words.prefix(maxSplit)
            let tail = strip(Array(s[(kept.last?.upperBound ?? 0)...]), nil, leading: true, trailing: false)
            return kept.map { scalarString(s[$0]) } + [tail]
        }
        return words.map { scalarString(s[$0]) }
    }

    /// Python's `str.replace` (an empty `old` inserts `new` between characters), bounded in size.
    static func replace(_ s: [Unicode.Scalar], _ old: [Unicode.Scalar], _ new: [Unicode.Scalar], count: Int,
                        renderer: TemplateRenderer, at offset: Int) throws -> String {
        // Built as scalars, the UTF-8 size kept as it grows and checked (cheaply) at every piece.
        var out: [Unicode.Scalar] = []
        out.reserveCapacity(s.count)
        var bytes = 0
        let newBytes = new.reduce(0) { $0 + UTF8.width($1) }
        var i = 0, done = 0
        func emit(_ c: ArraySlice<Unicode.Scalar>, bytes added: Int) throws {
            out.append(contentsOf: c)
            bytes += added
            if bytes > renderer.limits.outputBytes { try renderer.checkSize(bytes, at: offset) }
        }
        func size(_ c: ArraySlice<Unicode.Scalar>) -> Int { c.reduce(0) { $0 + UTF8.width($1) } }
        if old.isEmpty {
            for k in s.indices {
                if count < 0 || done < count { try emit(new[...], bytes: newBytes); done += 1 }
                try emit(s[k...k], bytes: UTF8.width(s[k]))
            }
            if count < 0 || done < count { try emit(new[...], bytes: newBytes) }
            return scalarString(out[...])
        }
        while i < s.count {
            if count < 0 || done < count, let p = find(s, old, from: i) {
                try emit(s[i..<p], bytes: size(s[i..<p]))
                try emit(new[...], bytes: newBytes)
                i = p + old.count
                done += 1
            } else {
                try emit(s[i...], bytes: size(s[i...]))
                break
            }
        }
        return scalarString(out[...])
    }
}
