import Foundation
import GlassboxTokenizers
import XCTest

/// `tokenizer.model` files built byte by byte: the piece types the goldens' trained models do not
/// have (unused pieces), and every way a hostile file is refused with a typed error naming it. The
/// expected segmentations and decodes of the behaviour tests are what sentencepiece 0.2.1 gives
/// for the same bytes (checked once by hand; the goldens cover the trained models).
final class SentencePieceModelTests: XCTestCase {
    // MARK: Protobuf wire format, enough to write a ModelProto

    static func varint(_ v: UInt64) -> [UInt8] {
        var v = v, out: [UInt8] = []
        while v >= 0x80 { out.append(UInt8(v & 0x7F) | 0x80); v >>= 7 }
        return out + [UInt8(v)]
    }
    static func field(_ number: Int, bytes: [UInt8]) -> [UInt8] { varint(UInt64(number << 3 | 2)) + varint(UInt64(bytes.count)) + bytes }
    static func field(_ number: Int, int: UInt64) -> [UInt8] { varint(UInt64(number << 3)) + varint(int) }
    /// `ModelProto.SentencePiece`: type 1 normal, 2 unknown, 3 control, 4 user-defined, 5 unused, 6 byte.
    static func piece(_ text: String, _ score: Float, type: UInt64 = 1) -> [UInt8] {
        let s = score.bitPattern
        let body = field(1, bytes: Array(text.utf8)) + [0x15, UInt8(s & 0xFF), UInt8(s >> 8 & 0xFF), UInt8(s >> 16 & 0xFF), UInt8(s >> 24)]
            + field(3, int: type)
        return field(1, bytes: body)
    }
    /// A model: pieces, then the trainer spec (model_type, byte_fallback) and a normalizer spec
    /// with no charsmap (defaults: dummy prefix, extra whitespace removed, spaces escaped).
    static func model(_ pieces: [[UInt8]], modelType: UInt64 = 1, byteFallback: Bool = false, extraTrainer: [UInt8] = []) -> Data {
        let trainer = field(3, int: modelType) + (byteFallback ? field(35, int: 1) : []) + extraTrainer
        return Data(pieces.flatMap { $0 } + field(2, bytes: trainer) + field(3, bytes: field(1, bytes: Array("identity".utf8))))
    }
    static let basic: [[UInt8]] = [piece("<unk>", 0, type: 2), piece("<s>", 0, type: 3), piece("▁", -2), piece("a", -3),
                                   piece("b", -3), piece("▁a", -1), piece("ab", -1.5)]

    func encode(_ data: Data, _ text: String) throws -> ([Int], [String]) {
        let e = try Tokenizer(sentencePieceModel: data).encode(text)
        return (e.ids, e.tokens)
    }

    // MARK: Behaviour

    func testUnigramPicksTheBestPathAndMergesUnknownRuns() throws {
        let (ids, tokens) = try encode(Self.model(Self.basic), "ab ab xyz")
        // "▁" + "ab" (−3.5) beats "▁a" + "b" (−4); "xyz" is one merged unknown token.
        XCTAssertEqual(tokens, ["▁", "ab", "▁", "ab", "▁", "xyz"])
        XCTAssertEqual(ids, [2, 6, 2, 6, 2, 0])
    }

    func testUnusedPiecesAreNeverProducedByUnigram() throws {
        let pieces = Self.basic + [Self.piece("▁ab", 5, type: 5)]
        XCTAssertEqual(try encode(Self.model(pieces), "ab").1, ["▁", "ab"])
        XCTAssertEqual(try encode(Self.model(Self.basic + [Self.piece("▁ab", 5)]), "ab").1, ["▁ab"], "the same piece, normal")
    }

    func testBPEResegmentsUnusedPieces() throws {
        // "a"+"b" → "ab" (unused, score 9) is split back; "▁"+"a" → "▁a" merges normally.
        let pieces: [[UInt8]] = [Self.piece("<unk>", 0, type: 2), Self.piece("▁", 0), Self.piece("a", 0), Self.piece("b", 0),
                                 Self.piece("ab", 9, type: 5), Self.piece("▁a", 1)]
        XCTAssertEqual(try encode(Self.model(pieces, modelType: 2), "ab").1, ["▁", "a", "b"])
        XCTAssertEqual(try encode(Self.model(pieces, modelType: 2), "ba").1, ["▁", "b", "a"])
    }

    func testControlAndUnknownPiecesDecodeAsSentencepieceDoes() throws {
        let tokenizer = try Tokenizer(sentencePieceModel: Self.model(Self.basic))
        XCTAssertEqual(tokenizer.decode([1, 5, 4, 0, 2, 6, 1]), "ab \u{2047}  ab")
        XCTAssertEqual(tokenizer.decode([99, 5]), "a", "an id outside the vocabulary is skipped")
    }

    // MARK: Hostile files

    func assertRefused(_ data: Data, _ fragments: String..., file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try Tokenizer(sentencePieceModel: data, file: "m/tokenizer.model"), file: file, line: line) { error in
            guard let error = error as? TokenizerError else { return XCTFail("untyped error \(error)", file: file, line: line) }
            let message = error.errorDescription ?? ""
            XCTAssert(message.hasPrefix("m/tokenizer.model"), message, file: file, line: line)
            for f in fragments { XCTAssert(message.contains(f), "'\(message)' lacks '\(f)'", file: file, line: line) }
        }
    }

    func testTruncatedFile() {
        let whole = Self.model(Self.basic)
        assertRefused(whole.prefix(whole.count - 3), "truncated")
        assertRefused(Data([0x0A, 0x10, 0x0A, 0x03]), "truncated")
    }

    func testWrongWireType() {
        assertRefused(Data([0x08, 0x05]) + Self.model(Self.basic), "ModelProto field 1 has the wrong wire type")
        assertRefused(Self.model(Self.basic + [Self.field(1, bytes: Self.field(2, int: 3))]), "piece 7 field 2 has the wrong wire type")
        assertRefused(Self.model(Self.basic, extraTrainer: Self.field(35, bytes: [1])), "trainer_spec field 35 has the wrong wire type")
        assertRefused(Data([0x0F]), "malformed protobuf")
    }

    func testHugeLength() {
        assertRefused(Data([0x0A] + Self.varint(1 << 40)) + Self.model(Self.basic), "not a SentencePiece ModelProto")
    }

    func testInvalidUTF8Piece() {
        assertRefused(Data(Self.field(1, bytes: Self.field(1, bytes: [0xFF, 0xFE]))) + Self.model(Self.basic), "not valid UTF-8")
    }

    func testUnknownModelType() {
        assertRefused(Self.model(Self.basic, modelType: 9), "model_type is not a known model type")
        XCTAssertThrowsError(try Tokenizer(sentencePieceModel: Self.model(Self.basic, modelType: 3))) { error in
            XCTAssertEqual((error as? TokenizerError)?.errorDescription?.contains("unsupported model type 'SentencePiece word'"), true,
                           "\(error)")
        }
    }

    func testUnknownPieceType() {
        assertRefused(Self.model(Self.basic + [Self.piece("c", -1, type: 12)]), "piece 7", "unknown type")
    }

    func testStructuralChecks() {
        assertRefused(Data(), "no pieces")
        assertRefused(Self.model(Array(Self.basic.dropFirst())), "no piece has the type UNKNOWN")
        assertRefused(Self.model(Self.basic + [Self.piece("<unk>", 0, type: 2)]), "already defined")
        assertRefused(Self.model(Self.basic + [Self.piece("a", 0)]), "already defined")
        assertRefused(Self.model(Self.basic + [Self.piece("", 0)]), "piece 7 is empty")
        assertRefused(Self.model(Self.basic + [Self.piece("<0x41>", 0, type: 6)]), "byte_fallback is false")
        assertRefused(Self.model(Self.basic + [Self.piece("<0x41>", 0, type: 6)], byteFallback: true), "<0x00> is missing")
        assertRefused(Self.model(Self.basic + [Self.piece("<0xzz>", 0, type: 6)], byteFallback: true), "is not <0xXX>")
        let charsmap = Self.field(3, bytes: Self.field(2, bytes: [0xFF, 0xFF, 0xFF, 0x00, 1, 2]))
        assertRefused(Self.model(Self.basic) + Data(charsmap), "normalizer_spec", "trie")
    }
}
