import Foundation

extension TemplateValue {
    /// The template value of a parsed JSON value (objects keep their member order).
    init(json: JSONValue) {
        switch json {
        case .null: self = .none
        case .bool(let b): self = .bool(b)
        case .int(let i): self = .int(i)
        case .double(let d): self = .double(d)
        case .string(let s): self = .string(s)
        case .array(let items): self = .list(items.map(TemplateValue.init(json:)))
        case .object(let members):
            var d = TemplateDict()
            for (k, v) in members { d[k] = TemplateValue(json: v) }
            self = .dict(d)
        }
    }
}
