import Foundation

/// What `d.items()`, `d.keys()` and `d.values()` return: Python's dict views, as jinja2 hands them
/// to the template. A view iterates like a list (of `(key, value)` tuples, keys or values), has a
/// length and a truth value, prints as `dict_items([('a', 1)])`, and has the attribute `mapping`
/// (the dict); it is not subscriptable (`d.items()[0]` is undefined), not a `sequence`, and not
/// JSON. Key and item views compare as sets (`==`, `<` is a proper subset); a values view equals
/// nothing, not even itself (Python compares those by identity).
struct TemplateDictView {
    /// The method that made the view; the raw value is Python's type name.
    enum Kind: String {
        case items = "dict_items", keys = "dict_keys", values = "dict_values"
    }

    let kind: Kind
    /// The dict viewed.
    let dict: TemplateDict

    /// The values the view yields, in the dict's order.
    var elements: [TemplateValue] {
        switch kind {
        case .items: dict.items.map { .tuple([.string($0.0), $0.1]) }
        case .keys: dict.keys.map { .string($0) }
        case .values: dict.items.map { $0.1 }
        }
    }

    /// Whether the view compares as a set (keys and items do, values do not).
    var isSetLike: Bool { kind != .values }
}

extension TemplateRenderer {
    /// Python's set comparison of two key or item views (`op` is `==`, `<`, `<=`, `>` or `>=`;
    /// ``compare(_:_:_:at:)`` makes `!=` of `==`): equal when each holds the other, `<=` when the
    /// left one's elements are all in the right one. `nil` when `a` and `b` are not two set-like views.
    func compareViews(_ op: String, _ a: TemplateValue, _ b: TemplateValue, at offset: Int) throws -> Bool? {
        guard case .dictView(let x) = a, case .dictView(let y) = b, x.isSetLike, y.isSetLike else { return nil }
        func within(_ p: TemplateDictView, _ q: TemplateDictView) throws -> Bool {
            let qs = q.elements
            for e in p.elements where !(try qs.contains { try equals($0, e, at: offset) }) { return false }
            return true
        }
        let (n, m) = (x.dict.count, y.dict.count)
        switch op {
        case "==": return try n == m && within(x, y)
        case "<": return try n < m && within(x, y)
        case "<=": return try n <= m && within(x, y)
        case ">": return try n > m && within(y, x)
        default: return try n >= m && within(y, x) // >=
        }
    }
}
