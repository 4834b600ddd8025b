/// One instruction of a compiled regex (a backtracking program, as Oniguruma runs it: the first
/// alternative that leads to a match wins; greedy loops try the longest repetition first).
enum RegexOp: Sendable {
    case scalar(Unicode.Scalar)
    /// A scalar compared after case folding (`(?i)`).
    case foldedScalar(UInt32)
    case set(Int)
    /// A repetition of one scalar class, run as a counted loop.
    case repeatSet(set: Int, min: Int, max: Int, mode: RepetitionMode)
    /// Continue at the first target; on failure, at the second.
    case split(Int, Int)
    case jump(Int)
    case assert(RegexAssertion)
    /// Run sub-program `program` here (lookahead) or ending here (lookbehind of one of `lengths`).
    case look(program: Int, ahead: Bool, negate: Bool, lengths: [Int])
    /// Run sub-program `program` and keep only its first match (atomic group).
    case atomic(program: Int)
    /// Remember the position in register `r` (undone on backtracking).
    case mark(Int)
    /// Fail if no scalar was consumed since `mark(r)` (stops empty loops).
    case checkProgress(Int)
    case match
}

/// A compiled regex: program 0 is the pattern, the others lookarounds and atomic groups.
struct CompiledRegex: Sendable {
    var programs: [[RegexOp]] = []
    var sets: [ScalarClass] = []
    var registers = 0

    /// Whether the backtracking engine never backtracks on this pattern: no alternatives, every
    /// variable repeat last, lookarounds of fixed scalars only (`\s+`, `\p{L}+`, `'s`). Such a
    /// search costs one pass over what it reads, and the engine is cheaper than the automaton.
    var neverBacktracks: Bool {
        guard let main = programs.first else { return false }
        for (pc, op) in main.enumerated() {
            switch op {
            case .scalar, .foldedScalar, .set, .assert, .match: continue
            case .repeatSet(_, let min, let max, _):
                if min != max, pc + 1 < main.count, case .match = main[pc + 1] { continue }
                if min != max { return false }
            case .look(let sub, _, _, _):
                let fixed = programs[sub].allSatisfy {
                    switch $0 {
                    case .scalar, .foldedScalar, .set, .match: true
                    default: false
                    }
                }
                if !fixed { return false }
            case .split, .jump, .atomic, .mark, .checkProgress: return false
            }
        }
        return true
    }
}

/// Compiles a `RegexNode` into `CompiledRegex` programs.
struct RegexCompiler {
    private var result = CompiledRegex()
    private let pattern: String
    private var emitted = 0

    static func compile(_ node: RegexNode, pattern: String) throws -> CompiledRegex {
        var compiler = RegexCompiler(pattern: pattern)
        _ = try compiler.program(node)
        return compiler.result
    }

    private init(pattern: String) { self.pattern = pattern }

    private mutating func program(_ node: RegexNode) throws -> Int {
        let index = result.programs.count
        result.programs.append([])
        var ops: [RegexOp] = []
        try emit(node, into: &ops)
        ops.append(.match)
        result.programs[index] = ops
        return index
    }

    private mutating func addSet(_ set: ScalarClass) -> Int {
        result.sets.append(set)
        return result.sets.count - 1
    }

    private mutating func emit(_ node: RegexNode, into ops: inout [RegexOp]) throws {
        emitted += 1
        if emitted > 100_000 { throw TokenizerError.invalidRegex(pattern: pattern, detail: "the pattern expands to too many instructions") }
        switch node {
        case .empty: break
        case .scalar(let s, let ci):
            if ci && !CaseFolding.variants(of: s).isEmpty { ops.append(.foldedScalar(CaseFolding.fold(s))) } else { ops.append(.scalar(s)) }
        case .set(let set): ops.append(.set(addSet(set)))
        case .concat(let items): for item in items { try emit(item, into: &ops) }
        case .alternation(let branches):
            var jumpsToEnd: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k < branches.count - 1 {
                    let split = ops.count
                    ops.append(.split(split + 1, -1))
                    try emit(branch, into: &ops)
                    jumpsToEnd.append(ops.count)
                    ops.append(.jump(-1))
                    ops[split] = .split(split + 1, ops.count)
                } else {
                    try emit(branch, into: &ops)
                }
            }
            for j in jumpsToEnd { ops[j] = .jump(ops.count) }
        case .repetition(let inner, let min, let max, let mode):
            try emitRepetition(inner, min: min, max: max, mode: mode, into: &ops)
        case .assertion(let a): ops.append(.assert(a))
        case .look(let inner, let ahead, let negate):
            var lengths: [Int] = []
            if !ahead {
                guard let set = Self.lengths(of: inner), set.count <= 64 else {
                    throw TokenizerError.invalidRegex(pattern: pattern, detail: "a lookbehind must have a bounded, fixed set of lengths")
                }
                lengths = set.sorted()
            }
            let sub = try program(inner)
            ops.append(.look(program: sub, ahead: ahead, negate: negate, lengths: lengths))
        case .atomic(let inner):
            ops.append(.atomic(program: try program(inner)))
        }
    }

    private mutating func emitRepetition(_ inner: RegexNode, min: Int, max: Int?, mode: RepetitionMode,
                                         into ops: inout [RegexOp]) throws {
        if let set = singleScalarClass(inner) {
            ops.append(.repeatSet(set: addSet(set), min: min, max: max ?? Int.max, mode: mode))
            return
        }
        if mode == .possessive {
            ops.append(.atomic(program: try program(.repetition(inner, min: min, max: max, mode: .greedy))))
            return
        }
        for _ in 0..<min { try emit(inner, into: &ops) }
        let lazy = mode == .lazy
        guard let max else {
            // loop: split(body, exit) body jump loop — with a progress check if the body can be empty.
            let nullable = Self.canMatchEmpty(inner)
            let register = result.registers
            if nullable { result.registers += 1 }
            let loop = ops.count
            ops.append(.split(-1, -1))
            let body = ops.count
            if nullable { ops.append(.mark(register)) }
            try emit(inner, into: &ops)
            if nullable { ops.append(.checkProgress(register)) }
            ops.append(.jump(loop))
            ops[loop] = lazy ? .split(ops.count, body) : .split(body, ops.count)
            return
        }
        var splits: [Int] = []
        for _ in min..<Swift.max(min, max) {
            splits.append(ops.count)
            ops.append(.split(-1, -1))
            try emit(inner, into: &ops)
        }
        for s in splits { ops[s] = lazy ? .split(ops.count, s + 1) : .split(s + 1, ops.count) }
    }

    /// The class matched by a node that always consumes exactly one scalar.
    private func singleScalarClass(_ node: RegexNode) -> ScalarClass? {
        switch node {
        case .scalar(let s, let ci): ScalarClass(items: [.range(s.value...s.value)], caseInsensitive: ci)
        case .set(let set): set
        default: nil
        }
    }

    static func canMatchEmpty(_ node: RegexNode) -> Bool {
        switch node {
        case .empty, .assertion, .look: true
        case .scalar, .set: false
        case .concat(let items): items.allSatisfy(canMatchEmpty)
        case .alternation(let branches): branches.contains(where: canMatchEmpty)
        case .repetition(let inner, let min, _, _): min == 0 || canMatchEmpty(inner)
        case .atomic(let inner): canMatchEmpty(inner)
        }
    }

    /// Every length (in scalars) a node can match, `nil` if unbounded or too many.
    static func lengths(of node: RegexNode) -> Set<Int>? {
        switch node {
        case .empty, .assertion, .look: return [0]
        case .scalar, .set: return [1]
        case .atomic(let inner): return lengths(of: inner)
        case .concat(let items):
            var acc: Set<Int> = [0]
            for item in items {
                guard let l = lengths(of: item) else { return nil }
                acc = Set(acc.flatMap { a in l.map { a + $0 } })
                if acc.count > 64 { return nil }
            }
            return acc
        case .alternation(let branches):
            var acc: Set<Int> = []
            for b in branches {
                guard let l = lengths(of: b) else { return nil }
                acc.formUnion(l)
            }
            return acc
        case .repetition(let inner, let min, let max, _):
            guard let max, max <= 64, let l = lengths(of: inner) else { return nil }
            var acc: Set<Int> = []
            for n in min...max {
                var cur: Set<Int> = [0]
                for _ in 0..<n { cur = Set(cur.flatMap { a in l.map { a + $0 } }) }
                acc.formUnion(cur)
                if acc.count > 64 { return nil }
            }
            return acc
        }
    }
}
