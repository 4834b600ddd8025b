/// Hand-written matchers for the split patterns of GPT-2, Llama 3 and Qwen2, used instead of the
/// backtracking engine when a pattern is exactly one of them. They give the same matches as the
/// engine (and so as Oniguruma) — tests run both over the corpus and random text — only faster:
/// every alternative is decided from the character classes at hand, without backtracking.
enum KnownSplitPattern: Sendable {
    case gpt2
    /// Llama 3 (`\p{N}{1,3}`) and Qwen2 (`\p{N}`): they differ only in the digit run length.
    case llama3(maxDigits: Int)

    init?(pattern: String) {
        switch pattern {
        case #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#:
            self = .gpt2
        case #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            self = .llama3(maxDigits: 3)
        case #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#:
            self = .llama3(maxDigits: 1)
        default:
            return nil
        }
    }

    /// All matches in `text`. Every scalar is covered by some alternative, so the matches tile
    /// the text.
    func matches(in text: UnsafeBufferPointer<Unicode.Scalar>) -> [Range<Int>] {
        var out: [Range<Int>] = []
        out.reserveCapacity(text.count / 4 + 1)
        var i = 0
        while i < text.count {
            let end: Int
            switch self {
            case .gpt2: end = gpt2Match(text, i)
            case .llama3(let maxDigits): end = llama3Match(text, i, maxDigits: maxDigits)
            }
            out.append(i..<end)
            i = end
        }
        return out
    }

    private typealias Flags = UnicodeClasses.Flags

    @inline(__always)
    private static func flags(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int) -> Flags {
        i < text.count ? UnicodeClasses.flags(text[i]) : []
    }

    @inline(__always)
    private static func isOther(_ f: Flags) -> Bool { f.isDisjoint(with: [.letter, .number, .whitespace]) }

    /// `'s|'t|'re|'ve|'m|'ll|'d` at `i` (case-folded for Llama 3): the end, or nil.
    private static func contraction(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int, folded: Bool) -> Int? {
        guard text[i] == "'", i + 1 < text.count else { return nil }
        func at(_ k: Int) -> UInt32 {
            guard k < text.count else { return 0 }
            return folded ? CaseFolding.fold(text[k]) : text[k].value
        }
        let a = at(i + 1)
        let s = UInt32(UInt8(ascii: "s")), t = UInt32(UInt8(ascii: "t")), m = UInt32(UInt8(ascii: "m"))
        let d = UInt32(UInt8(ascii: "d")), r = UInt32(UInt8(ascii: "r")), v = UInt32(UInt8(ascii: "v"))
        let e = UInt32(UInt8(ascii: "e")), l = UInt32(UInt8(ascii: "l"))
        if a == s || a == t || a == m || a == d { return i + 2 }
        if (a == r || a == v) && at(i + 2) == e { return i + 3 }
        if a == l && at(i + 2) == l { return i + 3 }
        return nil
    }

    /// The end of the run of scalars from `i` whose flags satisfy `test`.
    @inline(__always)
    private static func run(_ text: UnsafeBufferPointer<Unicode.Scalar>, from i: Int, limit: Int = .max,
                            _ test: (Flags) -> Bool) -> Int {
        var j = i
        while j < text.count && j - i < limit && test(UnicodeClasses.flags(text[j])) { j += 1 }
        return j
    }

    /// `\s+(?!\S)|\s+` at a whitespace scalar `i`.
    private static func whitespace(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int) -> Int {
        let j = run(text, from: i) { $0.contains(.whitespace) }
        if j == text.count || j - 1 == i { return j }
        return j - 1
    }

    private func gpt2Match(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int) -> Int {
        if let end = Self.contraction(text, i, folded: false) { return end }
        let f0 = Self.flags(text, i)
        // ` ?\p{L}+`, ` ?\p{N}+`, ` ?[^\s\p{L}\p{N}]+`: the optional space, then a run of one class.
        let start = text[i] == " " && i + 1 < text.count ? i + 1 : i
        let f = start == i ? f0 : Self.flags(text, start)
        if f.contains(.letter) { return Self.run(text, from: start) { $0.contains(.letter) } }
        if f.contains(.number) { return Self.run(text, from: start) { $0.contains(.number) } }
        if Self.isOther(f) { return Self.run(text, from: start) { Self.isOther($0) } }
        return Self.whitespace(text, i)
    }

    private func llama3Match(_ text: UnsafeBufferPointer<Unicode.Scalar>, _ i: Int, maxDigits: Int) -> Int {
        if let end = Self.contraction(text, i, folded: true) { return end }
        let c = text[i]
        let f0 = UnicodeClasses.flags(c)
        // `[^\r\n\p{L}\p{N}]?\p{L}+`
        if f0.contains(.letter) { return Self.run(text, from: i) { $0.contains(.letter) } }
        if c != "\r" && c != "\n" && !f0.contains(.number) && Self.flags(text, i + 1).contains(.letter) {
            return Self.run(text, from: i + 1) { $0.contains(.letter) }
        }
        // `\p{N}{1,3}` (or `\p{N}`)
        if f0.contains(.number) { return Self.run(text, from: i, limit: maxDigits) { $0.contains(.number) } }
        // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
        let start = c == " " ? i + 1 : i
        if Self.isOther(Self.flags(text, start)) && start < text.count {
            var j = Self.run(text, from: start) { Self.isOther($0) }
            while j < text.count && (text[j] == "\r" || text[j] == "\n") { j += 1 }
            return j
        }
        // `\s*[\r\n]+`: up to the last line break of the whitespace run.
        let j = Self.run(text, from: i) { $0.contains(.whitespace) }
        var k = j
        while k > i && text[k - 1] != "\r" && text[k - 1] != "\n" { k -= 1 }
        if k > i { return k }
        return Self.whitespace(text, i)
    }
}
