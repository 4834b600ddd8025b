import Foundation

/// Runs a parsed template: statements write to an output buffer, expressions evaluate to
/// ``TemplateValue``s with Python's and jinja2's semantics. Work is bounded by ``ChatTemplate/Limits``:
/// output and string size, loop iterations in total, and macro call depth.
final class TemplateRenderer {
    let limits: ChatTemplate.Limits
    /// The clock `strftime_now` reads.
    let now: Date
    /// Bytes written so far, over all buffers (the main output and macro bodies).
    private var written = 0
    /// Loop iterations so far, over all loops.
    private var iterations = 0
    /// Values inspected by ``checkStorable(_:in:at:)`` and ``equals(_:_:at:)`` so far.
    private var visits = 0
    /// Bytes of strings (and items of lists) built by operators, filters and calls so far: each may
    /// stay under the size limit while a loop builds terabytes in all.
    private var built = 0
    /// Macro calls in progress.
    var callDepth = 0

    init(limits: ChatTemplate.Limits, now: Date) {
        self.limits = limits
        self.now = now
    }

    /// How a statement list ended.
    enum Flow { case normal, breakLoop, continueLoop }

    /// Renders `nodes` in `scope`, appending to `out`.
    func render(_ nodes: [TemplateNode], scope: TemplateScope, into out: inout String) throws -> Flow {
        for node in nodes {
            switch node {
            case .text(let text):
                try write(text, into: &out, at: 0)
            case .output(let e):
                try write(try str(try evaluate(e, scope), at: e.offset), into: &out, at: e.offset)
            case .conditional(let branches, let otherwise):
                var taken = false
                for (condition, body) in branches where try evaluate(condition, scope).isTruthy {
                    taken = true
                    let flow = try render(body, scope: scope, into: &out)
                    if flow != .normal { return flow }
                    break
                }
                if !taken {
                    let flow = try render(otherwise, scope: scope, into: &out)
                    if flow != .normal { return flow }
                }
            case .loop(let target, let iterable, let filter, let body, let otherwise, let recursive, let offset):
                let definition = TemplateLoopDefinition(target: target, filter: filter, body: body, otherwise: otherwise,
                                                        recursive: recursive, scope: scope, offset: offset)
                try runLoop(definition, over: try evaluate(iterable, scope), depth: 1, iterableOffset: iterable.offset,
                            into: &out)
            case .assign(let target, let e, let offset):
                let value = try evaluate(e, scope)
                if case .attribute = target {} else { try checkStorable(value, in: .variable, at: offset) } // attributes: in assign
                try assign(target, value, scope: scope, at: offset)
            case .assignBlock(let name, let body):
                var text = ""
                _ = try render(body, scope: scope, into: &text)
                scope.set(name, .string(text))
            case .macro(let name, let parameters, let body):
                scope.set(name, .callable(.macro(TemplateMacro(name: name, parameters: parameters, body: body, scope: scope))))
            case .filterBlock(let filters, let body):
                var text = ""
                _ = try render(body, scope: scope, into: &text)
                var value = TemplateValue.string(text)
                for f in filters {
                    let (args, kwargs) = try evaluateArguments(f.arguments, scope)
                    value = try applyFilter(f.name, value, args, kwargs, at: f.offset)
                }
                try write(try str(value, at: filters.first?.offset ?? 0), into: &out, at: filters.first?.offset ?? 0)
            case .generation(let body):
                let flow = try render(body, scope: scope, into: &out)
                if flow != .normal { return flow }
            case .breakLoop:
                return .breakLoop
            case .continueLoop:
                return .continueLoop
            }
        }
        return .normal
    }

    /// Appends `text`, failing once the output limit is passed.
    func write(_ text: String, into out: inout String, at offset: Int) throws {
        written += text.utf8.count
        if written > limits.outputBytes {
            throw TemplateFailure(offset: offset, detail: "the rendered text exceeds \(limits.outputBytes) bytes")
        }
        out += text
    }

    /// Fails if a string of `bytes` bytes would exceed the output limit (checked before building it).
    func checkSize(_ bytes: Int, at offset: Int) throws {
        if bytes > limits.outputBytes {
            throw TemplateFailure(offset: offset, detail: "a string longer than \(limits.outputBytes) bytes")
        }
    }

    /// Fails if a list of `count` items would be longer than the loop budget (a list built with `+`
    /// or `*` could otherwise take gigabytes).
    func checkListSize(_ count: Int, at offset: Int) throws {
        if count > limits.loopIterations {
            throw TemplateFailure(offset: offset, detail: "a list longer than \(limits.loopIterations) items")
        }
    }

    /// Counts one loop iteration (or macro call) against the budget.
    func countIteration(at offset: Int) throws {
        iterations += 1
        if iterations > limits.loopIterations {
            throw TemplateFailure(offset: offset, detail: "more than \(limits.loopIterations) loop iterations and macro calls")
        }
    }

    /// Enters a macro or `loop(…)` call (`what` names them in the failure): counts it against the
    /// iteration budget (f calling f twice is 2^depth calls) and goes one level deeper, failing past
    /// `limits.callDepth` without doing so. The caller leaves with `defer { callDepth -= 1 }`.
    func enterCall(_ what: String, at offset: Int) throws {
        try countIteration(at: offset)
        if callDepth >= limits.callDepth {
            throw TemplateFailure(offset: offset, detail: "\(what) nested deeper than \(limits.callDepth) (runaway recursion?)")
        }
        callDepth += 1
    }

    /// Counts what `value`, just built by an operator, filter or call, holds against the budget of
    /// text built in one rendering (16 × the output limit): its UTF-8 bytes for a string, its items for
    /// a list. Returns `value`.
    func charge(_ value: TemplateValue, at offset: Int) throws -> TemplateValue {
        switch value {
        case .string(let s): built += s.utf8.count
        case .list(let items), .tuple(let items): built += items.count
        default: return value
        }
        if built > limits.outputBytes * 16 {
            throw TemplateFailure(offset: offset, detail: "too much text built (more than \(limits.outputBytes * 16) bytes in all)")
        }
        return value
    }

    /// Counts one value inspected against the work budget (16 per loop iteration allowed).
    func countVisit(at offset: Int) throws {
        visits += 1
        if visits > limits.loopIterations * 16 {
            throw TemplateFailure(offset: offset, detail: "too much work (more than \(limits.loopIterations * 16) values inspected)")
        }
    }

    /// Where a value is stored, for ``checkStorable(_:in:at:)``'s messages.
    enum Store: String {
        case namespace = "stored in a namespace"
        case variable = "assigned to a variable"
        case argument = "passed to a macro"
    }

    /// A value that outlives the expression that built it (a namespace attribute across loop
    /// iterations, a `{% set %}` variable across statements, a macro argument across calls) is where
    /// a template could nest lists without bound — deep enough to overflow the stack when printed,
    /// compared or freed: its nesting is limited (`limits.nesting`), and a namespace may not hold a
    /// namespace (no cycles). The values visited count against the work budget.
    func checkStorable(_ value: TemplateValue, in store: Store = .namespace, at offset: Int) throws {
        var stack: [(TemplateValue, Int)] = [(value, 1)]
        while let (v, level) = stack.popLast() {
            try countVisit(at: offset)
            switch v {
            case .list(let items), .tuple(let items):
                if level > limits.nesting { throw TemplateFailure(offset: offset, detail: "a value nested deeper than \(limits.nesting) \(store.rawValue)") }
                stack += items.map { ($0, level + 1) }
            case .dict(let d):
                if level > limits.nesting { throw TemplateFailure(offset: offset, detail: "a value nested deeper than \(limits.nesting) \(store.rawValue)") }
                stack += d.items.map { ($0.1, level + 1) }
            case .dictView(let v):
                stack.append((.dict(v.dict), level))
            case .namespace where store == .namespace:
                throw TemplateFailure(offset: offset, detail: "storing a namespace inside a namespace is not supported")
            default:
                break
            }
        }
    }

    /// The items a `for` loop visits: a list's or tuple's items, a dict's keys, a dict view's
    /// elements, a string's characters;
    /// nothing for an undefined value (jinja2's `Undefined` iterates as empty).
    func iterate(_ value: TemplateValue, at offset: Int) throws -> [TemplateValue] {
        switch value {
        case .list(let items), .tuple(let items): return items
        case .dictView(let v): return v.elements
        case .dict(let d): return d.keys.map { .string($0) }
        case .string(let s): return s.unicodeScalars.map { .string(String($0)) }
        case .undefined: return []
        case .namespace(let ns): return ns.attributes.keys.map { .string($0) }
        default: throw TemplateFailure(offset: offset, detail: "'\(value.typeName)' object is not iterable")
        }
    }

    /// `{% set %}` and loop targets: binds a name, unpacks into names, or sets a namespace attribute.
    func assign(_ target: TemplateTarget, _ value: TemplateValue, scope: TemplateScope, at offset: Int) throws {
        switch target {
        case .name(let name):
            scope.set(name, value)
        case .tuple(let names):
            let parts = try iterate(value, at: offset)
            guard parts.count == names.count else {
                throw TemplateFailure(offset: offset, detail: "cannot unpack \(parts.count) values into \(names.count) names")
            }
            for (name, part) in zip(names, parts) { scope.set(name, part) }
        case .attribute(let name, let attribute):
            guard case .namespace(let ns)? = scope.lookup(name) else {
                throw TemplateFailure(offset: offset, detail: "cannot assign attribute on non-namespace object '\(name)'")
            }
            try checkStorable(value, at: offset)
            ns.attributes[attribute] = value
        }
    }
}
