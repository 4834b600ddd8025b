import Foundation

/// A `tokenizer.model` run as `sentencepiece.SentencePieceProcessor` runs it (0.2.1, `Encode` and
/// `Decode`), for checkpoints without a tokenizer.json: normalize the whole text
/// (`SentencePieceNormalizer`), segment it (`SentencePieceUnigram` or `SentencePieceBPE`), then
/// `PopulateSentencePieceText`: a run of unknown pieces becomes one token (its piece string the
/// normalized text it covers), or with byte fallback each unknown character becomes its
/// `<0xXX>` pieces — the last one spanning the character, the others empty at its start. Offsets
/// are input byte offsets through the normalizer's map. No special tokens are added (`encode`'s
/// default in the Python API). The tokens `transformers`' slow→fast converters add are the
/// `Tokenizer`'s added tokens (``SentencePieceFolder``), which cut the text before this runs;
/// their other changes (normalizers, offsets, post-processors) are not reproduced.
/// docs/correctness.md § Tokenizers.
struct SentencePieceProcessor: TokenizationModel {
    let model: SentencePieceModel
    /// Pieces after the model's (ids `pieces.count`…), never produced by segmentation: the
    /// sentinels `transformers`' T5 converter appends to the vocabulary (matched as added tokens).
    let extraPieces: [String]
    /// `extraPieces` → id (`pieces.count + index`), so that looking up each of 100,000 sentinels
    /// is not a scan of all of them.
    private let extraIDs: PieceTable
    private let unigram: SentencePieceUnigram?
    private let bpe: SentencePieceBPE?

    init(_ model: SentencePieceModel, extraPieces: [String] = []) {
        self.model = model
        self.extraPieces = extraPieces
        extraIDs = PieceTable(extraPieces.enumerated().map { ($0.element, model.pieces.count + $0.offset) })
        unigram = model.algorithm == .unigram ? SentencePieceUnigram(model) : nil
        bpe = model.algorithm == .bpe ? SentencePieceBPE(model) : nil
    }

    var typeName: String { "SentencePiece " + model.algorithm.rawValue }
    var vocabularySize: Int { model.pieces.count + extraPieces.count }
    var vocabulary: [(String, Int)] { (model.pieces + extraPieces).enumerated().map { ($0.element, $0.offset) } }
    func piece(for id: Int) -> String? {
        if id >= 0 && id < model.pieces.count { return model.pieces[id] }
        let extra = id - model.pieces.count
        return extra >= 0 && extra < extraPieces.count ? extraPieces[extra] : nil
    }
    func id(of piece: String) -> Int? {
        var bytes = piece
        if let id = bytes.withUTF8({ model.reserved.id($0) ?? model.matchable.id($0) }) { return id }
        return extraIDs.id(of: piece)
    }

    /// Segments already-normalized bytes: (start, end, id) with byte fallback applied, all
    /// bytes of an unknown character sharing its span (the model stage alone; `encode` is the
    /// whole pipeline).
    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) throws {
        for (start, end, id) in segment(word) {
            if id == model.unknownID && model.byteFallback {
                for b in word[start..<end] { tokens.append(ModelToken(id: model.byteIDs[Int(b)], start: start, end: end)) }
            } else {
                tokens.append(ModelToken(id: id, start: start, end: end))
            }
        }
    }

    private func segment(_ normalized: UnsafeBufferPointer<UInt8>) -> [(start: Int, end: Int, id: Int)] {
        unigram?.encode(normalized) ?? bpe?.encode(normalized) ?? []
    }

    /// `SentencePieceProcessor::Encode`: ids, piece strings and input byte offsets of `text`.
    func encode(_ text: String, typeID: Int) throws -> Encoding {
        let input = Array(text.utf8)
        guard input.count < Int(Int32.max) else { throw TokenizerError.inputTooLong(bytes: input.count) }
        let (normalized, toOriginal) = input.withUnsafeBufferPointer { model.normalizer.normalize($0) }
        let segments = normalized.withUnsafeBufferPointer { segment($0) }
        var encoding = Encoding()
        encoding.reserveCapacity(segments.count)
        var previousUnknown = false
        for (start, end, id) in segments {
            let isUnknown = id == model.unknownID
            let begin = toOriginal[start], finish = toOriginal[end]
            func add(_ id: Int, _ piece: String, _ span: TokenSpan) {
                encoding.append(id: id, token: piece, offsets: span, word: 0, typeID: typeID, special: false, sequence: typeID)
            }
            if model.kinds[id] == .control {
                add(id, model.pieces[id], TokenSpan(start: begin, end: begin))
            } else if isUnknown && model.byteFallback {
                for (k, b) in normalized[start..<end].enumerated() {
                    let last = k == end - start - 1
                    add(model.byteIDs[Int(b)], "<0x" + SentencePieceModel.hex(b) + ">",
                        TokenSpan(start: begin, end: last ? finish : begin))
                }
            } else if isUnknown && previousUnknown {
                let i = encoding.count - 1
                encoding.tokens[i] += String(decoding: normalized[start..<end], as: UTF8.self)
                encoding.offsets[i].end = finish
            } else {
                let piece = isUnknown ? String(decoding: normalized[start..<end], as: UTF8.self) : model.pieces[id]
                add(id, piece, TokenSpan(start: begin, end: finish))
            }
            previousUnknown = isUnknown
        }
        return encoding
    }

    /// `SentencePieceProcessor::Decode` of ids (ids outside the vocabulary are skipped, where
    /// the Python API raises): control pieces vanish, the unknown piece becomes the unknown
    /// surface (" ⁇ "), runs of byte pieces are decoded as UTF-8 (each invalid byte as U+FFFD),
    /// "▁" becomes a space, and the first piece loses one leading "▁" when the model adds a
    /// dummy prefix or removes extra whitespace.
    func decode(_ ids: [Int]) -> String { decode(ids, added: { _ in nil }) }

    /// ``decode(_:)`` with added tokens: an id `added` gives text for (an added token's content, or
    /// "" for one skipped) is decoded as a normal piece of that text ("▁" becomes a space, the
    /// first piece's leading one dropped) — never vanishing like a control piece — as the decoders
    /// of `transformers`' converted tokenizers treat added tokens as tokens like the others.
    func decode(_ ids: [Int], added: (Int) -> String?) -> String {
        var text: [UInt8] = []
        var bytes: [UInt8] = []
        func flushBytes() {
            Self.appendDecodingBytes(bytes, to: &text)
            bytes.removeAll()
        }
        var expectBOSSpace = true
        var bosSpaceSeen = false
        for id in ids {
            if let content = added(id) {
                flushBytes()
                if content.isEmpty { continue }
                if bosSpaceSeen || !text.isEmpty { expectBOSSpace = false }
                let (surface, consumedSpace) = decodePiece(content, kind: .normal, atStart: expectBOSSpace)
                bosSpaceSeen = consumedSpace
                text.append(contentsOf: Array(surface.utf8))
                continue
            }
            guard id >= 0 && id < model.pieces.count else { continue }
            let piece = model.pieces[id]
            let pieceID = Array(piece.utf8).withUnsafeBufferPointer { model.id($0) }
            if model.kinds[pieceID] == .byte, let b = SentencePieceModel.byteValue(piece) {
                bytes.append(b)
                continue
            }
            flushBytes()
            if bosSpaceSeen || !text.isEmpty { expectBOSSpace = false }
            let (surface, consumedSpace) = decodePiece(piece, kind: model.kinds[pieceID], atStart: expectBOSSpace,
                                                       unknownPiece: model.pieces[pieceID])
            bosSpaceSeen = consumedSpace
            text.append(contentsOf: Array(surface.utf8))
        }
        flushBytes()
        let result = String(decoding: text, as: UTF8.self)
        return model.denormalizer?.normalize(result) ?? result
    }

    /// `DecodeSentencePiece`: the text of one non-byte piece and whether it consumed the
    /// leading "▁".
    private func decodePiece(_ piece: String, kind: SentencePieceModel.Kind, atStart: Bool,
                             unknownPiece: String? = nil) -> (String, Bool) {
        switch kind {
        case .control: return ("", false)
        case .unknown: return (unknownPiece == piece ? model.unknownSurface : piece, false)
        default: break
        }
        let space = SentencePieceNormalizer.spaceSymbol
        var bytes = Array(piece.utf8)[...]
        var consumed = false
        if atStart && (model.addDummyPrefix || model.removeExtraWhitespaces) && bytes.starts(with: space) {
            bytes = bytes.dropFirst(space.count)
            consumed = !model.removeExtraWhitespaces
        }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = bytes.startIndex
        while i < bytes.endIndex {
            if bytes[i...].starts(with: space) {
                out.append(0x20)
                i += space.count
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return (String(decoding: out, as: UTF8.self), consumed)
    }

    /// `ProcessBytePieces`: the bytes of a run of byte pieces as text, one character at a time
    /// as `string_util::DecodeUTF8` reads them; each byte that does not start a valid character
    /// becomes U+FFFD on its own.
    static func appendDecodingBytes(_ bytes: [UInt8], to text: inout [UInt8]) {
        var i = 0
        while i < bytes.count {
            let length = validCharacterLength(bytes, at: i)
            if length == 0 {
                text.append(contentsOf: [0xEF, 0xBF, 0xBD])
                i += 1
            } else {
                text.append(contentsOf: bytes[i..<(i + length)])
                i += length
            }
        }
    }

    /// The length of the valid UTF-8 character at `i` (shortest form, no surrogate, at most
    /// U+10FFFF), or 0.
    static func validCharacterLength(_ b: [UInt8], at i: Int) -> Int {
        let n = b.count - i
        func trail(_ k: Int) -> Bool { b[i + k] & 0xC0 == 0x80 }
        func valid(_ c: UInt32) -> Bool { c < 0xD800 || (c >= 0xE000 && c <= 0x10FFFF) }
        let b0 = UInt32(b[i])
        if b0 < 0x80 { return 1 }
        if n >= 2 && b0 & 0xE0 == 0xC0 {
            let c = (b0 & 0x1F) << 6 | UInt32(b[i + 1] & 0x3F)
            return trail(1) && c >= 0x80 && valid(c) ? 2 : 0
        }
        if n >= 3 && b0 & 0xF0 == 0xE0 {
            let c = (b0 & 0x0F) << 12 | UInt32(b[i + 1] & 0x3F) << 6 | UInt32(b[i + 2] & 0x3F)
            return trail(1) && trail(2) && c >= 0x800 && valid(c) ? 3 : 0
        }
        if n >= 4 && b0 & 0xF8 == 0xF0 {
            let c = (b0 & 0x07) << 18 | UInt32(b[i + 1] & 0x3F) << 12 | UInt32(b[i + 2] & 0x3F) << 6 | UInt32(b[i + 3] & 0x3F)
            return trail(1) && trail(2) && trail(3) && c >= 0x10000 && valid(c) ? 4 : 0
        }
        return 0
    }
}
