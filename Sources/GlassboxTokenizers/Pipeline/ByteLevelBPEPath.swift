/// The common pipeline of GPT-2, RoBERTa, Llama 3 and Qwen2 — no normalizer (or NFC on text it
/// leaves alone), a split regex, the byte-level mapping, BPE with every byte symbol in its
/// vocabulary — run directly on the input's bytes: BPE merges the raw bytes of each regex match
/// (the byte ↔ symbol mapping is one-to-one, so merges, vocabulary hits and results are the same
/// as on the mapped text), and each token's offsets are the characters holding its first and last
/// byte, which is what the reference's alignments give. `Tokenizer` takes this path when its
/// pipeline has this shape; tests run the goldens through both paths.
struct ByteLevelBPEPath: Sendable {
    let splitter: Regex?
    let addPrefixSpace: Bool
    let nfcNormalizer: Bool
    let model: BPEModel
    /// The model's id of the symbol of each byte.
    let byteIDs: [Int32]
    /// Pieces by their raw bytes (for `ignore_merges`).
    let rawPieces: PieceTable?
    /// Results per raw word (lengths in raw bytes, so not shared with the model's own cache).
    var cache = BPECache(capacity: BPECache.defaultCapacity)

    /// The path for a pipeline, or nil when it does not have the required shape.
    init?(normalizer: (any TextNormalizer)?, preTokenizer: (any PreTokenizer)?, model: any TokenizationModel,
          added: AddedVocabulary) {
        // Normalized added tokens are matched in one pass only without a normalizer and raw tokens
        // (`AddedVocabulary.rawPieces`; legacy GPT-2's `<|endoftext|>` is normalized).
        guard let bpe = model as? BPEModel, !added.hasNormalizedTokens || (normalizer == nil && !added.hasRawTokens),
              (bpe.continuingSubwordPrefix ?? []).isEmpty, (bpe.endOfWordSuffix ?? []).isEmpty else { return nil }
        if let normalizer {
            guard let form = normalizer as? UnicodeFormNormalizer, form.form == .nfc else { return nil }
            nfcNormalizer = true
        } else {
            nfcNormalizer = false
        }
        if let byteLevel = preTokenizer as? ByteLevelPreTokenizer, byteLevel.useRegex {
            guard let regex = ByteLevelPreTokenizer.gpt2Regex else { return nil }
            splitter = regex
            addPrefixSpace = byteLevel.addPrefixSpace
        } else if let sequence = preTokenizer as? PreTokenizerSequence, sequence.preTokenizers.count == 2,
                  let split = sequence.preTokenizers[0] as? SplitPreTokenizer, split.behavior == .isolated,
                  case .regex(let regex) = split.pattern,
                  let byteLevel = sequence.preTokenizers[1] as? ByteLevelPreTokenizer,
                  !byteLevel.useRegex, !byteLevel.addPrefixSpace {
            splitter = regex
            addPrefixSpace = false
        } else {
            return nil
        }
        let ids = (0..<256).map { bpe.table.id(of: String(Character(ByteLevel.characters[$0]))) ?? -1 }
        guard ids.allSatisfy({ $0 >= 0 }) else { return nil }
        byteIDs = ids.map(Int32.init)
        self.model = bpe
        if bpe.ignoreMerges {
            var raw = PieceTable(capacity: bpe.vocabularySize)
            for (piece, id) in bpe.vocabulary {
                let bytes = piece.unicodeScalars.compactMap(ByteLevel.byte(for:))
                if bytes.count == piece.unicodeScalars.count { bytes.withUnsafeBufferPointer { raw.insert($0, id: id) } }
            }
            rawPieces = raw
        } else {
            rawPieces = nil
        }
    }

    /// Whether this text can take the path (NFC must leave it unchanged).
    func accepts(_ scalars: [Unicode.Scalar]) -> Bool {
        !nfcNormalizer || scalars.allSatisfy { $0.value < 0x300 }
    }

    /// Tokenizes one segment between added tokens: `scalars` with their original byte ranges.
    func encode(segment scalars: ArraySlice<Unicode.Scalar>, starts: ArraySlice<Int32>, bytes: UnsafeBufferPointer<UInt8>,
                word: inout Int, typeID: Int, into encoding: inout Encoding, scratch: inout Scratch) throws {
        guard !scalars.isEmpty else { return }
        // The segment, with the prefix space if asked for (aligned with the first character).
        scratch.segment.removeAll(keepingCapacity: true)
        scratch.segmentStarts.removeAll(keepingCapacity: true)
        scratch.segmentEnds.removeAll(keepingCapacity: true)
        if addPrefixSpace && scalars.first != " " {
            scratch.segment.append(" ")
            scratch.segmentStarts.append(starts[starts.startIndex])
            scratch.segmentEnds.append(starts[starts.startIndex + 1])
        }
        scratch.segment.append(contentsOf: scalars)
        scratch.segmentStarts.append(contentsOf: starts.dropLast())
        scratch.segmentEnds.append(contentsOf: starts.dropFirst())
        let prefixed = scratch.segment.count != scalars.count
        let matches = try splitter.map { r in try scratch.segment.withUnsafeBufferPointer { try r.matches(in: $0) } }
            ?? [0..<scratch.segment.count]
        for m in matches where !m.isEmpty {
            // The match's raw bytes and, for each byte, the segment character it belongs to.
            scratch.word.removeAll(keepingCapacity: true)
            scratch.byteChar.removeAll(keepingCapacity: true)
            for k in m {
                if prefixed && k == 0 {
                    scratch.word.append(0x20)
                    scratch.byteChar.append(Int32(k))
                    continue
                }
                for b in Int(scratch.segmentStarts[k])..<Int(scratch.segmentEnds[k]) {
                    scratch.word.append(bytes[b])
                    scratch.byteChar.append(Int32(k))
                }
            }
            scratch.tokens.removeAll(keepingCapacity: true)
            try scratch.word.withUnsafeBufferPointer { try tokenize($0, into: &scratch.tokens) }
            for t in scratch.tokens {
                let first = Int(scratch.byteChar[t.start]), last = Int(scratch.byteChar[t.end - 1])
                encoding.append(id: t.id, token: model.pieces[t.id] ?? "",
                                offsets: TokenSpan(start: Int(scratch.segmentStarts[first]), end: Int(scratch.segmentEnds[last])),
                                word: word, typeID: typeID, special: false, sequence: typeID)
            }
            word += 1
        }
    }

    /// BPE of one word given as raw bytes (`merge_word` with one symbol per byte).
    private func tokenize(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) throws {
        if let rawPieces, let id = rawPieces.id(word) {
            tokens.append(ModelToken(id: id, start: 0, end: word.count))
            return
        }
        if cache.lookup(word, into: &tokens) { return }
        var symbols = BPESymbols(capacity: word.count)
        for b in word { symbols.append(id: byteIDs[Int(b)], length: 1) }
        symbols.mergeAll(model.merges)
        var position = 0
        for k in 0..<symbols.count {
            let length = Int(symbols.lengths[k])
            tokens.append(ModelToken(id: Int(symbols.ids[k]), start: position, end: position + length))
            position += length
        }
        if word.count < 256 { cache.store(word, tokens: tokens[...]) }
    }

    /// Buffers reused across the segments of one encode.
    struct Scratch {
        var segment: [Unicode.Scalar] = []
        var segmentStarts: [Int32] = []
        var segmentEnds: [Int32] = []
        var word: [UInt8] = []
        var byteChar: [Int32] = []
        var tokens: [ModelToken] = []
    }
}
