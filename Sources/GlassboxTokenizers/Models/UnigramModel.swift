/// Unigram language-model tokenization (Kudo 2018, "Subword Regularization", §2: the most
/// probable segmentation x* = argmax_x Σ log p(x_i), found by Viterbi), as the Rust `tokenizers`
/// library runs it (checked as docs/correctness.md § Tokenizers says): every piece of the vocabulary that matches at a
/// character boundary is an edge of the lattice weighted by its score; a character that no
/// single-character piece covers gets an unknown edge scored `min score − 10`; the best path ending
/// at each byte keeps the first candidate among equal scores (shorter pieces and earlier starts are
/// tried first). Consecutive unknown pieces are fused into one token; a token that is not in the
/// vocabulary becomes its `<0xXX>` byte pieces (`byte_fallback`, all sharing its offsets) or the
/// unknown id. The n-best and sampling modes (training-time regularizers) are not provided.
struct UnigramModel: TokenizationModel {
    /// Piece → id (a repeated piece keeps its last id, as a Rust `HashMap` does).
    let table: PieceTable
    /// `pieces[id]` and `scores[id]`, in vocabulary order (repeats included).
    let pieces: [String]
    let scores: [Double]
    let unknownID: Int?
    let byteFallback: Bool
    /// The lowest score of the vocabulary minus the unknown penalty (10).
    let unknownScore: Double
    /// A byte trie of the pieces (a repeated piece ends at its last id), so all pieces starting at
    /// a position are found in one walk, shortest first.
    let trie: ByteTrie
    /// Ids of the `<0x00>`…`<0xFF>` pieces (-1 where absent).
    let byteTokenIDs: [Int32]

    /// The score given to an unknown character below the lowest piece score.
    static let unknownPenalty = 10.0

    var typeName: String { "Unigram" }
    var vocabularySize: Int { pieces.count }
    var vocabulary: [(String, Int)] { table.entries }

    /// Builds the model from `[piece, score]` entries; `file` names the source in errors.
    init(entries: [(String, Double)], unknownID: Int?, byteFallback: Bool, file: String) throws {
        if let unknownID {
            if entries.isEmpty {
                throw TokenizerError.malformedFile(file: file, detail: "model.vocab: the vocabulary is empty but unk_id is set")
            }
            if unknownID >= entries.count {
                throw TokenizerError.malformedFile(
                    file: file, detail: "model.unk_id: \(unknownID) is beyond the vocabulary of \(entries.count) pieces")
            }
        }
        var table = PieceTable(capacity: entries.count)
        var minimum = Double.infinity
        for (id, (piece, score)) in entries.enumerated() {
            table.insert(piece, id: id)
            minimum = min(minimum, score)
        }
        self.table = table
        trie = ByteTrie(entries.enumerated().map { ($0.element.0, $0.offset) })
        pieces = entries.map(\.0)
        scores = entries.map(\.1)
        self.unknownID = unknownID
        self.byteFallback = byteFallback
        unknownScore = minimum - Self.unknownPenalty
        byteTokenIDs = (0..<256).map { b in
            Int32(table.id(of: "<0x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2) + ">") ?? -1)
        }
    }

    init(config: ConfigReader) throws {
        let entries: [(String, Double)] = try config.array("vocab").map { entry in
            guard case .array(let pair) = entry.value, pair.count == 2, case .string(let piece) = pair[0] else {
                throw entry.fail("a Unigram vocabulary entry must be [piece, score]")
            }
            switch pair[1] {
            case .double(let score): return (piece, score)
            case .int(let score): return (piece, Double(score))
            default: throw entry.fail("the score of \(piece.debugDescription) must be a number")
            }
        }
        var unknownID: Int? = nil
        if let value = config.member("unk_id"), !value.isNull {
            guard case .int(let id) = value, id >= 0 else { throw config.fail("'unk_id' must be a non-negative integer") }
            unknownID = id
        }
        try self.init(entries: entries, unknownID: unknownID, byteFallback: try config.optionalBool("byte_fallback") ?? false,
                      file: config.file)
    }

    func id(of piece: String) -> Int? { table.id(of: piece) }
    func piece(for id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id] : nil }

    /// An unknown token's string is the text it covers (`Token.value` in the reference), not
    /// the unknown piece.
    func tokenValue(_ token: ModelToken, in word: [UInt8]) -> String? {
        guard token.id == unknownID, token.start >= 0, token.start <= token.end, token.end <= word.count else { return nil }
        return String(decoding: word[token.start..<token.end], as: UTF8.self)
    }

    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) throws {
        if word.isEmpty { return }
        let n = word.count
        // Best path ending at each byte: its score, the start of its last piece (-1: none yet)
        // and that piece's id.
        var bestScore = [Double](repeating: 0, count: n + 1)
        var bestStart = [Int](repeating: -1, count: n + 1)
        var bestID = [Int](repeating: 0, count: n + 1)
        var start = 0
        while start < n {
            let scoreHere = bestScore[start]
            let characterLength = min(UTF8Decoding.length(leadByte: word[start]), n - start)
            var hasSingleCharacter = false
            trie.forEachPrefix(of: word, from: start) { length, id in
                let end = start + length
                let candidate = scoreHere + scores[id]
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = id
                }
                if length == characterLength { hasSingleCharacter = true }
            }
            if !hasSingleCharacter {
                let end = start + characterLength
                let candidate = scoreHere + unknownScore
                if bestStart[end] < 0 || candidate > bestScore[end] {
                    guard let unknownID else {
                        throw TokenizerError.unknownTokenMissing(model: typeName, token: nil)
                    }
                    bestScore[end] = candidate
                    bestStart[end] = start
                    bestID[end] = unknownID
                }
            }
            start += characterLength
        }
        // Backtrack, fusing runs of unknown pieces.
        var segments: [(start: Int, end: Int, id: Int, fused: Bool)] = []
        var end = n
        var unknownEnd = -1
        while end > 0 {
            let begin = bestStart[end]
            if let unknownID, bestID[end] == unknownID {
                if unknownEnd < 0 { unknownEnd = end }
            } else {
                if unknownEnd >= 0 { segments.append((end, unknownEnd, -1, true)); unknownEnd = -1 }
                segments.append((begin, end, bestID[end], false))
            }
            end = begin
        }
        if unknownEnd >= 0 { segments.append((0, unknownEnd, -1, true)) }
        for segment in segments.reversed() {
            if !segment.fused {
                tokens.append(ModelToken(id: segment.id, start: segment.start, end: segment.end))
                continue
            }
            let bytes = UnsafeBufferPointer(rebasing: word[segment.start..<segment.end])
            if let id = table.id(bytes) {
                tokens.append(ModelToken(id: id, start: segment.start, end: segment.end))
            } else if byteFallback, bytes.allSatisfy({ byteTokenIDs[Int($0)] >= 0 }) {
                for b in bytes {
                    tokens.append(ModelToken(id: Int(byteTokenIDs[Int(b)]), start: segment.start, end: segment.end))
                }
            } else if let unknownID {
                tokens.append(ModelToken(id: unknownID, start: segment.start, end: segment.end))
            } else {
                throw TokenizerError.unknownTokenMissing(model: typeName, token: nil)
            }
        }
    }
}
