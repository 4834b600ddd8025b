import Foundation

/// The jinja2 tests (`x is defined`, `x is string`, …). A test not listed here is an error when
/// the template is parsed, as in jinja2 — in conditional code only when that code runs, as jinja2
/// defers it there.
extension TemplateRenderer {
    static let testNames: Set<String> = [
        "defined", "undefined", "none", "string", "mapping", "sequence", "iterable", "number", "integer", "float",
        "true", "false", "boolean", "in", "eq", "equalto", "==", "ne", "!=", "lt", "lessthan", "<", "le", "<=", "gt",
        "greaterthan", ">", "ge", ">=", "odd", "even", "divisibleby", "lower", "upper", "callable", "sameas",
    ]

    /// The message for a test that is not available (`escaped`, `filter`, `test` are jinja2's but not here).
    static func unknownTest(_ name: String) -> String {
        ["escaped", "filter", "test"].contains(name) ? "the jinja2 test '\(name)' is not supported" : "no test named '\(name)'"
    }

    /// `value is name(args)`; an unknown name fails here (it was deferred from parsing).
    func applyTest(_ name: String, _ value: TemplateValue, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)],
                   at offset: Int) throws -> Bool {
        let other = args.first ?? kwargs.first?.1 ?? .undefined("the test '\(name)' needs an argument")
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": return value.isString
        case "mapping": if case .dict = value { return true } else { return false }
        case "sequence", "iterable":
            switch value {
            case .string, .list, .tuple, .dict: return true
            case .dictView: return name == "iterable" // no __getitem__
            case .undefined: return name == "iterable"
            default: return false
            }
        case "number": if case .int = value { return true }; if case .double = value { return true }; if case .bool = value { return true }; return false
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "callable":
            switch value {
            case .callable, .loop: return true
            default: return false
            }
        case "in": return try contains(other, value, at: offset)
        case "eq", "equalto", "==": return try equals(value, other, at: offset)
        case "ne", "!=": return !(try equals(value, other, at: offset))
        case "sameas":
            switch (value, other) {
            case (.none, .none): return true
            case (.bool(let a), .bool(let b)): return a == b
            default: return false
            }
        case "lt", "lessthan", "<": return try compare("<", value, other, at: offset)
        case "le", "<=": return try compare("<=", value, other, at: offset)
        case "gt", "greaterthan", ">": return try compare(">", value, other, at: offset)
        case "ge", ">=": return try compare(">=", value, other, at: offset)
        case "odd", "even", "divisibleby":
            guard let x = value.integerValue else { throw TemplateFailure(offset: offset, detail: "the test '\(name)' needs an integer") }
            if name == "odd" { return x % 2 != 0 }
            if name == "even" { return x % 2 == 0 }
            guard let y = other.integerValue, y != 0 else { throw TemplateFailure(offset: offset, detail: "divisibleby needs a nonzero integer") }
            return y == -1 || x % y == 0 // Int.min % -1 traps
        case "lower", "upper":
            let text = try str(value, at: offset)
            return (name == "lower" ? text.lowercased() : text.uppercased()) == text
        default: throw TemplateFailure(offset: offset, detail: Self.unknownTest(name))
        }
    }
}
