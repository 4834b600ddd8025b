import GlassboxFiles
/// A tokenizer as a Hugging Face checkpoint defines it, giving the same ids, token strings and
/// offsets as the Rust `tokenizers` library (0.21): added tokens are split out, the rest is
/// normalized, pre-tokenized and tokenized by the model, and the post-processor adds the special
/// tokens. Offsets are UTF-8 byte offsets into the input, on character boundaries (what the
/// Python library reports, in bytes). The `truncation` and `padding` a tokenizer.json may carry
/// are not applied, as `transformers` does not apply them to a plain call. Load one with
/// `Tokenizer.load(directory:)` or `Tokenizer(contentsOf:)`. Immutable and `Sendable`; the BPE
/// word cache is shared safely.
///
/// ```swift
/// let tokenizer = try Tokenizer.load(directory: modelFolder)
/// let encoding = try tokenizer.encode("Hello world")   // ids, tokens, byte offsets, word ids
/// let text = tokenizer.decode(encoding.ids, skipSpecialTokens: true)
/// ```
public struct Tokenizer: Sendable {
    let normalizer: (any TextNormalizer)?
    let preTokenizer: (any PreTokenizer)?
    private(set) var model: any TokenizationModel
    /// Adds the special tokens; replaced after loading when `tokenizer_config.json` rebuilds it
    /// (``FastTokenizerOverrides``).
    var postProcessor: (any PostProcessor)?
    let decoder: (any TokenDecoder)?
    let addedVocabulary: AddedVocabulary
    /// The byte-level BPE shortcut, when the pipeline allows it (tests may turn it off).
    var fastPath: ByteLevelBPEPath?
    /// What was loaded: `tokenizer.json`, `vocab.json + merges.txt`, `vocab.txt` or `tokenizer.model`.
    public let source: String
    /// The model's type: `BPE`, `WordPiece`, `WordLevel`, `Unigram`, or `SentencePiece Unigram` /
    /// `SentencePiece BPE` for a `tokenizer.model`.
    public var modelType: String { model.typeName }

    /// The pipeline of these stages; `addedTokens` are added in one `add_tokens` call, then
    /// `laterAddedTokens` in a second (what `transformers` adds over a `tokenizer.json`, see
    /// ``FastTokenizerOverrides``).
    init(normalizer: (any TextNormalizer)?, preTokenizer: (any PreTokenizer)?, model: any TokenizationModel,
         postProcessor: (any PostProcessor)?, decoder: (any TokenDecoder)?, addedTokens: [AddedToken],
         laterAddedTokens: [AddedToken] = [], source: String) throws {
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.model = model
        self.postProcessor = postProcessor
        self.decoder = decoder
        self.source = source
        // Token strings have a stated limit: one huge added token would cost gigabytes to match.
        let limit = InputLimits.tokenBytes
        for (i, token) in (addedTokens + laterAddedTokens).enumerated() where token.content.utf8.count > limit {
            throw TokenizerError.tokenTooLong(file: source, what: "added token \(i)", bytes: token.content.utf8.count,
                                              limit: limit)
        }
        for (piece, id) in model.vocabulary where piece.utf8.count > limit {
            throw TokenizerError.tokenTooLong(file: source, what: "vocabulary piece \(id)", bytes: piece.utf8.count,
                                              limit: limit)
        }
        addedVocabulary = try AddedVocabulary(batches: [addedTokens, laterAddedTokens], model: model, normalizer: normalizer)
        fastPath = ByteLevelBPEPath(normalizer: normalizer, preTokenizer: preTokenizer, model: model,
                                    added: addedVocabulary)
    }

    /// Encodes `text`; with `addSpecialTokens` the post-processor adds `[CLS]`/`<s>`/… as the
    /// checkpoint says.
    public func encode(_ text: String, addSpecialTokens: Bool = true) throws -> Encoding {
        try namingFile { try postProcess([encodeSequence(text, typeID: 0)], texts: [text], addSpecialTokens: addSpecialTokens) }
    }

    /// Encodes a pair of texts (`[CLS] A [SEP] B [SEP]` for BERT); offsets of the second part
    /// are into `pair`.
    public func encode(_ text: String, pair: String, addSpecialTokens: Bool = true) throws -> Encoding {
        try namingFile {
            try postProcess([encodeSequence(text, typeID: 0), encodeSequence(pair, typeID: 1)], texts: [text, pair],
                            addSpecialTokens: addSpecialTokens)
        }
    }

    /// `body`, with the tokenizer's file named in a missing-unknown-token error (the model that
    /// throws it does not know its file).
    private func namingFile<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch TokenizerError.unknownTokenMissing(let model, let token, nil) {
            throw TokenizerError.unknownTokenMissing(model: model, token: token, file: source)
        }
    }

    /// The text of `ids` as the checkpoint's decoder produces it (tokens joined by spaces when
    /// it has none); unknown ids are skipped, and special tokens too with `skipSpecialTokens`.
    public func decode(_ ids: [Int], skipSpecialTokens: Bool = false) -> String {
        if let sentencePiece = model as? SentencePieceProcessor {
            return sentencePiece.decode(ids) { id in
                addedVocabulary.content(for: id).map { skipSpecialTokens && addedVocabulary.isSpecial($0) ? "" : $0 }
            }
        }
        let tokens = ids.compactMap { id -> String? in
            guard let token = addedVocabulary.content(for: id) ?? model.piece(for: id) else { return nil }
            if skipSpecialTokens && addedVocabulary.isSpecial(token) { return nil }
            return token
        }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decodeChain(tokens).joined()
    }

    /// The id of a token string (added tokens first, then the model's vocabulary).
    public func id(of token: String) -> Int? {
        addedVocabulary.id(of: token) ?? model.id(of: token)
    }

    /// The token string of an id (added tokens first), `nil` if unknown.
    public func token(for id: Int) -> String? {
        addedVocabulary.content(for: id) ?? model.piece(for: id)
    }

    /// Whether `token` is a special added token (skipped by `decode(skipSpecialTokens:)`).
    public func isSpecial(_ token: String) -> Bool { addedVocabulary.isSpecial(token) }

    /// The model's vocabulary size (without added tokens that are not in it).
    public var modelVocabularySize: Int { model.vocabularySize }

    /// All token strings by id, added tokens included.
    public var pieces: [Int: String] {
        var out: [Int: String] = [:]
        for (piece, id) in model.vocabulary { out[id] = piece }
        for (id, token) in addedVocabulary.tokensByID { out[id] = token.content }
        return out
    }

    /// One sequence through added tokens, normalizer, pre-tokenizer and model.
    func encodeSequence(_ text: String, typeID: Int) throws -> Encoding {
        if let sentencePiece = model as? SentencePieceProcessor { return try encodeSentencePiece(sentencePiece, text, typeID: typeID) }
        var bytes = Array(text.utf8)
        guard bytes.count < Int(Int32.max) else { throw TokenizerError.inputTooLong(bytes: bytes.count) }
        if let fastPath {
            let (scalars, starts) = bytes.withUnsafeBufferPointer { UTF8Decoding.scalarsWithOffsets($0) }
            if fastPath.accepts(scalars) {
                return try bytes.withUnsafeBufferPointer { buffer in
                    try encodeFast(fastPath, scalars: scalars, starts: starts, bytes: buffer, typeID: typeID)
                }
            }
        }
        let original = bytes.withUnsafeBufferPointer { NormalizedString(original: $0, range: 0..<$0.count) }
        bytes = []
        var pre = try addedVocabulary.extractAndNormalize(original, normalizer: normalizer, file: source)
        try preTokenizer?.preTokenize(&pre)
        var encoding = Encoding()
        var tokens: [ModelToken] = []
        var utf8: [UInt8] = [], starts: [Int32] = []
        for (word, split) in pre.splits.enumerated() {
            let normalized = split.normalized
            normalized.utf8(into: &utf8, starts: &starts)
            if let added = split.tokens {
                tokens = added
            } else {
                tokens.removeAll(keepingCapacity: true)
                try utf8.withUnsafeBufferPointer { try model.tokenize($0, into: &tokens) }
            }
            var scalar = 0
            for (k, token) in tokens.enumerated() {
                let span: TokenSpan
                if token.end > utf8.count || token.start >= token.end {
                    span = TokenSpan(start: token.start, end: token.end)
                } else {
                    while Int(starts[scalar + 1]) <= token.start { scalar += 1 }
                    var last = scalar
                    while Int(starts[last + 1]) < token.end { last += 1 }
                    let range = normalized.originalRange(ofScalars: scalar..<(last + 1))
                    span = TokenSpan(start: range.start, end: range.end)
                }
                let value = split.values?[k] ?? model.tokenValue(token, in: utf8) ?? model.piece(for: token.id) ?? ""
                encoding.append(id: token.id, token: value, offsets: span, word: word, typeID: typeID,
                                special: false, sequence: typeID)
            }
        }
        return encoding
    }

    private func encodeFast(_ path: ByteLevelBPEPath, scalars: [Unicode.Scalar], starts: [Int32],
                            bytes: UnsafeBufferPointer<UInt8>, typeID: Int) throws -> Encoding {
        var encoding = Encoding()
        encoding.reserveCapacity(bytes.count / 3 + 4)
        var scratch = ByteLevelBPEPath.Scratch()
        var word = 0
        for (range, id) in try addedVocabulary.rawPieces(of: scalars, file: source) {
            if let id {
                var value = String.UnicodeScalarView()
                value.append(contentsOf: scalars[range])
                encoding.append(id: id, token: String(value),
                                offsets: TokenSpan(start: Int(starts[range.lowerBound]), end: Int(starts[range.upperBound])),
                                word: word, typeID: typeID, special: false, sequence: typeID)
                word += 1
            } else {
                try path.encode(segment: scalars[range], starts: starts[range.lowerBound...range.upperBound], bytes: bytes,
                                word: &word, typeID: typeID, into: &encoding, scratch: &scratch)
            }
        }
        return encoding
    }

    /// The post-processor on the encodings of `texts` (one or a pair). It sees the offsets in
    /// characters, as the reference's does (``CharacterOffsets``: ByteLevel's `trim_offsets` moves a
    /// span by whole characters); they come back in bytes, on character boundaries.
    private func postProcess(_ encodings: [Encoding], texts: [String], addSpecialTokens: Bool) throws -> Encoding {
        guard let postProcessor else {
            var result = Encoding()
            for e in encodings { result.append(contentsOf: e) }
            return result
        }
        let tables = texts.map(CharacterOffsets.init)
        var inCharacters = encodings
        for (s, table) in zip(inCharacters.indices, tables) { inCharacters[s].offsets = inCharacters[s].offsets.map(table.characters) }
        var result = try postProcessor.run(inCharacters, addSpecialTokens: addSpecialTokens)
        for i in 0..<result.count {
            if let s = result.sequenceIDs[i], s < tables.count { result.offsets[i] = tables[s].bytes(result.offsets[i]) }
        }
        return result
    }
}

extension Tokenizer {
    /// Whether pieces are GPT-2 byte-level symbols (a ByteLevel stage anywhere in the pipeline).
    var usesByteLevel: Bool {
        func pre(_ p: (any PreTokenizer)?) -> Bool {
            if p is ByteLevelPreTokenizer { return true }
            if let s = p as? PreTokenizerSequence { return s.preTokenizers.contains { pre($0) } }
            return false
        }
        func dec(_ d: (any TokenDecoder)?) -> Bool {
            if d is ByteLevelDecoder { return true }
            if let s = d as? DecoderSequence { return s.decoders.contains { dec($0) } }
            return false
        }
        func norm(_ n: (any TextNormalizer)?) -> Bool {
            if n is ByteLevelNormalizer { return true }
            if let s = n as? NormalizerSequence { return s.normalizers.contains { norm($0) } }
            return false
        }
        return pre(preTokenizer) || dec(decoder) || norm(normalizer)
    }
}

extension Tokenizer {
    /// A copy whose BPE word caches (the model's and the byte-level path's) start empty and keep
    /// at most `capacity` words, as the reference's `BPE(cache_capacity:)` does (default 100,000
    /// here, 10,000 in `tokenizers`); words of 256 bytes or more are never cached, on both sides.
    /// A cache changes speed, never results. For benchmarks that must match the reference's policy.
    package func withWordCache(capacity: Int) -> Tokenizer {
        var copy = self
        if var bpe = model as? BPEModel {
            bpe.cache = BPECache(capacity: capacity)
            copy.model = bpe
        }
        if var path = fastPath {
            path.cache = BPECache(capacity: capacity)
            copy.fastPath = path
        }
        return copy
    }
}
