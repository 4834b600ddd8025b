/// Which vocabulary entries a projection may report (Dar et al., ACL 2023, `utils.top_tokens`:
/// `only_ascii`, `only_english` = ASCII and alphanumeric, and a word list such as the IMDB vocabulary).
///
/// The analysis module knows no tokenizer: text filters take the display string of every id
/// (`texts[id]`, e.g. `" quick"`, `"##ing"`). Before testing, a text is trimmed of whitespace and of
/// the piece markers `Ġ`, `▁` and a leading `##`, as Dar et al. strip `Ġ`. Ids without a text are
/// rejected by text filters.
public struct TokenFilter: Sendable, CustomStringConvertible {
    /// A short name for provenance (`all`, `ascii`, `alphanumeric`, `words(5000)`, …).
    public let label: String
    private let mask: [Bool]?
    private let predicate: (@Sendable (Int) -> Bool)?

    private init(label: String, mask: [Bool]? = nil, predicate: (@Sendable (Int) -> Bool)? = nil) {
        (self.label, self.mask, self.predicate) = (label, mask, predicate)
    }

    /// Every id passes.
    public static let all = TokenFilter(label: "all")

    /// Tokens whose (stripped, non-empty) text is pure ASCII (Dar et al.'s `only_ascii`).
    public static func ascii(texts: [String]) -> TokenFilter {
        TokenFilter(label: "ascii", mask: texts.map { let c = core($0); return !c.isEmpty && c.allSatisfy(\.isASCII) })
    }

    /// Tokens whose stripped text is non-empty, ASCII and made of letters and digits only (Dar et
    /// al.'s `only_english`).
    public static func alphanumeric(texts: [String]) -> TokenFilter {
        TokenFilter(label: "alphanumeric", mask: texts.map { text in
            let c = core(text)
            return !c.isEmpty && c.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0)) }
        })
    }

    /// Tokens whose stripped text is in `words` (compared lowercased unless `caseSensitive`).
    public static func words(_ words: Set<String>, texts: [String], caseSensitive: Bool = false) -> TokenFilter {
        let list = caseSensitive ? words : Set(words.map { $0.lowercased() })
        return TokenFilter(label: "words(\(words.count))", mask: texts.map { text in
            let c = core(text)
            return list.contains(caseSensitive ? c : c.lowercased())
        })
    }

    /// Any predicate on ids, named `label` for provenance.
    public static func custom(_ label: String, _ predicate: @escaping @Sendable (Int) -> Bool) -> TokenFilter {
        TokenFilter(label: label, predicate: predicate)
    }

    /// Both filters must pass.
    public func and(_ other: TokenFilter) -> TokenFilter {
        if isAll { return other }
        if other.isAll { return self }
        let (a, b) = (self, other)
        return TokenFilter(label: "\(label)+\(other.label)") { a.allows($0) && b.allows($0) }
    }

    /// True when the filter lets everything through (lets callers skip the test).
    public var isAll: Bool { mask == nil && predicate == nil }

    /// Whether `id` passes (text filters reject ids outside their `texts`).
    public func allows(_ id: Int) -> Bool {
        if let mask { return id >= 0 && id < mask.count && mask[id] }
        if let predicate { return predicate(id) }
        return true
    }

    /// The ids in `0..<count` that pass, ascending.
    public func allowedIDs(count: Int) -> [Int] {
        isAll ? Array(0..<count) : (0..<count).filter(allows)
    }

    /// The filter's `label`.
    public var description: String { label }

    /// The text a filter judges: trimmed, without `Ġ`/`▁` markers and a leading `##`.
    static func core(_ text: String) -> String {
        var s = Substring(text)
        while let first = s.first, first.isWhitespace || first == "Ġ" || first == "\u{2581}" { s = s.dropFirst() }
        while let last = s.last, last.isWhitespace { s = s.dropLast() }
        if s.hasPrefix("##") { s = s.dropFirst(2) }
        return String(s)
    }
}
