import Foundation
@testable import GlassboxTokenizers
import XCTest

/// The Unigram model on hand-made vocabularies whose segmentations are worked out by hand (the
/// lattice scores below), and its error paths. The trained T5 / XLM-R / byte-fallback goldens are
/// in GoldenTokenizerTests.
final class UnigramModelTests: XCTestCase {
    private func model(_ entries: [(String, Double)], unk: Int? = 0, byteFallback: Bool = false) throws -> UnigramModel {
        try UnigramModel(entries: entries, unknownID: unk, byteFallback: byteFallback, file: "test")
    }

    private func pieces(_ m: UnigramModel, _ text: String) throws -> [String] {
        try tokens(m, text).map { t in
            let bytes = Array(text.utf8)[t.start..<t.end]
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    private func tokens(_ m: UnigramModel, _ text: String) throws -> [ModelToken] {
        var out: [ModelToken] = []
        var text = text
        try text.withUTF8 { try m.tokenize($0, into: &out) }
        return out
    }

    let vocabulary: [(String, Double)] = [
        ("<unk>", 0), ("ab", 0), ("cd", -0.1), ("abc", -0.2), ("a", -0.3), ("b", -0.4), ("c", -0.5),
        ("ABC", -0.5), ("abcdabcd", 20), ("q", 20.5), ("r", 20.5), ("qr", -0.5),
    ]

    func testViterbiPicksTheHighestTotalScore() throws {
        let m = try model(vocabulary)
        XCTAssertEqual(try pieces(m, "abc"), ["abc"])                       // -0.2 > ab + c = -0.5
        XCTAssertEqual(try pieces(m, "abcd"), ["ab", "cd"])                 // -0.1 > abc + unk
        XCTAssertEqual(try pieces(m, "abcc"), ["abc", "c"])
        XCTAssertEqual(try pieces(m, "xabcabaabcdd"), ["x", "abc", "ab", "a", "ab", "cd", "d"])
        XCTAssertEqual(try pieces(m, "ababcdabcdcd"), ["ab", "abcdabcd", "cd"])
        XCTAssertEqual(try pieces(m, "abqrcd"), ["ab", "q", "r", "cd"])     // 41 > qr's -0.5
        XCTAssertEqual(try pieces(m, "abABCcd"), ["ab", "ABC", "cd"])
    }

    func testUnknownRunsAreFusedIntoOneUnknownToken() throws {
        let m = try model(vocabulary)
        let t = try tokens(m, "xyz東京ab")
        XCTAssertEqual(t.map(\.id), [0, 1])
        XCTAssertEqual(t.map(\.start), [0, 9])
        XCTAssertEqual(t.map(\.end), [9, 11])
    }

    func testByteFallbackSpellsUnknownRunsAsBytesSharingTheirOffsets() throws {
        let entries: [(String, Double)] = [
            ("<unk>", 0), ("<0xE2>", -0.01), ("<0x85>", -0.02), ("<0xE2>", -0.03), ("<0x90>", -0.04),
            ("<0x91>", -0.05), ("<0x9B>", -0.06), ("Hello", -0.1), ("how", -0.2), ("are", -0.3), (" ", -0.4),
        ]
        let m = try model(entries, byteFallback: true)
        let t = try tokens(m, "Hello⅐how are⅑⅑")
        // "<0xE2>" is given twice: the later id (3) wins, as in a HashMap built in order.
        XCTAssertEqual(t.map(\.id), [7, 3, 2, 4, 8, 10, 9, 3, 2, 5, 3, 2, 5])
        XCTAssertEqual(t.map(\.start), [0, 5, 5, 5, 8, 11, 12, 15, 15, 15, 15, 15, 15])
        XCTAssertEqual(t.map(\.end), [5, 8, 8, 8, 11, 12, 15, 21, 21, 21, 21, 21, 21])
        // A run with a byte that has no piece (‰ is E2 80 B0) is the unknown token.
        let u = try tokens(m, " unknown‰")
        XCTAssertEqual(u.map(\.id), [10, 0])
        XCTAssertEqual(u.map(\.end), [1, 11])
    }

    func testTiesKeepTheFirstCandidate() throws {
        // "ab" (0) and "a" + "b" (0 + 0) tie: "ab" reaches byte 2 first (all pieces starting at 0
        // are tried before those starting at 1) and a later candidate must be strictly better.
        let m = try model([("<unk>", 0), ("a", 0), ("b", 0), ("ab", 0), ("abc", 0), ("c", 0), ("bc", 0)])
        XCTAssertEqual(try pieces(m, "ab"), ["ab"])
        XCTAssertEqual(try pieces(m, "abcbc"), ["abc", "bc"])
    }

    func testMissingUnknownIDIsATypedError() throws {
        let m = try model([("a", -1)], unk: nil)
        XCTAssertEqual(try pieces(m, "aa"), ["a", "a"])
        XCTAssertThrowsError(try tokens(m, "ab")) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenMissing(model: "Unigram", token: nil))
            XCTAssertEqual(error.localizedDescription,
                           "the Unigram model has no unknown token (its unk_id is null) for a piece outside its vocabulary")
        }
        XCTAssertThrowsError(try model([("a", 0)], unk: 1))
        XCTAssertThrowsError(try model([], unk: 0))
    }

    func testLoadsFromTokenizerJSON() throws {
        let json = """
        {"version": "1.0", "model": {"type": "Unigram", "unk_id": 0, "byte_fallback": false,
         "vocab": [["<unk>", 0.0], ["▁he", -1.5], ["llo", -2], ["▁", -3.0], ["h", -4.0]]},
         "pre_tokenizer": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true},
         "decoder": {"type": "Metaspace", "replacement": "▁", "prepend_scheme": "always", "split": true}}
        """
        let tokenizer = try Tokenizer(json: Data(json.utf8))
        let encoding = try tokenizer.encode("hello")
        XCTAssertEqual(encoding.ids, [1, 2])
        XCTAssertEqual(tokenizer.decode(encoding.ids), "hello")
        let untyped = json.replacingOccurrences(of: "\"type\": \"Unigram\", ", with: "")
        XCTAssertEqual(try Tokenizer(json: Data(untyped.utf8)).encode("hello").ids, [1, 2])
        let bad = json.replacingOccurrences(of: "[\"llo\", -2]", with: "[\"llo\", \"x\"]")
        XCTAssertThrowsError(try Tokenizer(json: Data(bad.utf8)))
    }
}
