/// A token's place in the input: a range of UTF-8 byte offsets into the text that was encoded.
/// Tokens inserted by the post-processor (`[CLS]`, `<s>`, …) have `start == end` (both 0, as in
/// the reference); several tokens can share a span (the byte tokens of one character).
public struct TokenSpan: Hashable, Sendable, CustomStringConvertible {
    /// First byte of the token's text, a UTF-8 offset into the encoded text.
    public var start: Int
    /// One past the last byte (exclusive); equal to `start` for an inserted token.
    public var end: Int

    /// The span `start..<end` (not checked; `range` clamps an inverted span to empty).
    public init(start: Int, end: Int) {
        self.start = start
        self.end = end
    }

    /// `start..<end` as a range, empty when `end <= start`.
    public var range: Range<Int> { start..<max(start, end) }
    /// Whether the span covers no byte (inserted tokens).
    public var isEmpty: Bool { end <= start }
    /// `start..<end`, for debugging.
    public var description: String { "\(start)..<\(end)" }
}

/// The result of encoding a text: one entry per token in every array, in order, as the Rust
/// `tokenizers` library's `Encoding` holds them (offsets in bytes rather than characters).
public struct Encoding: Sendable, Equatable {
    /// Token ids.
    public var ids: [Int]
    /// Token strings: the vocabulary's piece (`Ġthe`, `##ing`, `▁of`, `<0xE4>`), or for an added
    /// token the text it matched.
    public var tokens: [String]
    /// UTF-8 byte offsets into the encoded text (for a pair, into the text of the token's
    /// sequence), always on character boundaries: the character offsets the Python library
    /// reports, in bytes. Tokens the post-processor added have (0, 0).
    public var offsets: [TokenSpan]
    /// The index of the pre-tokenizer split ("word") each token came from; nil for tokens the
    /// post-processor added.
    public var wordIDs: [Int?]
    /// Segment ids (`token_type_ids`): 0 for the first sequence, usually 1 for the second.
    public var typeIDs: [Int]
    /// True for tokens the post-processor added (`special_tokens_mask`).
    public var specialTokensMask: [Bool]
    /// Which input sequence (0 or 1) each token belongs to; nil for added special tokens.
    public var sequenceIDs: [Int?]

    /// An encoding from parallel arrays, one entry per token each (not checked; the
    /// tokenizer builds them together).
    public init(ids: [Int] = [], tokens: [String] = [], offsets: [TokenSpan] = [], wordIDs: [Int?] = [],
                typeIDs: [Int] = [], specialTokensMask: [Bool] = [], sequenceIDs: [Int?] = []) {
        self.ids = ids
        self.tokens = tokens
        self.offsets = offsets
        self.wordIDs = wordIDs
        self.typeIDs = typeIDs
        self.specialTokensMask = specialTokensMask
        self.sequenceIDs = sequenceIDs
    }

    /// Number of tokens.
    public var count: Int { ids.count }
    /// Whether the encoding has no tokens.
    public var isEmpty: Bool { ids.isEmpty }

    mutating func reserveCapacity(_ n: Int) {
        ids.reserveCapacity(n)
        tokens.reserveCapacity(n)
        offsets.reserveCapacity(n)
        wordIDs.reserveCapacity(n)
        typeIDs.reserveCapacity(n)
        specialTokensMask.reserveCapacity(n)
        sequenceIDs.reserveCapacity(n)
    }

    mutating func append(id: Int, token: String, offsets span: TokenSpan, word: Int?, typeID: Int,
                         special: Bool, sequence: Int?) {
        ids.append(id)
        tokens.append(token)
        offsets.append(span)
        wordIDs.append(word)
        typeIDs.append(typeID)
        specialTokensMask.append(special)
        sequenceIDs.append(sequence)
    }

    /// Appends the tokens of `other` (offsets unchanged: each sequence keeps its own).
    mutating func append(contentsOf other: Encoding) {
        ids += other.ids
        tokens += other.tokens
        offsets += other.offsets
        wordIDs += other.wordIDs
        typeIDs += other.typeIDs
        specialTokensMask += other.specialTokensMask
        sequenceIDs += other.sequenceIDs
    }

    /// The same encoding with every type id set to `typeID` and sequence id to `sequence`.
    func with(typeID: Int, sequence: Int?) -> Encoding {
        var copy = self
        copy.typeIDs = Array(repeating: typeID, count: count)
        copy.sequenceIDs = Array(repeating: sequence, count: count)
        return copy
    }

    /// Special tokens as the post-processor inserts them: offsets (0, 0), no word.
    static func special(ids: [Int], tokens: [String], typeID: Int) -> Encoding {
        let n = ids.count
        return Encoding(ids: ids, tokens: tokens, offsets: Array(repeating: TokenSpan(start: 0, end: 0), count: n),
                        wordIDs: Array(repeating: nil, count: n), typeIDs: Array(repeating: typeID, count: n),
                        specialTokensMask: Array(repeating: true, count: n),
                        sequenceIDs: Array(repeating: nil, count: n))
    }
}
