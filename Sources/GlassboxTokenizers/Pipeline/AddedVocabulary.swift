/// A token added on top of the model's vocabulary (`added_tokens` in tokenizer.json): special
/// tokens (`[CLS]`, `<|endoftext|>`) and user additions, matched in the text before the model
/// sees it.
public struct AddedToken: Sendable, Equatable {
    /// The token's text, matched literally (e.g. `<|endoftext|>`).
    public var content: String
    /// Match only as a whole word (not inside one).
    public var singleWord: Bool
    /// Swallow whitespace on the left / right of the match.
    public var lstrip: Bool
    /// See `lstrip`.
    public var rstrip: Bool
    /// Match against the normalized text (else against the original text).
    public var normalized: Bool
    /// A special token (`[CLS]`, `<|endoftext|>`): dropped by `Tokenizer.decode(_:skipSpecialTokens:)`
    /// when asked; `normalized` defaults to false for it.
    public var special: Bool

    /// A token as `added_tokens` declares it; `normalized` defaults to `!special`, as in the
    /// reference.
    public init(content: String, singleWord: Bool = false, lstrip: Bool = false, rstrip: Bool = false,
                normalized: Bool? = nil, special: Bool = false) {
        self.content = content
        self.singleWord = singleWord
        self.lstrip = lstrip
        self.rstrip = rstrip
        self.normalized = normalized ?? !special
        self.special = special
    }

    /// Equal when every field is equal, `content` compared byte for byte (not by canonical
    /// Unicode equivalence, which `String ==` uses).
    public static func == (a: AddedToken, b: AddedToken) -> Bool {
        a.content.sameBytes(as: b.content) && a.singleWord == b.singleWord && a.lstrip == b.lstrip
            && a.rstrip == b.rstrip && a.normalized == b.normalized && a.special == b.special
    }
}

/// An ``AddedToken`` as a set member: equal exactly when the tokens are (`==` compares the
/// content byte for byte, so the key holds its UTF-8 bytes).
struct AddedTokenKey: Hashable {
    let content: [UInt8]
    let singleWord, lstrip, rstrip, normalized, special: Bool

    init(_ token: AddedToken) {
        content = Array(token.content.utf8)
        singleWord = token.singleWord
        lstrip = token.lstrip
        rstrip = token.rstrip
        normalized = token.normalized
        special = token.special
    }
}

/// The added tokens of a tokenizer and how they split the input (`AddedVocabulary` in the
/// reference): ids are assigned as `add_tokens` does (the model's id if the piece is in its
/// vocabulary, else the next free id after the vocabulary); matching is leftmost-longest, first
/// over the original text for tokens with `normalized: false`, then over each normalized piece for
/// the others, honouring `single_word`, `lstrip` and `rstrip`.
///
/// Matching follows the reference's Aho-Corasick iterator exactly, oddities included: the search
/// goes on from the end of a match, not from the end of its `rstrip` widening, so a match starting
/// in the spaces taken keeps overlapping the previous one ("<x> " then " y"); and a normalized
/// token whose content normalizes to nothing has an empty pattern, which matches at every
/// position not covered by another match but the one where the previous match ended.
struct AddedVocabulary: Sendable {
    private(set) var tokensByID: [Int: AddedToken] = [:]
    private var ids = PieceTable(capacity: 8)
    private var specialContents = PieceTable(capacity: 8)
    private var rawMatcher = AddedTokenMatcher()
    private var normalizedMatcher = AddedTokenMatcher()

    init() {}

    /// The tokens of `tokens` added in one `add_tokens` call.
    init(tokens: [AddedToken], model: any TokenizationModel, normalizer: (any TextNormalizer)?) throws {
        try self.init(batches: [tokens], model: model, normalizer: normalizer)
    }

    /// The tokens of each batch added in one `add_tokens` call, batch after batch (`tokenizer.json`'s
    /// `added_tokens`, then what `transformers` adds when it builds the tokenizer): a batch's special
    /// tokens are registered before its tokens get ids, so a content made special by a later batch
    /// stays among the earlier batch's plain patterns too, as in the reference.
    init(batches: [[AddedToken]], model: any TokenizationModel, normalizer: (any TextNormalizer)?) throws {
        var special: [AddedToken] = []
        var plain: [AddedToken] = []
        var maxID: Int? = nil
        // The tokens currently in `tokensByID` (every field equal, content byte for byte): a set,
        // not a scan of `tokensByID` per token, which made 200k added tokens take minutes. A token
        // overwritten by one of the same content but other flags leaves the set, so that it counts
        // as new again when it comes back (as the reference skips only the current values).
        var seen = Set<AddedTokenKey>()
        for tokens in batches {
            for token in tokens where token.special && !token.content.isEmpty && specialContents.id(of: token.content) == nil {
                special.append(token)
                specialContents.insert(token.content, id: 0)
            }
            for token in tokens {
                if token.content.isEmpty || !seen.insert(AddedTokenKey(token)).inserted { continue }
                let id: Int
                if let existing = ids.id(of: token.content) ?? model.id(of: token.content) {
                    id = existing
                } else if let m = maxID {
                    id = m >= model.vocabularySize || model.vocabularySize == 0 ? m + 1 : model.vocabularySize
                } else {
                    id = model.vocabularySize
                }
                ids.insert(token.content, id: id)
                maxID = max(maxID ?? id, id)
                if let old = tokensByID.updateValue(token, forKey: id) { seen.remove(AddedTokenKey(old)) }
                if specialContents.id(of: token.content) == nil { plain.append(token) }
            }
        }
        for token in special + plain {
            guard let id = ids.id(of: token.content) ?? model.id(of: token.content) else { continue }
            if token.normalized {
                var pattern = NormalizedString(scalars: Array(token.content.unicodeScalars),
                                               alignments: Array(repeating: Alignment(start: 0, end: 0),
                                                                 count: token.content.unicodeScalars.count),
                                               originalStart: 0, originalEnd: 0)
                try normalizer?.normalize(&pattern)
                normalizedMatcher.add(pattern.scalars, id: id)
            } else {
                rawMatcher.add(Array(token.content.unicodeScalars), id: id)
            }
        }
    }

    /// Whether some added tokens match the normalized text (the second pass).
    var hasNormalizedTokens: Bool { !normalizedMatcher.isEmpty }

    func id(of content: String) -> Int? { ids.id(of: content) }
    func content(for id: Int) -> String? { tokensByID[id]?.content }
    func isSpecial(_ content: String) -> Bool { specialContents.id(of: content) != nil }

    /// Splits `original` on added tokens, normalizing the rest (`extract_and_normalize`); `file`
    /// names the tokenizer in errors.
    func extractAndNormalize(_ original: NormalizedString, normalizer: (any TextNormalizer)?,
                             file: String) throws -> PreTokenizedString {
        let firstPass: [PreTokenizedString.Split] = rawMatcher.isEmpty
            ? [.init(normalized: original, tokens: nil, values: nil)] : try split(with: rawMatcher, original, file: file)
        var out: [PreTokenizedString.Split] = []
        for piece in firstPass {
            if piece.tokens != nil { out.append(piece); continue }
            var normalized = piece.normalized
            try normalizer?.normalize(&normalized)
            if normalizedMatcher.isEmpty {
                if !normalized.isEmpty { out.append(.init(normalized: normalized, tokens: nil, values: nil)) }
            } else {
                out += try split(with: normalizedMatcher, normalized, file: file).filter { !$0.normalized.isEmpty }
            }
        }
        return PreTokenizedString(splits: out)
    }

    /// The pieces of `s`: added-token matches (carrying their token) and the text between them.
    private func split(with matcher: AddedTokenMatcher, _ s: NormalizedString,
                       file: String) throws -> [PreTokenizedString.Split] {
        try pieces(of: s.scalars, with: matcher, file: file).compactMap { range, id in
            let piece = s.slice(range)
            guard let id else { return .init(normalized: piece, tokens: nil, values: nil) }
            let value = piece.text
            return .init(normalized: piece, tokens: [ModelToken(id: id, start: 0, end: value.utf8.count)], values: [value])
        }
    }

    /// Both passes on the original text, with no normalizer between them (a `tokenizer.model`,
    /// whose normalization is inside its model): the text cut at `normalized: false` tokens, then
    /// the rest at `normalized: true` ones; non-empty scalar ranges, with the token id for matches.
    func unnormalizedPieces(of text: [Unicode.Scalar], file: String) throws -> [(Range<Int>, Int?)] {
        if text.isEmpty { return [] }
        let first = rawMatcher.isEmpty ? [(0..<text.count, nil)] : try pieces(of: text, with: rawMatcher, file: file)
        if normalizedMatcher.isEmpty { return first }
        var out: [(Range<Int>, Int?)] = []
        for (range, id) in first {
            if id != nil { out.append((range, id)); continue }
            for (r, i) in try pieces(of: Array(text[range]), with: normalizedMatcher, file: file) {
                out.append(((r.lowerBound + range.lowerBound)..<(r.upperBound + range.lowerBound), i))
            }
        }
        return out
    }

    /// Whether some added tokens match the original text (the first pass).
    var hasRawTokens: Bool { !rawMatcher.isEmpty }

    /// The original text cut at added tokens with `normalized: false` (the first pass), or, when
    /// there are none, at the `normalized: true` ones (the second pass, which is what
    /// ``extractAndNormalize(_:normalizer:file:)`` does without a normalizer): non-empty scalar
    /// ranges, with the token id for matches. Only for a pipeline without a normalizer when both
    /// passes have tokens it would not be the same cut. (Never throws: patterns without a
    /// normalizer are never empty.)
    func rawPieces(of text: [Unicode.Scalar], file: String) throws -> [(Range<Int>, Int?)] {
        let matcher = rawMatcher.isEmpty ? normalizedMatcher : rawMatcher
        return matcher.isEmpty ? (text.isEmpty ? [] : [(0..<text.count, nil)]) : try pieces(of: text, with: matcher, file: file)
    }

    /// `find_matches`: leftmost-longest matches, filtered by `single_word`, widened by `lstrip`
    /// and `rstrip`, and the gaps between them; a match starting inside the previous one's
    /// `rstrip` spaces overlaps it, as in the reference. Throws where the reference panics: an
    /// empty pattern matching inside a character of more than one UTF-8 byte.
    private func pieces(of text: [Unicode.Scalar], with matcher: AddedTokenMatcher,
                        file: String) throws -> [(Range<Int>, Int?)] {
        if text.isEmpty { return [] }
        var pieces: [(Range<Int>, Int?)] = []
        var startOffset = 0
        var position = 0
        var lastEnd: Int? = nil
        while var match = matcher.nextMatch(in: text, from: position) {
            if match.0 == match.1 && match.1 == lastEnd {
                // The iterator never reports an empty match where the previous match ended: it
                // searches again one byte further, which is inside this character if it has more
                // than one byte (the empty pattern matches there: the reference panics).
                if position < text.count && text[position].value >= 0x80, let token = tokensByID[match.2] {
                    throw TokenizerError.emptyAddedTokenCutsCharacter(file: file, token: token.content,
                                                                      character: String(Character(text[position])))
                }
                guard let next = matcher.nextMatch(in: text, from: position + 1) else { break }
                match = next
            }
            let (matchStart, matchEnd, id) = match
            position = matchEnd
            lastEnd = matchEnd
            guard let token = tokensByID[id] else { continue }
            var start = matchStart, stop = matchEnd
            if token.singleWord {
                let startSpace = start == 0 || !UnicodeClasses.flags(text[start - 1]).contains(.regexWord)
                let stopSpace = stop == text.count || !UnicodeClasses.flags(text[stop]).contains(.regexWord)
                if !startSpace || !stopSpace { continue }
            }
            if token.lstrip {
                var k = start
                while k > 0 && UnicodeClasses.isWhitespace(text[k - 1]) { k -= 1 }
                start = max(k, startOffset)
            }
            if token.rstrip {
                while stop < text.count && UnicodeClasses.isWhitespace(text[stop]) { stop += 1 }
            }
            if startOffset < start { pieces.append((startOffset..<start, nil)) }
            pieces.append((start..<stop, id))
            startOffset = stop
        }
        if startOffset != text.count { pieces.append((startOffset..<text.count, nil)) }
        return pieces.filter { !$0.0.isEmpty }
    }
}

/// Leftmost-longest matching of many patterns (a trie over scalars), as the reference's
/// Aho-Corasick automaton with `MatchKind::LeftmostLongest`.
struct AddedTokenMatcher: Sendable {
    private var children: [[UInt32: Int32]] = [[:]]
    private var terminal: [Int] = [-1]
    private var firstScalars = Set<UInt32>()
    /// The ASCII first scalars as a bitmap (most texts are mostly ASCII).
    private var asciiFirst: (UInt64, UInt64) = (0, 0)

    /// The token of the empty pattern (a normalized token whose content normalizes to nothing),
    /// which matches at every position.
    private var emptyID: Int? { terminal[0] >= 0 ? terminal[0] : nil }

    var isEmpty: Bool { firstScalars.isEmpty && emptyID == nil }

    /// Adds a pattern; the first pattern added for the same scalars keeps it.
    mutating func add(_ pattern: [Unicode.Scalar], id: Int) {
        guard let first = pattern.first else {
            if terminal[0] < 0 { terminal[0] = id }
            return
        }
        firstScalars.insert(first.value)
        if first.value < 64 { asciiFirst.0 |= 1 << UInt64(first.value) } else if first.value < 128 {
            asciiFirst.1 |= 1 << UInt64(first.value - 64)
        }
        var node = 0
        for s in pattern {
            if let next = children[node][s.value] {
                node = Int(next)
            } else {
                children.append([:])
                terminal.append(-1)
                children[node][s.value] = Int32(children.count - 1)
                node = children.count - 1
            }
        }
        if terminal[node] < 0 { terminal[node] = id }
    }

    /// The leftmost match at or after `from`, the longest one starting there (with an empty
    /// pattern: at `from` itself, up to `from == text.count`).
    func nextMatch(in text: [Unicode.Scalar], from: Int) -> (Int, Int, Int)? {
        if let emptyID, from == text.count { return (from, from, emptyID) }
        var start = from
        while start < text.count {
            let v = text[start].value
            let candidate = emptyID != nil || (v < 64 ? asciiFirst.0 & (1 << UInt64(v)) != 0
                : v < 128 ? asciiFirst.1 & (1 << UInt64(v - 64)) != 0 : firstScalars.contains(v))
            if candidate {
                var node = 0
                var best: (Int, Int)? = emptyID.map { (start, $0) }
                var i = start
                while i < text.count, let next = children[node][text[i].value] {
                    node = Int(next)
                    i += 1
                    if terminal[node] >= 0 { best = (i, terminal[node]) }
                }
                if let (end, id) = best { return (start, end, id) }
            }
            start += 1
        }
        return nil
    }
}
