import Foundation
import GlassboxFiles

/// The id → token-string table of a checkpoint, read from `tokenizer.json` (`model.vocab`),
/// `vocab.json` (GPT-2 BPE) or `vocab.txt` (WordPiece). It only names tokens for display; it does
/// not tokenize text.
public struct TokenVocabulary: Sendable {
    /// How pieces encode text, which decides how they are shown.
    public enum Style: String, Sendable {
        /// GPT-2 byte-level: bytes mapped to printable characters (`Ġ` = space, `Ċ` = newline).
        case byteLevel = "byte-level BPE"
        /// WordPiece: `##` marks a continuation.
        case wordPiece = "WordPiece"
        /// SentencePiece: `▁` marks a space.
        case sentencePiece = "SentencePiece"
    }

    /// How the pieces encode text, which decides `displayText(_:)`.
    public let style: Style
    /// The file the table came from.
    public let file: URL
    private let pieces: [Int: String]
    private let ids: [String: Int]

    /// A table from id → piece; when several ids share a piece, `id(of:)` answers one of
    /// them. `file` is where the table came from.
    public init(pieces: [Int: String], style: Style, file: URL) {
        self.pieces = pieces
        self.style = style
        self.file = file
        var ids: [String: Int] = [:]
        for (id, piece) in pieces where ids[piece] == nil { ids[piece] = id }
        self.ids = ids
    }

    /// Number of ids in the table (added tokens included when read from a tokenizer).
    public var count: Int { pieces.count }

    /// The raw piece of `id` as the vocabulary stores it, `nil` if unknown.
    public func piece(_ id: Int) -> String? { pieces[id] }

    /// The id of a raw piece (e.g. `[MASK]`), `nil` if absent.
    public func id(of piece: String) -> Int? { ids[piece] }

    /// The text a token stands for, for display: byte-level pieces are mapped back to bytes,
    /// `▁` becomes a space; unknown ids show as `<id>`.
    public func displayText(_ id: Int) -> String {
        guard let piece = pieces[id] else { return "<\(id)>" }
        switch style {
        case .byteLevel:
            let bytes = piece.unicodeScalars.compactMap { ByteLevel.byte(for: $0) }
            guard bytes.count == piece.unicodeScalars.count else { return piece }
            return String(decoding: bytes, as: UTF8.self)
        case .sentencePiece:
            return piece.replacingOccurrences(of: "\u{2581}", with: " ")
        case .wordPiece:
            return piece
        }
    }

    /// The vocabulary of a loaded tokenizer (added tokens included), styled by its pipeline.
    public init(tokenizer: Tokenizer) {
        let style: Style = tokenizer.modelType == "WordPiece" ? .wordPiece
            : tokenizer.usesByteLevel ? .byteLevel : .sentencePiece
        self.init(pieces: tokenizer.pieces, style: style, file: URL(fileURLWithPath: tokenizer.source))
    }

    /// Loads the vocabulary of a model folder; `nil` when it has no vocabulary file.
    public static func load(directory: URL) throws -> TokenVocabulary? {
        let fm = FileManager.default
        let tokenizerJSON = directory.appendingPathComponent("tokenizer.json")
        if fm.fileExists(atPath: tokenizerJSON.path) { return try fromTokenizerJSON(tokenizerJSON) }
        let vocabJSON = directory.appendingPathComponent("vocab.json")
        if fm.fileExists(atPath: vocabJSON.path) {
            return TokenVocabulary(pieces: try readJSONVocab(vocabJSON), style: .byteLevel, file: vocabJSON)
        }
        let vocabTXT = directory.appendingPathComponent("vocab.txt")
        if fm.fileExists(atPath: vocabTXT.path) {
            let text = String(decoding: try LegacyFiles.read(vocabTXT), as: UTF8.self)
            var lines = text.components(separatedBy: "\n")
            if lines.last == "" { lines.removeLast() }
            let pieces = Dictionary(uniqueKeysWithValues: lines.enumerated().map { ($0.offset, $0.element) })
            return TokenVocabulary(pieces: pieces, style: .wordPiece, file: vocabTXT)
        }
        return nil
    }

    private static func readJSONVocab(_ url: URL) throws -> [Int: String] {
        guard let object = try parseJSON(url) as? [String: Any] else {
            throw VocabularyError.malformed(file: url.path, detail: "expected a JSON object of token → id")
        }
        return try invert(object, file: url)
    }

    /// A JSON vocabulary file parsed, or an error naming the file and the place it stops being
    /// JSON (Foundation's own text never reaches the user).
    private static func parseJSON(_ url: URL) throws -> Any {
        let data = try readJSON(url)
        do {
            return try JSONSerialization.jsonObject(with: data)
        } catch {
            let bytes = [UInt8](data)
            let place = LastKeyWins.syntaxErrorPlace(data) ?? JSONString.firstProblem(in: bytes)?.place(in: bytes)
            throw VocabularyError.malformed(file: url.path, detail: "invalid JSON" + (place.map { " \($0)" } ?? ""))
        }
    }

    /// A JSON vocabulary file, checked as every tokenizer file is (regular file, size, depth).
    private static func readJSON(_ url: URL) throws -> Data {
        let data = try LegacyFiles.read(url)
        if let problem = PythonJSONEncoding.problem(data) { throw VocabularyError.malformed(file: url.path, detail: problem) }
        try InputFile.checkJSONText(data, path: url.path, pythonSyntax: true)
        return data
    }

    private static func invert(_ object: [String: Any], file: URL) throws -> [Int: String] {
        var pieces: [Int: String] = [:]
        for (piece, value) in object {
            guard let id = value as? Int else {
                throw VocabularyError.malformed(file: file.path, detail: "the id of '\(piece)' is not an integer")
            }
            pieces[id] = piece
        }
        return pieces
    }

    private static func fromTokenizerJSON(_ url: URL) throws -> TokenVocabulary {
        guard let root = try parseJSON(url) as? [String: Any],
              let model = root["model"] as? [String: Any] else {
            throw VocabularyError.malformed(file: url.path, detail: "no 'model' object")
        }
        var pieces: [Int: String] = [:]
        if let vocab = model["vocab"] as? [String: Any] {
            pieces = try invert(vocab, file: url)
        } else if let list = model["vocab"] as? [[Any]] {       // Unigram: [[piece, score], …]
            for (id, entry) in list.enumerated() { if let piece = entry.first as? String { pieces[id] = piece } }
        } else {
            throw VocabularyError.malformed(file: url.path, detail: "no 'model.vocab'")
        }
        for case let token as [String: Any] in root["added_tokens"] as? [Any] ?? [] {
            if let id = token["id"] as? Int, let content = token["content"] as? String { pieces[id] = content }
        }
        let type = model["type"] as? String
        let decoder = (root["decoder"] as? [String: Any])?["type"] as? String
        let style: Style = type == "WordPiece" ? .wordPiece
            : (decoder == "ByteLevel" || (root["pre_tokenizer"] as? [String: Any])?["type"] as? String == "ByteLevel")
                ? .byteLevel : .sentencePiece
        return TokenVocabulary(pieces: pieces, style: style, file: url)
    }
}

/// A vocabulary file that cannot be read.
public enum VocabularyError: Error, LocalizedError, Equatable {
    /// The file is not a vocabulary of the expected shape (no `model.vocab`, an id that is not an
    /// integer, …); `detail` says what is wrong.
    case malformed(file: String, detail: String)

    /// One readable line naming the file.
    public var errorDescription: String? {
        switch self {
        case .malformed(let file, let detail): "\(file) is not a valid vocabulary: \(detail)"
        }
    }
}
