import Foundation

/// A `{% for %}` statement as the renderer runs it: what each iteration binds and renders, and the
/// scope the statement is in (a recursive loop's `loop(children)` runs it again there).
struct TemplateLoopDefinition {
    /// What each item is bound to (`x`, or `k, v`).
    let target: TemplateTarget
    /// The `if` condition items must meet, if any.
    let filter: TemplateExpression?
    /// Rendered once per item.
    let body: [TemplateNode]
    /// The `else` body, rendered when no item is left.
    let otherwise: [TemplateNode]
    /// Whether the statement says `recursive` (only then is `loop(…)` callable).
    let recursive: Bool
    /// The scope the statement is in; each iteration's scope is a child of it.
    let scope: TemplateScope
    /// The scalar offset the statement starts at (for error messages).
    let offset: Int
}

/// jinja2's `LoopContext`, the `loop` variable: one object per run of a loop (one per
/// `loop(children)` call of a recursive loop), advanced in place each iteration as jinja2's is.
/// Attributes: `index0`, `index`, `revindex0`, `revindex`, `first`, `last`, `length`, `previtem`,
/// `nextitem` (undefined at the ends), `depth` / `depth0` (1 / 0, plus one per recursive call);
/// methods `cycle(a, b, …)` (the argument at `index0` modulo their count) and `changed(*values)`
/// (true when the values differ from the previous call's in this run, and on the first call);
/// calling `loop(items)` renders the loop over `items` one level deeper, only in a `recursive` loop.
/// Prints as `<LoopContext 2/3>`.
final class TemplateLoop {
    let definition: TemplateLoopDefinition
    /// The items after the loop's `if` filter.
    let items: [TemplateValue]
    /// 1 for the outermost run.
    let depth: Int
    /// The current iteration, from 0.
    var index0 = 0
    /// The values of the last `changed(…)` call in this run, `nil` before the first.
    var lastChanged: [TemplateValue]? = nil

    init(definition: TemplateLoopDefinition, items: [TemplateValue], depth: Int) {
        self.definition = definition
        self.items = items
        self.depth = depth
    }

    /// The attribute `name`, or the method `cycle` / `changed`; `nil` for any other name.
    func attribute(_ name: String) -> TemplateValue? {
        let n = items.count
        switch name {
        case "index0": return .int(index0)
        case "index": return .int(index0 + 1)
        case "revindex0": return .int(n - index0 - 1)
        case "revindex": return .int(n - index0)
        case "first": return .bool(index0 == 0)
        case "last": return .bool(index0 == n - 1)
        case "length": return .int(n)
        case "depth": return .int(depth)
        case "depth0": return .int(depth - 1)
        case "previtem": return index0 > 0 ? items[index0 - 1] : .undefined("there is no previous item")
        case "nextitem": return index0 < n - 1 ? items[index0 + 1] : .undefined("there is no next item")
        case "cycle", "changed": return .callable(.loopMethod(self, name))
        default: return nil
        }
    }
}

extension TemplateRenderer {
    /// Runs `definition` over `iterable` at `depth`: the filtered items (the `else` body when there
    /// are none), each bound to the target in a scope of its own with `loop` set.
    func runLoop(_ definition: TemplateLoopDefinition, over iterable: TemplateValue, depth: Int, iterableOffset: Int,
                 into out: inout String) throws {
        let offset = definition.offset
        var items = try iterate(iterable, at: iterableOffset)
        if let filter = definition.filter {
            var kept: [TemplateValue] = []
            for item in items {
                try countIteration(at: offset)
                let probe = TemplateScope(parent: definition.scope)
                try assign(definition.target, item, scope: probe, at: offset)
                if try evaluate(filter, probe).isTruthy { kept.append(item) }
            }
            items = kept
        }
        if items.isEmpty {
            _ = try render(definition.otherwise, scope: definition.scope, into: &out)
            return
        }
        let loop = TemplateLoop(definition: definition, items: items, depth: depth)
        for (i, item) in items.enumerated() {
            try countIteration(at: offset)
            loop.index0 = i
            let frame = TemplateScope(parent: definition.scope)
            try assign(definition.target, item, scope: frame, at: offset)
            frame.set("loop", .loop(loop))
            if try render(definition.body, scope: frame, into: &out) == .breakLoop { break }
        }
    }

    /// `loop(items)`: the recursive loop's text over `items`, one level deeper; bounded like
    /// macro calls (a loop calling itself on the same items would never end).
    func callLoop(_ loop: TemplateLoop, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)],
                  at offset: Int) throws -> TemplateValue {
        guard loop.definition.recursive else {
            throw TemplateFailure(offset: offset, detail: "The loop must have the 'recursive' marker to be called recursively.")
        }
        guard args.count == 1, kwargs.isEmpty else {
            throw TemplateFailure(offset: offset, detail: "loop() takes exactly one argument (the items), \(args.count + kwargs.count) given")
        }
        try enterCall("recursive loop calls", at: offset)
        defer { callDepth -= 1 }
        var text = ""
        try runLoop(loop.definition, over: args[0], depth: loop.depth + 1, iterableOffset: offset, into: &text)
        return .string(text)
    }

    /// `loop.cycle(…)` and `loop.changed(…)`.
    func callLoopMethod(_ loop: TemplateLoop, _ name: String, _ args: [TemplateValue], at offset: Int) throws -> TemplateValue {
        if name == "cycle" {
            if args.isEmpty { throw TemplateFailure(offset: offset, detail: "no items for cycling given") }
            return args[loop.index0 % args.count]
        }
        if let last = loop.lastChanged, last.count == args.count,
           try zip(last, args).allSatisfy({ try equals($0, $1, at: offset) }) {
            return .bool(false)
        }
        loop.lastChanged = args
        return .bool(true)
    }
}
