import Foundation

/// Expression evaluation: names, literals, member access, calls, filters, tests, operators.
extension TemplateRenderer {
    /// The global functions of transformers' environment (jinja2's `range`, `dict`, `namespace`
    /// plus transformers' `raise_exception` and `strftime_now`).
    static let globals: Set<String> = ["range", "dict", "namespace", "raise_exception", "strftime_now"]

    /// The value of `e` in `scope`.
    func evaluate(_ e: TemplateExpression, _ scope: TemplateScope) throws -> TemplateValue {
        switch e.kind {
        case .literal(let v):
            return v
        case .name(let name):
            if let v = scope.lookup(name) { return v }
            if Self.globals.contains(name) { return .callable(.global(name)) }
            return .undefined("'\(name)' is undefined")
        case .list(let items):
            return .list(try items.map { try evaluate($0, scope) })
        case .tuple(let items):
            return .tuple(try items.map { try evaluate($0, scope) })
        case .dict(let pairs):
            var d = TemplateDict()
            for (k, v) in pairs {
                guard case .string(let key) = try evaluate(k, scope) else {
                    throw TemplateFailure(offset: k.offset, detail: "dict literal keys must be strings here")
                }
                d[key] = try evaluate(v, scope)
            }
            return .dict(d)
        case .attribute(let base, let name):
            return try attribute(try evaluate(base, scope), name, at: e.offset)
        case .item(let base, let index):
            return try item(try evaluate(base, scope), try evaluate(index, scope), at: e.offset)
        case .slice(let base, let start, let stop, let step):
            func bound(_ x: TemplateExpression?) throws -> Int? {
                guard let x else { return nil }
                switch try evaluate(x, scope) {
                case .none: return nil
                case .int(let i): return i
                case .bool(let b): return b ? 1 : 0
                default: throw TemplateFailure(offset: x.offset, detail: "slice indices must be integers or None")
                }
            }
            return try slice(try evaluate(base, scope), try bound(start), try bound(stop), try bound(step), at: e.offset)
        case .call(let callee, let arguments):
            let f = try evaluate(callee, scope)
            let (args, kwargs) = try evaluateArguments(arguments, scope)
            return try charge(try call(f, args, kwargs, at: e.offset), at: e.offset)
        case .filter(let base, let name, let arguments):
            let value = try evaluate(base, scope)
            let (args, kwargs) = try evaluateArguments(arguments, scope)
            return try charge(try applyFilter(name, value, args, kwargs, at: e.offset), at: e.offset)
        case .test(let base, let name, let arguments, let negated):
            let value = try evaluate(base, scope)
            let (args, kwargs) = try evaluateArguments(arguments, scope)
            let result = try applyTest(name, value, args, kwargs, at: e.offset)
            return .bool(negated ? !result : result)
        case .not(let x):
            return .bool(!(try evaluate(x, scope).isTruthy))
        case .negate(let x):
            switch try evaluate(x, scope) {
            case .int(let i): return .int(try checked(0.subtractingReportingOverflow(i), at: e.offset))
            case .bool(let b): return .int(b ? -1 : 0)
            case .double(let d): return .double(-d)
            case .undefined(let why): throw TemplateFailure(offset: x.offset, detail: why)
            case let v: throw TemplateFailure(offset: e.offset, detail: "bad operand type for unary -: '\(v.typeName)'")
            }
        case .plus(let x):
            switch try evaluate(x, scope) {
            case .int, .double, .bool: return try evaluate(x, scope)
            case .undefined(let why): throw TemplateFailure(offset: x.offset, detail: why)
            case let v: throw TemplateFailure(offset: e.offset, detail: "bad operand type for unary +: '\(v.typeName)'")
            }
        case .and(let a, let b):
            let left = try evaluate(a, scope)
            return left.isTruthy ? try evaluate(b, scope) : left
        case .or(let a, let b):
            let left = try evaluate(a, scope)
            return left.isTruthy ? left : try evaluate(b, scope)
        case .binary(let op, let a, let b):
            return try charge(try binary(op, try evaluate(a, scope), try evaluate(b, scope), at: e.offset), at: e.offset)
        case .compare(let first, let rest):
            var left = try evaluate(first, scope)
            for (op, x) in rest {
                let right = try evaluate(x, scope)
                if !(try compare(op, left, right, at: x.offset)) { return .bool(false) }
                left = right
            }
            return .bool(true)
        case .conditional(let condition, let then, let otherwise):
            if try evaluate(condition, scope).isTruthy { return try evaluate(then, scope) }
            guard let otherwise else { return .undefined("the inline if expression evaluated to false and no else section was defined") }
            return try evaluate(otherwise, scope)
        }
    }

    /// An overflow-checked result, or an "integer overflow" failure.
    func checked(_ r: (partialValue: Int, overflow: Bool), at offset: Int) throws -> Int {
        if r.overflow { throw TemplateFailure(offset: offset, detail: "integer overflow") }
        return r.partialValue
    }

    /// The positional and keyword argument values of a call.
    func evaluateArguments(_ arguments: TemplateArguments, _ scope: TemplateScope) throws
        -> ([TemplateValue], [(String, TemplateValue)]) {
        (try arguments.positional.map { try evaluate($0, scope) },
         try arguments.keywords.map { ($0.0, try evaluate($0.1, scope)) })
    }

    /// jinja2's `getattr`: a method of the value, else the item `name`, else undefined
    /// (an attribute of an undefined value is an error, as jinja2 raises).
    func attribute(_ value: TemplateValue, _ name: String, at offset: Int) throws -> TemplateValue {
        if case .undefined(let why) = value { throw TemplateFailure(offset: offset, detail: why) }
        if TemplateMethods.has(value, name) { return .callable(.method(receiver: value, name: name)) }
        switch value {
        case .dict(let d): if let v = d[name] { return v }
        case .dictView(let v): if name == "mapping" { return .dict(v.dict) }
        case .loop(let loop): if let v = loop.attribute(name) { return v }
        case .namespace(let ns): if let v = ns.attributes[name] { return v }
        default: break
        }
        return .undefined("'\(value.objectName)' has no attribute '\(name)'")
    }

    /// jinja2's `getitem`: the item (list index, dict key, string character), else the attribute
    /// named by a string key, else undefined.
    func item(_ value: TemplateValue, _ key: TemplateValue, at offset: Int) throws -> TemplateValue {
        if case .undefined(let why) = value { throw TemplateFailure(offset: offset, detail: why) }
        switch (value, key) {
        case (.dict(let d), .string(let k)):
            if let v = d[k] { return v }
        case (.namespace(let ns), .string(let k)):
            if let v = ns.attributes[k] { return v }
        case (.loop(let loop), .string(let k)):
            if let v = loop.attribute(k) { return v }
        case (.list(let items), .int(let i)), (.tuple(let items), .int(let i)):
            let j = i < 0 ? i + items.count : i
            if j >= 0, j < items.count { return items[j] }
        case (.string(let s), .int(let i)):
            let scalars = Array(s.unicodeScalars)
            let j = i < 0 ? i + scalars.count : i
            if j >= 0, j < scalars.count { return .string(String(scalars[j])) }
        default: break
        }
        if case .string(let name) = key, TemplateMethods.has(value, name) {
            return .callable(.method(receiver: value, name: name))
        }
        if case .string(let name) = key { return .undefined("'\(value.objectName)' has no attribute '\(name)'") }
        return .undefined("'\(value.objectName)' has no element \(key.shortRepr)")
    }

    /// Python slicing of a list, tuple or string (negative indices and steps included).
    func slice(_ value: TemplateValue, _ start: Int?, _ stop: Int?, _ step: Int?, at offset: Int) throws -> TemplateValue {
        let step = step ?? 1
        if step == 0 { throw TemplateFailure(offset: offset, detail: "slice step cannot be zero") }
        func indices(_ n: Int) -> [Int] {
            func clamp(_ i: Int?, _ dflt: Int, low: Int, high: Int) -> Int {
                guard var i else { return dflt }
                if i < 0 { i += n }
                return min(max(i, low), high)
            }
            if step > 0 {
                let a = clamp(start, 0, low: 0, high: n), b = clamp(stop, n, low: 0, high: n)
                return a < b ? Array(stride(from: a, to: b, by: step)) : []
            }
            let a = clamp(start, n - 1, low: -1, high: n - 1), b = clamp(stop, -1, low: -1, high: n - 1)
            return a > b ? Array(stride(from: a, to: b, by: step)) : []
        }
        switch value {
        case .list(let items): return .list(indices(items.count).map { items[$0] })
        case .tuple(let items): return .tuple(indices(items.count).map { items[$0] })
        case .string(let s):
            let scalars = Array(s.unicodeScalars)
            var out = String.UnicodeScalarView()
            for i in indices(scalars.count) { out.append(scalars[i]) }
            return .string(String(out))
        case .undefined(let why): throw TemplateFailure(offset: offset, detail: why)
        default: throw TemplateFailure(offset: offset, detail: "'\(value.typeName)' object is not subscriptable")
        }
    }

    /// Calls a macro, a global or a bound method.
    func call(_ f: TemplateValue, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)], at offset: Int) throws -> TemplateValue {
        switch f {
        case .callable(.macro(let macro)): return try callMacro(macro, args, kwargs, at: offset)
        case .callable(.global(let name)): return try callGlobal(name, args, kwargs, at: offset)
        case .callable(.method(let receiver, let name)):
            return try TemplateMethods.call(receiver, name, args, kwargs, renderer: self, at: offset)
        case .callable(.loopMethod(let loop, let name)): return try callLoopMethod(loop, name, args, at: offset)
        case .loop(let loop): return try callLoop(loop, args, kwargs, at: offset)
        case .undefined(let why): throw TemplateFailure(offset: offset, detail: why)
        default: throw TemplateFailure(offset: offset, detail: "'\(f.typeName)' object is not callable")
        }
    }

    /// Renders a macro body with the arguments bound (defaults evaluated in the call frame).
    private func callMacro(_ macro: TemplateMacro, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)],
                           at offset: Int) throws -> TemplateValue {
        try enterCall("macro calls", at: offset)
        defer { callDepth -= 1 }
        if args.count > macro.parameters.count {
            throw TemplateFailure(offset: offset, detail: "macro '\(macro.name)' takes not more than \(macro.parameters.count) argument(s)")
        }
        let frame = TemplateScope(parent: macro.scope)
        var given: [String: TemplateValue] = [:]
        for (k, v) in kwargs {
            guard macro.parameters.contains(where: { $0.name == k }) else {
                throw TemplateFailure(offset: offset, detail: "macro '\(macro.name)' takes no keyword argument '\(k)'")
            }
            given[k] = v
        }
        for (i, p) in macro.parameters.enumerated() {
            if i < args.count {
                try checkStorable(args[i], in: .argument, at: offset)
                frame.set(p.name, args[i])
            } else if let v = given[p.name] {
                try checkStorable(v, in: .argument, at: offset)
                frame.set(p.name, v)
            } else if let d = p.defaultValue {
                frame.set(p.name, try evaluate(d, frame))
            } else {
                frame.set(p.name, .undefined("parameter '\(p.name)' was not provided"))
            }
        }
        var text = ""
        _ = try render(macro.body, scope: frame, into: &text)
        return .string(text)
    }

    /// `raise_exception`, `strftime_now`, `namespace`, `dict` or `range`.
    private func callGlobal(_ name: String, _ args: [TemplateValue], _ kwargs: [(String, TemplateValue)],
                            at offset: Int) throws -> TemplateValue {
        switch name {
        case "raise_exception":
            throw TemplateFailure(offset: offset, detail: "the template raised an exception: \(try str(args.first ?? .string(""), at: offset))")
        case "strftime_now":
            guard case .string(let format)? = args.first else {
                throw TemplateFailure(offset: offset, detail: "strftime_now() needs a format string")
            }
            return .string(PythonStrftime.format(format, now))
        case "namespace", "dict":
            var d = TemplateDict()
            for a in args {
                guard case .dict(let given) = a else { throw TemplateFailure(offset: offset, detail: "\(name)() takes keyword arguments or a dict") }
                for (k, v) in given.items { d[k] = v }
            }
            for (k, v) in kwargs { d[k] = v }
            return name == "dict" ? .dict(d) : .namespace(TemplateNamespace(d))
        default: // range
            var bounds: [Int] = []
            for a in args {
                switch a {
                case .int(let i): bounds.append(i)
                case .bool(let b): bounds.append(b ? 1 : 0)
                default: throw TemplateFailure(offset: offset, detail: "range() arguments must be integers")
                }
            }
            let (start, stop, step): (Int, Int, Int)
            switch bounds.count {
            case 1: (start, stop, step) = (0, bounds[0], 1)
            case 2: (start, stop, step) = (bounds[0], bounds[1], 1)
            case 3: (start, stop, step) = (bounds[0], bounds[1], bounds[2])
            default: throw TemplateFailure(offset: offset, detail: "range() takes 1 to 3 arguments")
            }
            if step == 0 { throw TemplateFailure(offset: offset, detail: "range() step must not be zero") }
            // The span between two Ints fits in a UInt; count = ceil(span / |step|), in integers.
            let ascending = step > 0
            let span: UInt = ascending ? (stop > start ? UInt(bitPattern: stop &- start) : 0)
                                       : (start > stop ? UInt(bitPattern: start &- stop) : 0)
            let count = span == 0 ? 0 : (span - 1) / step.magnitude + 1
            if count > 100_000 {
                throw TemplateFailure(offset: offset, detail: "range too big: the sandbox blocks ranges larger than 100000")
            }
            // Each value lies between start and stop; only the step past the last may wrap (unused).
            var values: [TemplateValue] = []
            values.reserveCapacity(Int(count))
            var v = start
            for _ in 0..<Int(count) {
                values.append(.int(v))
                v = v &+ step
            }
            return .list(values)
        }
    }
}
