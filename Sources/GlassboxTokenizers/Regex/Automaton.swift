/// One instruction of a regex automaton (a Thompson NFA, run by `AutomatonMatcher`). Only the
/// consuming instructions and `match` are ever threads; the others are followed while a thread is
/// added, at the position it is added at.
enum AutomatonOp: Sendable {
    case scalar(Unicode.Scalar)
    /// A scalar compared after case folding (`(?i)`).
    case foldedScalar(UInt32)
    case set(Int)
    /// Continue at both targets, the first with priority.
    case split(Int, Int)
    case jump(Int)
    case assert(RegexAssertion)
    /// A lookaround whose body is a fixed sequence of scalar classes, checked in place.
    case peek(Int)
    /// A dead end (an empty iteration of a loop).
    case fail
    case match
}

/// A lookaround of fixed length: `(?!\S)`, `(?=[aeiou])`, `(?<=\s)`, `(?<!\p{L})` — the scalars
/// just after (or just before) the position must (or, negated, must not) be in `classes`, in order.
struct PeekAssertion: Sendable {
    var classes: [ScalarClass]
    var ahead: Bool
    var negate: Bool

    func holds(in text: UnsafeBufferPointer<Unicode.Scalar>, at pos: Int) -> Bool {
        let start = ahead ? pos : pos - classes.count
        var found = start >= 0 && start + classes.count <= text.count
        if found {
            for (k, set) in classes.enumerated() where !set.contains(text[start + k]) {
                found = false
                break
            }
        }
        return found != negate
    }
}

/// A pattern compiled to a Thompson NFA. The matcher keeps at most one thread per instruction,
/// so a search costs O(text × instructions) whatever the pattern — nested quantifiers such as
/// `(a+)+$` cannot blow up. The threads are kept in priority order, so the match found is the one
/// a backtracking engine (Oniguruma) finds first: leftmost, then by alternative order and
/// greediness. Patterns this cannot express — atomic groups and possessive repeats of more than
/// one scalar class, lookarounds with variable-length bodies — are left to the backtracking engine.
struct Automaton: Sendable {
    var ops: [AutomatonOp] = []
    var sets: [ScalarClass] = []
    var peeks: [PeekAssertion] = []
    /// The consuming instructions a match must start with, when every match starts by consuming
    /// one of them (no assertion or empty match first): where none applies no match can start.
    var firstOps: [AutomatonOp]?

    /// Why a pattern needs the backtracking engine.
    struct Unsupported: Error {}

    /// The automaton of `node`, or nil if it needs the backtracking engine.
    static func compile(_ node: RegexNode, pattern: String) throws -> Automaton? {
        var automaton = Automaton()
        do {
            try automaton.emit(node, pattern: pattern)
        } catch is Unsupported {
            return nil
        }
        automaton.ops.append(.match)
        automaton.firstOps = automaton.startingOps()
        return automaton
    }

    /// The consuming instructions reachable from the start through splits and jumps only, or nil
    /// if an assertion, a lookaround or the end comes first.
    private func startingOps() -> [AutomatonOp]? {
        var seen = Set<Int>(), stack = [0], out: [AutomatonOp] = []
        while let pc = stack.popLast() {
            guard seen.insert(pc).inserted else { continue }
            switch ops[pc] {
            case .jump(let t): stack.append(t)
            case .split(let a, let b): stack.append(a); stack.append(b)
            case .scalar, .foldedScalar, .set: out.append(ops[pc])
            case .fail: break
            case .assert, .peek, .match: return nil
            }
            if out.count > 16 { return nil }
        }
        return out
    }

    private mutating func addSet(_ set: ScalarClass) -> Int {
        sets.append(set)
        return sets.count - 1
    }

    private mutating func emit(_ node: RegexNode, pattern: String) throws {
        // Beyond this the backtracking engine (whose own limit reports the pattern) takes over.
        if ops.count > 100_000 { throw Unsupported() }
        switch node {
        case .empty: break
        case .scalar(let s, let ci):
            if ci && !CaseFolding.variants(of: s).isEmpty { ops.append(.foldedScalar(CaseFolding.fold(s))) } else { ops.append(.scalar(s)) }
        case .set(let set): ops.append(.set(addSet(set)))
        case .concat(let items): for item in items { try emit(item, pattern: pattern) }
        case .alternation(let branches):
            var jumpsToEnd: [Int] = []
            for (k, branch) in branches.enumerated() {
                if k < branches.count - 1 {
                    let split = ops.count
                    ops.append(.split(split + 1, -1))
                    try emit(branch, pattern: pattern)
                    jumpsToEnd.append(ops.count)
                    ops.append(.jump(-1))
                    ops[split] = .split(split + 1, ops.count)
                } else {
                    try emit(branch, pattern: pattern)
                }
            }
            for j in jumpsToEnd { ops[j] = .jump(ops.count) }
        case .repetition(let inner, let min, let max, let mode):
            if mode == .possessive {
                guard let set = Self.singleClass(inner) else { throw Unsupported() }
                emitPossessive(set, min: min, max: max)
            } else {
                try emitRepetition(inner, min: min, max: max, lazy: mode == .lazy, pattern: pattern)
            }
        case .assertion(let a): ops.append(.assert(a))
        case .look(let inner, let ahead, let negate):
            guard let classes = Self.fixedClasses(inner) else { throw Unsupported() }
            peeks.append(PeekAssertion(classes: classes, ahead: ahead, negate: negate))
            ops.append(.peek(peeks.count - 1))
        case .atomic(let inner):
            // An atomic group is its first match: the same as the plain group when that can match
            // in one way only, a possessive repeat for a greedy repeat of one class.
            if Self.fixedClasses(inner) != nil {
                try emit(inner, pattern: pattern)
            } else if case .repetition(let body, let min, let max, let mode) = inner, let set = Self.singleClass(body) {
                if mode == .lazy {
                    for _ in 0..<min { ops.append(.set(addSet(set))) }
                } else {
                    emitPossessive(set, min: min, max: max)
                }
            } else {
                throw Unsupported()
            }
        }
    }

    /// `inner{min,max}` (greedy or lazy): the copies, then optional copies or a loop.
    private mutating func emitRepetition(_ inner: RegexNode, min: Int, max: Int?, lazy: Bool, pattern: String) throws {
        for _ in 0..<min { try emit(inner, pattern: pattern) }
        guard let max else {
            let loop = ops.count
            ops.append(.split(-1, -1))
            if RegexCompiler.canMatchEmpty(inner) {
                try emitNonEmptyBody(inner, pattern: pattern)
            } else {
                try emit(inner, pattern: pattern)
            }
            ops.append(.jump(loop))
            ops[loop] = lazy ? .split(ops.count, loop + 1) : .split(loop + 1, ops.count)
            return
        }
        var splits: [Int] = []
        for _ in min..<Swift.max(min, max) {
            splits.append(ops.count)
            ops.append(.split(-1, -1))
            try emit(inner, pattern: pattern)
        }
        for s in splits { ops[s] = lazy ? .split(ops.count, s + 1) : .split(s + 1, ops.count) }
    }

    /// The body of a loop that can match empty, restricted to its non-empty matches, as the
    /// backtracking engine's progress check does: two copies, the first for "nothing consumed yet
    /// in this iteration" (its end is a dead end), the second entered by the first consumed scalar.
    /// So no path of empty moves returns to the loop head, the moves at one position form an acyclic
    /// graph, and keeping one thread per instruction keeps the backtracking priority exactly.
    private mutating func emitNonEmptyBody(_ inner: RegexNode, pattern: String) throws {
        let start = ops.count
        try emit(inner, pattern: pattern)
        let raw = Array(ops[start...])
        let end = start + raw.count
        ops.removeSubrange(start...)
        // Copy 0: every consuming instruction continues in copy 1.
        var index = [Int](repeating: 0, count: raw.count)
        var position = start
        for (i, op) in raw.enumerated() {
            index[i] = position
            position += Self.consumes(op) ? 2 : 1
        }
        let fail = position
        let copy1 = fail + 1
        func inCopy0(_ t: Int) -> Int { t == end ? fail : (start..<end).contains(t) ? index[t - start] : t }
        for (i, op) in raw.enumerated() {
            ops.append(Self.retarget(op, inCopy0))
            if Self.consumes(op) { ops.append(.jump(copy1 + i + 1)) }
        }
        ops.append(.fail)
        // Copy 1: the plain body, moved.
        for op in raw { ops.append(Self.retarget(op) { (start...end).contains($0) ? $0 - start + copy1 : $0 }) }
        if ops.count > 100_000 { throw Unsupported() }
    }

    private static func consumes(_ op: AutomatonOp) -> Bool {
        switch op {
        case .scalar, .foldedScalar, .set: true
        default: false
        }
    }

    private static func retarget(_ op: AutomatonOp, _ map: (Int) -> Int) -> AutomatonOp {
        switch op {
        case .split(let a, let b): .split(map(a), map(b))
        case .jump(let t): .jump(map(t))
        default: op
        }
    }

    /// `C{min,max}+` for one scalar class C: as many as possible and never fewer, i.e. the greedy
    /// repeat whose early exits require that no C follows.
    private mutating func emitPossessive(_ set: ScalarClass, min: Int, max: Int?) {
        let index = addSet(set)
        for _ in 0..<min { ops.append(.set(index)) }
        peeks.append(PeekAssertion(classes: [set], ahead: true, negate: true))
        let noMore = peeks.count - 1
        if max == nil {
            let loop = ops.count
            ops.append(.split(loop + 1, loop + 3))
            ops.append(.set(index))
            ops.append(.jump(loop))
            ops.append(.peek(noMore))
            return
        }
        var splits: [Int] = []
        for _ in min..<Swift.max(min, max ?? min) {
            splits.append(ops.count)
            ops.append(.split(-1, -1))
            ops.append(.set(index))
        }
        guard !splits.isEmpty else { return }
        let jump = ops.count
        ops.append(.jump(jump + 2))
        ops.append(.peek(noMore))
        for s in splits { ops[s] = .split(s + 1, jump + 1) }
    }

    /// The class of a node that always consumes exactly one scalar.
    static func singleClass(_ node: RegexNode) -> ScalarClass? {
        switch node {
        case .scalar(let s, let ci): ScalarClass(items: [.range(s.value...s.value)], caseInsensitive: ci)
        case .set(let set): set
        default: nil
        }
    }

    /// The classes of a node that matches a fixed sequence of single scalars (empty for `.empty`).
    static func fixedClasses(_ node: RegexNode) -> [ScalarClass]? {
        switch node {
        case .empty: return []
        case .concat(let items):
            var out: [ScalarClass] = []
            for item in items {
                guard let set = singleClass(item) else { return nil }
                out.append(set)
            }
            return out
        default:
            return singleClass(node).map { [$0] }
        }
    }
}

/// Runs an `Automaton` over one text: a Pike VM (Thompson's simulation with threads in priority
/// order, Cox's "Regular Expression Matching: the Virtual Machine Approach").
struct AutomatonMatcher {
    let automaton: Automaton
    let text: UnsafeBufferPointer<Unicode.Scalar>
    /// The threads at the current position (instruction, start of the match), best first.
    private var current: [(pc: Int32, start: Int32)] = []
    private var next: [(pc: Int32, start: Int32)] = []
    /// `seen[pc] == generation`: the instruction already has a thread at this position.
    private var seen: [UInt32]
    private var generation: UInt32 = 0
    private var stack: [Int32] = []
    var budget: RegexBudget

    init(automaton: Automaton, text: UnsafeBufferPointer<Unicode.Scalar>, budget: RegexBudget) {
        self.automaton = automaton
        self.text = text
        self.budget = budget
        seen = Array(repeating: 0, count: automaton.ops.count)
    }

    /// The first match starting at or after `from` (leftmost, then the highest-priority thread).
    mutating func firstMatch(from: Int) throws -> Range<Int>? {
        let n = text.count
        var found: Range<Int>? = nil
        current.removeAll(keepingCapacity: true)
        var pos = from
        newGeneration()
        while true {
            if found == nil && current.isEmpty, let first = automaton.firstOps {
                // No thread alive: skip to where a match can start.
                let skipped = pos
                while pos < n && !first.contains(where: { Self.consumes($0, text[pos], sets: automaton.sets) }) { pos += 1 }
                try budget.spend(pos - skipped)
                if pos == n { return nil }
                if pos != skipped { newGeneration() }
            }
            if found == nil { try add(0, start: pos, at: pos, toNext: false) }
            if current.isEmpty {
                // Nothing can match from here: try the next start.
                if found != nil || pos >= n { return found }
                pos += 1
                newGeneration()
                continue
            }
            next.removeAll(keepingCapacity: true)
            newGeneration()
            let scalar: Unicode.Scalar? = pos < n ? text[pos] : nil
            for thread in current {
                try budget.spend(1)
                let op = automaton.ops[Int(thread.pc)]
                if case .match = op {
                    // Every thread after this one has a lower priority.
                    found = Int(thread.start)..<pos
                    break
                }
                if let scalar, Self.consumes(op, scalar, sets: automaton.sets) {
                    try add(Int(thread.pc) + 1, start: Int(thread.start), at: pos + 1, toNext: true)
                }
            }
            if pos >= n { return found }
            swap(&current, &next)
            pos += 1
        }
    }

    @inline(__always)
    private static func consumes(_ op: AutomatonOp, _ scalar: Unicode.Scalar, sets: [ScalarClass]) -> Bool {
        switch op {
        case .scalar(let s): scalar == s
        case .foldedScalar(let f): CaseFolding.fold(scalar) == f
        case .set(let i): sets[i].contains(scalar)
        default: false
        }
    }

    private mutating func newGeneration() {
        generation &+= 1
        if generation == 0 {
            for i in seen.indices { seen[i] = 0 }
            generation = 1
        }
    }

    /// Adds the thread at `pc` to `next` (or `current`), following jumps, splits and assertions at `pos`, in
    /// priority order; instructions already reached at this position are skipped.
    private mutating func add(_ pc: Int, start: Int, at pos: Int, toNext: Bool) throws {
        stack.removeAll(keepingCapacity: true)
        stack.append(Int32(pc))
        while let top = stack.popLast() {
            let pc = Int(top)
            guard seen[pc] != generation else { continue }
            seen[pc] = generation
            try budget.spend(1)
            switch automaton.ops[pc] {
            case .jump(let t): stack.append(Int32(t))
            case .split(let a, let b):
                stack.append(Int32(b))
                stack.append(Int32(a))
            case .assert(let a):
                if RegexAssertion.holds(a, in: text, at: pos) { stack.append(Int32(pc + 1)) }
            case .peek(let i):
                if automaton.peeks[i].holds(in: text, at: pos) { stack.append(Int32(pc + 1)) }
            case .fail: break
            case .scalar, .foldedScalar, .set, .match:
                if toNext { next.append((Int32(pc), Int32(start))) } else { current.append((Int32(pc), Int32(start))) }
            }
        }
    }
}
