/// Decodes ids one at a time as a generator produces them, in time linear in their number: each
/// new piece of text is the decode of a short window of ids minus the decode of the window's
/// already-returned part (the incremental detokenization of transformers' `TextStreamer` and of
/// text-generation-inference). The window starts at the previous piece's first id, so a decoder that
/// treats the first token of a text specially (Metaspace dropping the `▁` of the first word, a
/// `Strip` of the leading space) sees that token as context and leaves the new piece as the whole
/// decode has it; a window whose text ends in U+FFFD (byte tokens of a character not yet complete)
/// returns nothing until a later id completes it. The returned pieces followed by `finish()` equal
/// `decode(ids)` byte for byte on the fixture tokenizers (byte-level BPE, byte fallback, Metaspace,
/// SentencePiece; docs/methods.md §11.2).
///
/// ```swift
/// var stream = StreamingDecoder(tokenizer: tokenizer)
/// for id in generated { print(stream.append(id), terminator: "") }
/// print(stream.finish())
/// ```
public struct StreamingDecoder {
    private let decode: ([Int]) -> String
    private var ids: [Int] = []
    /// First id of the window (the first id of the last returned piece).
    private var start = 0
    /// Ids whose text has been returned.
    private var returned = 0
    /// `decode(ids[start..<returned])`, as UTF-8 bytes.
    private var returnedText: [UInt8] = []

    /// A stream through `decode`, which turns ids into the text of the whole span.
    public init(decode: @escaping ([Int]) -> String) {
        self.decode = decode
    }

    /// A stream through `tokenizer.decode` (special tokens left out with `skipSpecialTokens`).
    public init(tokenizer: Tokenizer, skipSpecialTokens: Bool = true) {
        self.init { tokenizer.decode($0, skipSpecialTokens: skipSpecialTokens) }
    }


    /// Appends `id` and returns the text that became final with it (empty while a character is
    /// incomplete).
    public mutating func append(_ id: Int) -> String {
        ids.append(id)
        let window = Array(decode(Array(ids[start...])).utf8)
        guard window.count > returnedText.count, !window.suffix(3).elementsEqual(Self.replacement),
              window.starts(with: returnedText) else { return "" }
        let piece = String(decoding: window[returnedText.count...], as: UTF8.self)
        (start, returned) = (returned, ids.count)
        returnedText = Array(decode(Array(ids[start..<returned])).utf8)
        return piece
    }

    /// The text not yet returned (a character left incomplete at the end shows as U+FFFD, as in
    /// the whole decode).
    public func finish() -> String {
        guard returned < ids.count else { return "" }
        let window = Array(decode(Array(ids[start...])).utf8)
        guard window.count > returnedText.count, window.starts(with: returnedText) else { return "" }
        return String(decoding: window[returnedText.count...], as: UTF8.self)
    }

    /// U+FFFD in UTF-8: what a decoder shows for bytes that do not (yet) form a character.
    private static let replacement: [UInt8] = [0xEF, 0xBF, 0xBD]
}
