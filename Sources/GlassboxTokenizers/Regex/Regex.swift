/// A regular expression with Oniguruma's semantics (the engine the Rust `tokenizers` library uses
/// for `Split`, `Replace` and the ByteLevel pre-tokenizer): the leftmost match, and among those the
/// one a backtracking search finds first, over Unicode scalars, with the character classes of
/// `UnicodeClasses`. Built for the patterns in tokenizer files (GPT-2's, Llama 3's, Qwen2's
/// splitters and the like), not as a general engine; what it does not support is an
/// `invalidRegex` error at load time.
///
/// Three engines, the first that applies: a hand-written matcher for the split patterns of GPT-2,
/// Llama 3 and Qwen2; an `Automaton` (a Pike VM: each search linear in the text, whatever the
/// pattern); the backtracking `RegexMatcher`, for what the automaton cannot express (atomic
/// groups over more than one class, lookarounds of variable length) and for the patterns it runs
/// without ever backtracking (`\s+`; `CompiledRegex.neverBacktracks`), where it is faster. The
/// last two run under a `RegexBudget` proportional to text length × pattern size, and past it throw
/// `regexBudgetExceeded` instead of hanging.
struct Regex: Sendable {
    let pattern: String
    let compiled: CompiledRegex
    /// The pattern as an automaton, unless it needs the backtracking engine.
    var automaton: Automaton?
    /// A hand-written matcher for this exact pattern, if there is one.
    var known: KnownSplitPattern?
    /// The scalars of a literal pattern (matched by a plain scan).
    var literal: [Unicode.Scalar]?
    /// Run the automaton even where the backtracking engine never backtracks (for tests).
    private var alwaysAutomaton = false

    init(pattern: String, node: RegexNode) throws {
        self.pattern = pattern
        compiled = try RegexCompiler.compile(node, pattern: pattern)
        automaton = try Automaton.compile(node, pattern: pattern)
    }

    init(_ pattern: String) throws {
        try self.init(pattern: pattern, node: try RegexParser.parse(pattern))
        known = KnownSplitPattern(pattern: pattern)
    }

    private init(pattern: String, compiled: CompiledRegex, automaton: Automaton?) {
        self.pattern = pattern
        self.compiled = compiled
        self.automaton = automaton
    }

    /// The same regex run by the backtracking engine only (to test the other engines).
    var generic: Regex { Regex(pattern: pattern, compiled: compiled, automaton: nil) }
    /// The same regex run by the automaton only, if it has one (to test the other engines).
    var automatonOnly: Regex? {
        guard let automaton else { return nil }
        var regex = Regex(pattern: pattern, compiled: compiled, automaton: automaton)
        regex.alwaysAutomaton = true
        return regex
    }

    /// The regex matching `literal` exactly.
    init(literal: String) throws {
        try self.init(pattern: literal, node: .concat(literal.unicodeScalars.map { .scalar($0, caseInsensitive: false) }))
        if !literal.isEmpty { self.literal = Array(literal.unicodeScalars) }
    }

    /// All matches, left to right, as `onig::FindMatches` yields them: after an empty match at
    /// the end of the previous match the search moves one scalar on. Throws
    /// `regexBudgetExceeded` if matching takes more steps than `RegexBudget` allows.
    func matches(in text: [Unicode.Scalar]) throws -> [Range<Int>] {
        try text.withUnsafeBufferPointer { try matches(in: $0) }
    }

    func matches(in buffer: UnsafeBufferPointer<Unicode.Scalar>) throws -> [Range<Int>] {
        if let known { return known.matches(in: buffer) }
        if let literal { return Self.literalMatches(literal, in: buffer) }
        if let automaton, alwaysAutomaton || !compiled.neverBacktracks {
            let budget = RegexBudget(pattern: pattern, textLength: buffer.count, instructions: automaton.ops.count)
            var matcher = AutomatonMatcher(automaton: automaton, text: buffer, budget: budget)
            return try Self.allMatches(count: buffer.count) { try matcher.firstMatch(from: $0) }
        }
        let budget = RegexBudget(pattern: pattern, textLength: buffer.count,
                                 instructions: compiled.programs.reduce(0) { $0 + $1.count })
        var matcher = RegexMatcher(regex: compiled, text: buffer, budget: budget)
        return try Self.allMatches(count: buffer.count) { try matcher.firstMatch(from: $0) }
    }

    /// All matches of an automaton-only regex, without a step budget (each search is linear in the
    /// text; only many overlapping searches make it more). For the `Replace` decoder, which cannot
    /// fail.
    func unboundedMatches(in text: [Unicode.Scalar]) -> [Range<Int>] {
        text.withUnsafeBufferPointer { buffer in
            if let known { return known.matches(in: buffer) }
            if let literal { return Self.literalMatches(literal, in: buffer) }
            guard let automaton else { return [] }
            var matcher = AutomatonMatcher(automaton: automaton, text: buffer, budget: .unlimited(pattern: pattern))
            return (try? Self.allMatches(count: buffer.count) { try matcher.firstMatch(from: $0) }) ?? []
        }
    }

    /// Repeats `firstMatch` along the text as `onig::FindMatches` does.
    private static func allMatches(count: Int, _ firstMatch: (Int) throws -> Range<Int>?) rethrows -> [Range<Int>] {
        var out: [Range<Int>] = []
        var searchFrom = 0
        var lastMatchEnd: Int? = nil
        while searchFrom <= count {
            guard let m = try firstMatch(searchFrom) else { break }
            if m.isEmpty && lastMatchEnd == m.upperBound {
                searchFrom += 1
                continue
            }
            out.append(m)
            searchFrom = m.upperBound
            lastMatchEnd = m.upperBound
        }
        return out
    }
}

extension Regex {
    /// Non-overlapping occurrences of a non-empty literal, left to right.
    static func literalMatches(_ literal: [Unicode.Scalar], in text: UnsafeBufferPointer<Unicode.Scalar>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        let first = literal[0], n = literal.count
        var i = 0
        while i + n <= text.count {
            if text[i] == first {
                var k = 1
                while k < n && text[i + k] == literal[k] { k += 1 }
                if k == n { out.append(i..<(i + n)); i += n; continue }
            }
            i += 1
        }
        return out
    }
}

/// The backtracking machine running a `CompiledRegex` over one text.
struct RegexMatcher {
    private struct Frame {
        var kind: UInt8          // 0 alternative, 1 greedy repeat, 2 lazy repeat, 3 register restore
        var pc: Int32
        var pos: Int32
        var count: Int32
    }

    let regex: CompiledRegex
    let text: UnsafeBufferPointer<Unicode.Scalar>
    private var registers: [Int]
    /// Backtrack frames, shared by nested runs (each run owns the frames above its base).
    private var stack: [Frame] = []
    private var budget: RegexBudget

    init(regex: CompiledRegex, text: UnsafeBufferPointer<Unicode.Scalar>, budget: RegexBudget) {
        self.regex = regex
        self.text = text
        self.budget = budget
        registers = Array(repeating: -1, count: regex.registers)
        stack.reserveCapacity(64)
    }

    /// The first match starting at or after `from`.
    mutating func firstMatch(from: Int) throws -> Range<Int>? {
        var start = from
        while start <= text.count {
            if let end = try run(program: 0, at: start, requiredEnd: nil) { return start..<end }
            start += 1
        }
        return nil
    }

    /// Runs program `program` anchored at `start`; the end of its first match, or nil.
    mutating func run(program: Int, at start: Int, requiredEnd: Int?) throws -> Int? {
        let ops = regex.programs[program]
        let base = stack.count
        defer { stack.removeSubrange(base...) }
        var pc = 0
        var pos = start
        let n = text.count
        while true {
            try budget.spend(1)
            var ok = true
            switch ops[pc] {
            case .scalar(let s):
                if pos < n && text[pos] == s { pos += 1; pc += 1 } else { ok = false }
            case .foldedScalar(let f):
                if pos < n && CaseFolding.fold(text[pos]) == f { pos += 1; pc += 1 } else { ok = false }
            case .set(let i):
                if pos < n && regex.sets[i].contains(text[pos]) { pos += 1; pc += 1 } else { ok = false }
            case .repeatSet(let i, let min, let max, let mode):
                let set = regex.sets[i]
                if mode == .lazy {
                    var k = 0
                    while k < min && pos + k < n && set.contains(text[pos + k]) { k += 1 }
                    try budget.spend(k)
                    if k < min { ok = false; break }
                    if k < max { stack.append(Frame(kind: 2, pc: Int32(pc), pos: Int32(pos), count: Int32(k))) }
                    pos += k
                    pc += 1
                } else {
                    var k = 0
                    while k < max && pos + k < n && set.contains(text[pos + k]) { k += 1 }
                    try budget.spend(k)
                    if k < min { ok = false; break }
                    if k > min && mode == .greedy {
                        stack.append(Frame(kind: 1, pc: Int32(pc), pos: Int32(pos), count: Int32(k)))
                    }
                    pos += k
                    pc += 1
                }
            case .split(let a, let b):
                stack.append(Frame(kind: 0, pc: Int32(b), pos: Int32(pos), count: 0))
                pc = a
            case .jump(let t):
                pc = t
            case .assert(let a):
                if RegexAssertion.holds(a, in: text, at: pos) { pc += 1 } else { ok = false }
            case .look(let sub, let ahead, let negate, let lengths):
                var found = false
                if ahead {
                    found = try run(program: sub, at: pos, requiredEnd: nil) != nil
                } else {
                    for length in lengths where length <= pos {
                        if try run(program: sub, at: pos - length, requiredEnd: pos) != nil { found = true; break }
                    }
                }
                if found != negate { pc += 1 } else { ok = false }
            case .atomic(let sub):
                if let end = try run(program: sub, at: pos, requiredEnd: nil) { pos = end; pc += 1 } else { ok = false }
            case .mark(let r):
                stack.append(Frame(kind: 3, pc: Int32(r), pos: Int32(registers[r]), count: 0))
                registers[r] = pos
                pc += 1
            case .checkProgress(let r):
                if registers[r] != pos { pc += 1 } else { ok = false }
            case .match:
                if requiredEnd == nil || requiredEnd == pos { return pos }
                ok = false
            }
            if ok { continue }
            // Backtrack.
            var resumed = false
            while stack.count > base, let frame = stack.popLast() {
                try budget.spend(1)
                switch frame.kind {
                case 0:
                    pc = Int(frame.pc)
                    pos = Int(frame.pos)
                    resumed = true
                case 1:
                    guard case .repeatSet(_, let min, _, _) = ops[Int(frame.pc)] else { continue }
                    let k = Int(frame.count) - 1
                    if k > min { stack.append(Frame(kind: 1, pc: frame.pc, pos: frame.pos, count: Int32(k))) }
                    pos = Int(frame.pos) + k
                    pc = Int(frame.pc) + 1
                    resumed = true
                case 2:
                    guard case .repeatSet(let i, _, let max, _) = ops[Int(frame.pc)] else { continue }
                    let k = Int(frame.count)
                    let p = Int(frame.pos) + k
                    guard p < n && regex.sets[i].contains(text[p]) else { continue }
                    if k + 1 < max { stack.append(Frame(kind: 2, pc: frame.pc, pos: frame.pos, count: Int32(k + 1))) }
                    pos = p + 1
                    pc = Int(frame.pc) + 1
                    resumed = true
                default:
                    registers[Int(frame.pc)] = Int(frame.pos)
                }
                if resumed { break }
            }
            if !resumed { return nil }
        }
    }
}
