import Foundation

/// The hash key of a value in jinja2's `unique` filter, equal where Python's `==` is (so `1`,
/// `1.0` and `True` are one key); strings are lower-cased unless `case_sensitive`. Tuples hash by
/// their items; lists, dicts and dict views are unhashable, as in Python.
enum UniqueKey: Hashable {
    case undefined, none
    case int(Int)
    /// A float that is not a whole number in Int's range (NaN never equals itself).
    case double(Double)
    /// A string's UTF-8 bytes (Python compares code points; Swift's `String` would equate
    /// canonically equivalent spellings).
    case string([UInt8])
    /// A namespace or macro, by identity.
    case object(ObjectIdentifier)
    /// A global function or a method, by name.
    case function(String)
    /// A tuple: its items' keys (strings inside it keep their case, as jinja2 lower-cases only
    /// top-level strings).
    case tuple([UniqueKey])

    /// The key of `value`; a list or dict (also inside a tuple) is a "unhashable type" failure.
    init(_ value: TemplateValue, caseSensitive: Bool, at offset: Int) throws {
        switch value {
        case .undefined: self = .undefined
        case .none: self = .none
        case .bool(let b): self = .int(b ? 1 : 0)
        case .int(let i): self = .int(i)
        case .double(let d):
            if d == d.rounded(.towardZero), d >= -0x1p63, d < 0x1p63 { self = .int(Int(d)) } else { self = .double(d) }
        case .string(let s):
            // Python's str.lower; dictionary keys compare by code point, as Python's do.
            self = .string(Array((caseSensitive ? s : PythonCase.lower(s)).utf8))
        case .namespace(let ns): self = .object(ObjectIdentifier(ns))
        case .callable(.macro(let m)): self = .object(ObjectIdentifier(m))
        case .callable(.global(let name)): self = .function(name)
        case .callable(.method(_, let name)): self = .function("." + name)
        case .callable(.loopMethod(let loop, let name)): self = .function(".\(ObjectIdentifier(loop)).\(name)")
        case .loop(let loop): self = .object(ObjectIdentifier(loop))
        case .tuple(let items): self = .tuple(try items.map { try UniqueKey($0, caseSensitive: true, at: offset) })
        case .list, .dict, .dictView:
            throw TemplateFailure(offset: offset, detail: "unhashable type: '\(value.typeName)'")
        }
    }
}
