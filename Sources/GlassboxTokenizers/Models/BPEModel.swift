/// Byte-pair encoding, as the Rust `tokenizers` library runs it: a word starts as its characters
/// (with `continuing_subword_prefix` on all but the first and `end_of_word_suffix` on the last);
/// characters not in the vocabulary become their `<0xXX>` byte tokens (`byte_fallback`) or the
/// unknown token (consecutive ones fused with `fuse_unk`), or are dropped when there is none; then
/// the pair with the lowest merge rank is merged, leftmost first among equal ranks, until no pair
/// has a merge. With `ignore_merges` (Llama 3) a word that is itself in the vocabulary is one
/// token. Results are cached per word. BPE dropout (a training-time regularizer) is not applied:
/// encoding is deterministic, as the reference's is with dropout 0.
struct BPEModel: TokenizationModel {
    let table: PieceTable
    let pieces: [String?]
    let merges: MergeTable
    let unknownToken: String?
    let continuingSubwordPrefix: [UInt8]?
    let endOfWordSuffix: [UInt8]?
    let fuseUnknown: Bool
    let byteFallback: Bool
    let ignoreMerges: Bool
    /// Ids of the `<0x00>`…`<0xFF>` pieces (-1 where absent).
    let byteTokenIDs: [Int32]
    /// Ids of single-scalar pieces below U+0180 (-1 where absent): covers ASCII and every
    /// byte-level symbol without a hash lookup.
    let smallScalarIDs: [Int32]
    var cache = BPECache(capacity: BPECache.defaultCapacity)

    var typeName: String { "BPE" }
    var vocabularySize: Int { table.count }
    var vocabulary: [(String, Int)] { table.entries }

    struct Options {
        var unknownToken: String? = nil
        var continuingSubwordPrefix: String? = nil
        var endOfWordSuffix: String? = nil
        var fuseUnknown = false
        var byteFallback = false
        var ignoreMerges = false
    }

    /// Builds the model; `file` names the source in errors. Merges are (left, right) pieces in
    /// rank order; a merge whose pieces or result are not in the vocabulary is an error.
    init(vocabulary: [(String, Int)], merges: [(String, String)], options: Options, file: String) throws {
        table = PieceTable(vocabulary)
        pieces = ModelRegistry.pieces(vocabulary)
        unknownToken = options.unknownToken
        continuingSubwordPrefix = options.continuingSubwordPrefix.map { Array($0.utf8) }
        endOfWordSuffix = options.endOfWordSuffix.map { Array($0.utf8) }
        fuseUnknown = options.fuseUnknown
        byteFallback = options.byteFallback
        ignoreMerges = options.ignoreMerges
        let prefixLength = continuingSubwordPrefix?.count ?? 0
        var mergeTable = MergeTable(capacity: merges.count)
        for (rank, (left, right)) in merges.enumerated() {
            guard let a = table.id(of: left) else { throw Self.outOfVocabulary(left, file: file) }
            guard let b = table.id(of: right) else { throw Self.outOfVocabulary(right, file: file) }
            let rightBytes = Array(right.utf8)
            let merged = Array(left.utf8) + rightBytes[min(prefixLength, rightBytes.count)...]
            guard let result = table.id(of: merged) else {
                throw Self.outOfVocabulary(String(decoding: merged, as: UTF8.self), file: file)
            }
            mergeTable.insert(left: a, right: b, rank: rank, result: result)
        }
        self.merges = mergeTable
        let table = self.table
        byteTokenIDs = (0..<256).map { b in
            Int32(table.id(of: "<0x" + String(b, radix: 16, uppercase: true).leftPadded(to: 2) + ">") ?? -1)
        }
        smallScalarIDs = (0..<0x180).map { v in
            Unicode.Scalar(UInt32(v)).flatMap { table.id(of: String(Character($0))) }.map(Int32.init) ?? -1
        }
    }

    private static func outOfVocabulary(_ piece: String, file: String) -> TokenizerError {
        .malformedFile(file: file, detail: "model.merges: the token \(piece.debugDescription) is not in the vocabulary")
    }

    init(config: ConfigReader) throws {
        var options = Options()
        options.unknownToken = try config.optionalString("unk_token")
        options.continuingSubwordPrefix = try config.optionalString("continuing_subword_prefix")
        options.endOfWordSuffix = try config.optionalString("end_of_word_suffix")
        options.fuseUnknown = try config.optionalBool("fuse_unk") ?? false
        options.byteFallback = try config.optionalBool("byte_fallback") ?? false
        options.ignoreMerges = try config.optionalBool("ignore_merges") ?? false
        let merges: [(String, String)] = try config.array("merges").map { entry in
            switch entry.value {
            case .string(let line):
                let parts = line.split(separator: " ", omittingEmptySubsequences: false)
                guard parts.count == 2 else { throw entry.fail("a merge must be two pieces separated by one space") }
                return (String(parts[0]), String(parts[1]))
            case .array(let pair):
                guard pair.count == 2, case .string(let a) = pair[0], case .string(let b) = pair[1] else {
                    throw entry.fail("a merge must be a pair of strings")
                }
                return (a, b)
            default:
                throw entry.fail("a merge must be a string or a pair of strings")
            }
        }
        try self.init(vocabulary: try ModelRegistry.vocabulary(config), merges: merges, options: options,
                      file: config.file)
    }

    func id(of piece: String) -> Int? { table.id(of: piece) }
    func piece(for id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id] : nil }

    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) throws {
        if word.isEmpty { return }
        if ignoreMerges, let id = table.id(word) {
            tokens.append(ModelToken(id: id, start: 0, end: word.count))
            return
        }
        if cache.lookup(word, into: &tokens) { return }
        let first = tokens.count
        var symbols = try initialSymbols(word)
        symbols.mergeAll(merges)
        var position = 0
        for k in 0..<symbols.count {
            let length = Int(symbols.lengths[k])
            tokens.append(ModelToken(id: Int(symbols.ids[k]), start: position, end: position + length))
            position += length
        }
        if word.count < 256 { cache.store(word, tokens: tokens[first...]) }
    }

    /// The word's characters as symbols, before merging (`merge_word` up to `merge_all`).
    private func initialSymbols(_ word: UnsafeBufferPointer<UInt8>) throws -> BPESymbols {
        var symbols = BPESymbols(capacity: word.count)
        var unknown: (id: Int32, length: Int32)? = nil
        var scratch: [UInt8] = []
        var i = 0
        while i < word.count {
            let length = UTF8Decoding.length(leadByte: word[i])
            let end = min(i + length, word.count)
            let isFirst = i == 0, isLast = end == word.count
            let plainPiece = (isFirst || continuingSubwordPrefix == nil) && (!isLast || endOfWordSuffix == nil)
            var id: Int32 = -1
            if plainPiece {
                let (scalar, _) = UTF8Decoding.decode(word, at: i)
                if scalar.value < 0x180 {
                    id = smallScalarIDs[Int(scalar.value)]
                } else {
                    id = Int32(table.id(UnsafeBufferPointer(rebasing: word[i..<end])) ?? -1)
                }
            } else {
                scratch.removeAll(keepingCapacity: true)
                if !isFirst, let p = continuingSubwordPrefix { scratch += p }
                scratch += UnsafeBufferPointer(rebasing: word[i..<end])
                if isLast, let s = endOfWordSuffix { scratch += s }
                id = Int32(table.id(of: scratch) ?? -1)
            }
            if id >= 0 {
                if let u = unknown { symbols.append(id: u.id, length: u.length); unknown = nil }
                symbols.append(id: id, length: Int32(end - i))
            } else {
                let piece = plainPiece ? Array(UnsafeBufferPointer(rebasing: word[i..<end])) : scratch
                if byteFallback, piece.allSatisfy({ byteTokenIDs[Int($0)] >= 0 }) {
                    for b in piece { symbols.append(id: byteTokenIDs[Int(b)], length: 1) }
                    i = end
                    continue
                }
                if let unknownToken {
                    guard let unk = table.id(of: unknownToken) else {
                        throw TokenizerError.unknownTokenMissing(model: typeName, token: unknownToken)
                    }
                    if let u = unknown {
                        if fuseUnknown {
                            unknown = (u.id, u.length + Int32(end - i))
                        } else {
                            symbols.append(id: u.id, length: u.length)
                            unknown = (Int32(unk), Int32(end - i))
                        }
                    } else {
                        unknown = (Int32(unk), Int32(end - i))
                    }
                }
            }
            i = end
        }
        if let u = unknown { symbols.append(id: u.id, length: u.length) }
        return symbols
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
