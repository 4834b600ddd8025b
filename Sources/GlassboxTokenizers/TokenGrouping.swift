/// Tokens grouped into the words or sentences of the text they came from, to aggregate per-token
/// scores (attributions, attention) per word.
///
/// Groups are defined by the text and the byte offsets alone, so they are the same whatever the
/// vocabulary marks (`Ġ` byte-level, `▁` SentencePiece, `##` WordPiece, plain bytes or `<0xXX>`
/// byte tokens): a *word* is a maximal run of non-whitespace characters of the text (White_Space
/// as in Unicode); a *sentence* ends after `.`, `!`, `?`, `…`, `。`, `！`, `？` (with any closing
/// quotes or brackets right after) when whitespace or the end follows, and at a blank line. A
/// token belongs to the group holding the first non-whitespace byte of its span, so a `Ġworld`
/// or `▁world` token (whose span starts at the space) belongs to `world`. Tokens the
/// post-processor added (`[CLS]`, `<s>`: `start == end`) and tokens covering only whitespace
/// (`Ċ`, `ĠĠ`, a lone `▁`) belong to no group; a special token written in the text (`<|eot_id|>`)
/// is a word like any other. A token spanning several words
/// (possible with SentencePiece merges across `▁`) joins them into one group. Groups without
/// tokens (text a normalizer removed) are left out.
public enum TokenGrouping {
    /// Words of `text` with their tokens.
    public static func words(_ encoding: Encoding, text: String, sequence: Int = 0) -> [TokenGroup] {
        groups(encoding, text: text, sequence: sequence, units: wordSpans(Array(text.utf8)))
    }

    /// Sentences of `text` with their tokens.
    public static func sentences(_ encoding: Encoding, text: String, sequence: Int = 0) -> [TokenGroup] {
        groups(encoding, text: text, sequence: sequence, units: sentenceSpans(Array(text.utf8)))
    }

    /// How per-group values are combined from per-token ones.
    public enum Aggregation: Sendable { case sum, mean, max, maxAbsolute }

    /// One value per group from one value per token (e.g. relevance summed per word).
    public static func aggregate(_ values: [Double], over groups: [TokenGroup], using aggregation: Aggregation = .sum)
        -> [Double] {
        groups.map { g in
            let v = g.tokenIndices.compactMap { $0 < values.count ? values[$0] : nil }
            guard !v.isEmpty else { return 0 }
            switch aggregation {
            case .sum: return v.reduce(0, +)
            case .mean: return v.reduce(0, +) / Double(v.count)
            case .max: return v.max() ?? 0
            case .maxAbsolute: return v.max { abs($0) < abs($1) } ?? 0
            }
        }
    }

    // MARK: - Spans of the text

    /// The whitespace-separated runs (byte ranges) of UTF-8 `bytes`.
    static func wordSpans(_ bytes: [UInt8]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        var start: Int? = nil
        forEachScalar(bytes) { scalar, range in
            if UnicodeClasses.isWhitespace(scalar) {
                if let s = start { spans.append(s..<range.lowerBound); start = nil }
            } else if start == nil {
                start = range.lowerBound
            }
        }
        if let s = start { spans.append(s..<bytes.count) }
        return spans
    }

    /// Sentence spans (trimmed of surrounding whitespace) of UTF-8 `bytes`.
    static func sentenceSpans(_ bytes: [UInt8]) -> [Range<Int>] {
        var scalars: [(Unicode.Scalar, Range<Int>)] = []
        forEachScalar(bytes) { scalars.append(($0, $1)) }
        var spans: [Range<Int>] = []
        var start: Int? = nil
        var i = 0
        func close(at end: Int) {
            if let s = start, s < end { spans.append(s..<end) }
            start = nil
        }
        while i < scalars.count {
            let (s, range) = scalars[i]
            if UnicodeClasses.isWhitespace(s) {
                // A blank line (two line breaks with only whitespace between) ends a sentence.
                if s == "\n", start != nil {
                    var j = i + 1
                    while j < scalars.count && scalars[j].0 != "\n" && UnicodeClasses.isWhitespace(scalars[j].0) { j += 1 }
                    if j < scalars.count && scalars[j].0 == "\n" { close(at: range.lowerBound) }
                }
                i += 1
                continue
            }
            if start == nil { start = range.lowerBound }
            if "。！？".unicodeScalars.contains(s) || ".!?…".unicodeScalars.contains(s) {
                var j = i + 1
                while j < scalars.count && ".!?…。！？\"'”’»)]}」』".unicodeScalars.contains(scalars[j].0) { j += 1 }
                let end = j < scalars.count ? scalars[j].1.lowerBound : bytes.count
                if j == scalars.count || UnicodeClasses.isWhitespace(scalars[j].0) || "。！？".unicodeScalars.contains(s) {
                    close(at: end)
                }
                i = j
                continue
            }
            i += 1
        }
        if let s = start {
            var end = bytes.count
            while end > s, let last = scalars.last(where: { $0.1.upperBound <= end }), UnicodeClasses.isWhitespace(last.0) {
                end = last.1.lowerBound
            }
            spans.append(s..<end)
        }
        return spans
    }

    private static func forEachScalar(_ bytes: [UInt8], _ body: (Unicode.Scalar, Range<Int>) -> Void) {
        bytes.withUnsafeBufferPointer { buf in
            var i = 0
            while i < buf.count {
                let (s, n) = UTF8Decoding.decode(buf, at: i)
                body(s, i..<(i + n))
                i += n
            }
        }
    }

    // MARK: - Assigning tokens

    private static func groups(_ encoding: Encoding, text: String, sequence: Int, units: [Range<Int>]) -> [TokenGroup] {
        let bytes = Array(text.utf8)
        // Each token's unit: the one holding the first non-whitespace byte of its span.
        var firstUnit = [Int?](repeating: nil, count: encoding.count)
        var lastUnit = [Int?](repeating: nil, count: encoding.count)
        for t in 0..<encoding.count {
            let span = encoding.offsets[t]
            guard !encoding.specialTokensMask[t], (encoding.sequenceIDs[t] ?? sequence) == sequence,
                  span.start < span.end, span.end <= bytes.count else { continue }
            guard let u = unitIndex(containing: span.start, upTo: span.end, in: units) else { continue }
            firstUnit[t] = u
            var v = u
            while v + 1 < units.count && units[v + 1].lowerBound < span.end { v += 1 }
            lastUnit[t] = v
        }
        // Union units joined by tokens spanning several of them.
        var parent = Array(units.indices)
        func find(_ x: Int) -> Int { var x = x; while parent[x] != x { x = parent[x] }; return x }
        for t in 0..<encoding.count {
            guard let a = firstUnit[t], let b = lastUnit[t], b > a else { continue }
            for u in (a + 1)...b { parent[find(u)] = find(a) }
        }
        var members: [Int: [Int]] = [:]
        for t in 0..<encoding.count { if let u = firstUnit[t] { members[find(u), default: []].append(t) } }
        var out: [TokenGroup] = []
        for root in members.keys.sorted() {
            let joined = units.indices.filter { find($0) == root }
            let start = units[joined.first ?? root].lowerBound, end = units[joined.last ?? root].upperBound
            let groupText = String(decoding: bytes[start..<end], as: UTF8.self)
            out.append(TokenGroup(tokenIndices: members[root] ?? [], span: TokenSpan(start: start, end: end), text: groupText))
        }
        return out
    }

    /// The unit holding the first non-whitespace byte in `start..<end` (units are sorted).
    private static func unitIndex(containing start: Int, upTo end: Int, in units: [Range<Int>]) -> Int? {
        var lo = 0, hi = units.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if units[mid].upperBound <= start { lo = mid + 1 } else { hi = mid }
        }
        guard lo < units.count, units[lo].lowerBound < end else { return nil }
        return lo
    }
}

/// Tokens of one word or sentence: their indices in the encoding, the group's byte range in the
/// text, and its text.
public struct TokenGroup: Sendable, Equatable {
    /// Indices into the encoding of the group's tokens, ascending.
    public var tokenIndices: [Int]
    /// UTF-8 byte range of the group in the text: from its first word's start to its last
    /// word's end, surrounding whitespace excluded.
    public var span: TokenSpan
    /// The text of `span`.
    public var text: String

    /// A group from its fields, as listed above.
    public init(tokenIndices: [Int], span: TokenSpan, text: String) {
        self.tokenIndices = tokenIndices
        self.span = span
        self.text = text
    }
}
