/// WordLevel: each split is one token, or the unknown token.
struct WordLevelModel: TokenizationModel {
    let table: PieceTable
    let pieces: [String?]
    let unknownToken: String

    var typeName: String { "WordLevel" }
    var vocabularySize: Int { table.count }
    var vocabulary: [(String, Int)] { table.entries }

    init(config: ConfigReader) throws {
        let vocabulary = try ModelRegistry.vocabulary(config)
        table = PieceTable(vocabulary)
        pieces = ModelRegistry.pieces(vocabulary)
        unknownToken = try config.optionalString("unk_token") ?? "<unk>"
    }

    func id(of piece: String) -> Int? { table.id(of: piece) }
    func piece(for id: Int) -> String? { id >= 0 && id < pieces.count ? pieces[id] : nil }

    func tokenize(_ word: UnsafeBufferPointer<UInt8>, into tokens: inout [ModelToken]) throws {
        if let id = table.id(word) {
            tokens.append(ModelToken(id: id, start: 0, end: word.count))
        } else if let unk = table.id(of: unknownToken) {
            tokens.append(ModelToken(id: unk, start: 0, end: word.count))
        } else {
            throw TokenizerError.unknownTokenMissing(model: typeName, token: unknownToken)
        }
    }
}
