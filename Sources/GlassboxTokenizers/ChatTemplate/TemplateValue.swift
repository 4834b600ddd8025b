import Foundation

/// A value a chat template computes with, as Python and jinja2 see it: `undefined` is jinja2's
/// `Undefined` (renders as '', is falsy, fails on arithmetic and attribute access), dictionaries keep
/// their insertion order and have string keys, strings compare and index by Unicode scalar
/// (Python's code points).
indirect enum TemplateValue {
    /// A name or member that does not exist; the payload names it for error messages.
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    /// A Python list.
    case list([TemplateValue])
    /// A Python tuple (`(1, 'a')`, `a, b`, the pairs of `items()`): read like a list, but printed
    /// in parentheses and never equal to a list.
    case tuple([TemplateValue])
    /// A Python dict with string keys in insertion order.
    case dict(TemplateDict)
    /// A view of a dict (`d.items()`, `d.keys()`, `d.values()`: Python's `dict_items`, …), see
    /// ``TemplateDictView``.
    case dictView(TemplateDictView)
    /// A `namespace(…)` object: the one mutable value (`{% set ns.x = … %}`).
    case namespace(TemplateNamespace)
    /// A macro, a global function or a bound method.
    case callable(TemplateCallable)
    /// The `loop` variable of a `for` iteration (jinja2's `LoopContext`), see ``TemplateLoop``.
    case loop(TemplateLoop)

    /// Python's truth value (`Undefined` is false).
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: false
        case .bool(let b): b
        case .int(let i): i != 0
        case .double(let d): d != 0
        case .string(let s): !s.isEmpty
        case .list(let l), .tuple(let l): !l.isEmpty
        case .dict(let d): !d.isEmpty
        case .dictView(let v): !v.dict.isEmpty
        case .namespace, .callable, .loop: true
        }
    }

    var isUndefined: Bool { if case .undefined = self { true } else { false } }

    /// Python's type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: "Undefined"
        case .none: "NoneType"
        case .bool: "bool"
        case .int: "int"
        case .double: "float"
        case .string: "str"
        case .list: "list"
        case .tuple: "tuple"
        case .dict: "dict"
        case .dictView(let v): v.kind.rawValue
        case .namespace: "Namespace"
        case .callable: "function"
        case .loop: "LoopContext"
        }
    }
}

/// A dictionary with string keys in insertion order (Python's `dict`). Keys compare by code point
/// (UTF-8 bytes), as Python's do; small dictionaries (messages, `loop`) are searched linearly, larger
/// ones through an index.
struct TemplateDict {
    private var entries: [(key: String, value: TemplateValue)] = []
    /// Positions of the keys, built once the dictionary passes `indexThreshold` entries.
    private var index: [String: [Int]]? = nil
    private static let indexThreshold = 16

    init() {}

    init(_ pairs: [(String, TemplateValue)]) {
        for (k, v) in pairs { self[k] = v }
    }

    /// A dictionary of `pairs` whose keys are known to be distinct (no duplicate checks).
    init(distinct pairs: KeyValuePairs<String, TemplateValue>) {
        entries = pairs.map { ($0.key, $0.value) }
        if entries.count > Self.indexThreshold { rebuildIndex() }
    }

    /// The keys in insertion order.
    var keys: [String] { entries.map(\.key) }
    var count: Int { entries.count }
    var isEmpty: Bool { entries.isEmpty }

    /// The index of `key` in `entries`, comparing code points.
    private func position(_ key: String) -> Int? {
        if let index {
            return index[key]?.first { entries[$0].key.utf8.elementsEqual(key.utf8) }
        }
        return entries.firstIndex { $0.key.utf8.elementsEqual(key.utf8) }
    }

    /// Rebuilds the key index from `entries`.
    private mutating func rebuildIndex() {
        var built: [String: [Int]] = [:]
        for (i, e) in entries.enumerated() { built[e.key, default: []].append(i) }
        index = built
    }

    /// The value of `key`, `nil` if absent; setting appends a new key or replaces in place.
    subscript(key: String) -> TemplateValue? {
        get { position(key).map { entries[$0].value } }
        set {
            if let i = position(key) {
                if let newValue { entries[i].value = newValue } else {
                    entries.remove(at: i)
                    index = nil
                    if entries.count > Self.indexThreshold { rebuildIndex() }
                }
            } else if let newValue {
                entries.append((key, newValue))
                if index != nil { index![key, default: []].append(entries.count - 1) }
                else if entries.count > Self.indexThreshold { rebuildIndex() }
            }
        }
    }

    /// The (key, value) pairs in order.
    var items: [(String, TemplateValue)] { entries.map { ($0.key, $0.value) } }
}

/// The shared, mutable attribute store of a `namespace(…)` value.
final class TemplateNamespace {
    var attributes: TemplateDict
    init(_ attributes: TemplateDict) { self.attributes = attributes }
}

/// Something a template can call: a macro, one of the globals (`namespace`, `range`,
/// `raise_exception`, `strftime_now`), a method bound to its receiver (`s.strip`) or a loop's
/// `cycle` / `changed`.
enum TemplateCallable {
    case macro(TemplateMacro)
    case global(String)
    case method(receiver: TemplateValue, name: String)
    /// `loop.cycle` or `loop.changed` of a loop.
    case loopMethod(TemplateLoop, String)
}

/// A `{% macro %}`: its parameters with default expressions, its body, and the scope it was
/// defined in (macros see the variables of that scope when called).
final class TemplateMacro {
    let name: String
    let parameters: [(name: String, defaultValue: TemplateExpression?)]
    let body: [TemplateNode]
    let scope: TemplateScope

    init(name: String, parameters: [(name: String, defaultValue: TemplateExpression?)], body: [TemplateNode],
         scope: TemplateScope) {
        self.name = name
        self.parameters = parameters
        self.body = body
        self.scope = scope
    }
}

/// A frame of variables: the template's top level, one loop iteration or one macro call. Lookups
/// walk outwards; `{% set %}` writes to the innermost frame (so a loop's assignments do not leak
/// out, as in jinja2).
final class TemplateScope {
    /// The frame's bindings (few: a loop's target and `loop`, a macro's parameters).
    private var variables: [(name: String, value: TemplateValue)] = []
    let parent: TemplateScope?

    init(parent: TemplateScope?) { self.parent = parent }

    /// The value of `name` in this frame or the nearest enclosing one, `nil` if none has it.
    func lookup(_ name: String) -> TemplateValue? {
        var scope: TemplateScope? = self
        while let s = scope {
            if let v = s.variables.last(where: { $0.name == name })?.value { return v }
            scope = s.parent
        }
        return nil
    }

    /// Binds `name` in this frame.
    func set(_ name: String, _ value: TemplateValue) {
        if let i = variables.firstIndex(where: { $0.name == name }) { variables[i].value = value } else { variables.append((name, value)) }
    }
}
