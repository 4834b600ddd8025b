/// Byte ↔ character offsets of one encoded text, for the step of the reference that works in
/// characters: `tokenizers`' Python `encode` converts each sequence's byte offsets to character
/// offsets (`encode_char_offsets`) *before* the post-processor runs, so ByteLevel's
/// `trim_offsets` moves a span by whole characters of the input (a U+3000 or NBSP is trimmed whole,
/// a prefix space before "é" moves past both of its bytes). Glassbox's offsets are bytes; the
/// post-processor sees them as characters through this table and they are turned back after.
struct CharacterOffsets {
    /// Byte offset of each character start, then the text's byte count: `[characters + 1]`;
    /// empty when the text is ASCII (bytes are characters).
    private let starts: [Int]

    init(_ text: String) {
        let utf8 = text.utf8
        if utf8.allSatisfy({ $0 < 0x80 }) { starts = []; return }
        var starts: [Int] = []
        starts.reserveCapacity(utf8.count + 1)
        for (i, byte) in utf8.enumerated() where byte & 0xC0 != 0x80 { starts.append(i) }
        starts.append(utf8.count)
        self.starts = starts
    }

    /// The character holding byte `offset` (a byte inside a character counts as that character, as
    /// the reference's byte → character map reads it); the character count at the end.
    func character(atByte offset: Int) -> Int {
        guard !starts.isEmpty else { return offset }
        // The last start ≤ offset.
        var (low, high) = (0, starts.count - 1)
        while low < high {
            let mid = (low + high + 1) / 2
            if starts[mid] <= offset { low = mid } else { high = mid - 1 }
        }
        return low
    }

    /// The byte offset where character `index` starts (the byte count past the last).
    func byte(atCharacter index: Int) -> Int {
        guard !starts.isEmpty else { return index }
        return starts[min(max(index, 0), starts.count - 1)]
    }

    /// `span` in characters.
    func characters(_ span: TokenSpan) -> TokenSpan {
        TokenSpan(start: character(atByte: span.start), end: character(atByte: span.end))
    }

    /// `span` (in characters) in bytes.
    func bytes(_ span: TokenSpan) -> TokenSpan {
        TokenSpan(start: byte(atCharacter: span.start), end: byte(atCharacter: span.end))
    }
}
