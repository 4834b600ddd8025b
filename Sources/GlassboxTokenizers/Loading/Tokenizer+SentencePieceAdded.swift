import Foundation

extension Tokenizer {
    /// A `tokenizer.model`'s encoding of one sequence with added tokens: the text is cut at the
    /// added tokens (``AddedVocabulary/unnormalizedPieces(of:file:)``) and each piece between them
    /// is encoded by `sentencepiece` on its own (its dummy prefix and whitespace rules apply per
    /// piece, as `transformers`' converted tokenizers run their normalizer per piece), offsets
    /// moved to the piece's place in `text`. Without added tokens, `sentencePiece.encode(text)`.
    func encodeSentencePiece(_ sentencePiece: SentencePieceProcessor, _ text: String, typeID: Int) throws -> Encoding {
        if !addedVocabulary.hasRawTokens && !addedVocabulary.hasNormalizedTokens { return try sentencePiece.encode(text, typeID: typeID) }
        let bytes = Array(text.utf8)
        guard bytes.count < Int(Int32.max) else { throw TokenizerError.inputTooLong(bytes: bytes.count) }
        let (scalars, starts) = bytes.withUnsafeBufferPointer { UTF8Decoding.scalarsWithOffsets($0) }
        var encoding = Encoding()
        var word = 0
        for (range, id) in try addedVocabulary.unnormalizedPieces(of: scalars, file: source) {
            let start = Int(starts[range.lowerBound]), end = Int(starts[range.upperBound])
            let piece = String(decoding: bytes[start..<end], as: UTF8.self)
            if let id {
                encoding.append(id: id, token: piece, offsets: TokenSpan(start: start, end: end), word: word,
                                typeID: typeID, special: false, sequence: typeID)
                word += 1
                continue
            }
            let part = try sentencePiece.encode(piece, typeID: typeID)
            for i in 0..<part.count {
                let span = TokenSpan(start: part.offsets[i].start + start, end: part.offsets[i].end + start)
                encoding.append(id: part.ids[i], token: part.tokens[i], offsets: span, word: word, typeID: typeID,
                                special: false, sequence: typeID)
            }
            word += 1
        }
        return encoding
    }
}
