import XCTest
@testable import GlassboxTokenizers

/// WordPiece's greedy longest match starts from the longest candidate a vocabulary piece could be
/// (its longest piece's bytes, less the `##` prefix after the word's start) instead of the whole
/// rest of the word: the same pieces as trying every length (`tokenizers`' `WordPiece::tokenize`),
/// with a candidate cut back to a character boundary when the budget ends inside one. (Under
/// `max_input_chars_per_word` 10⁹, a 100,000-character word took 52.6 s in a release build; the
/// pieces are what this test pins, the speed is not timed here.)
final class WordPieceLongWordTests: XCTestCase {
    private func pieces(_ model: WordPieceModel, _ word: String) throws -> [String] {
        var tokens: [ModelToken] = []
        try Array(word.utf8).withUnsafeBufferPointer { try model.tokenize($0, into: &tokens) }
        return tokens.map { model.piece(for: $0.id) ?? "?" }
    }

    func testLongWordsGetTheGreedyPieces() throws {
        let vocabulary = ["[UNK]", "ab", "##ab", "##c", "é", "##é", "日", "##日本", "##本", "a"].enumerated().map { ($1, $0) }
        let model = WordPieceModel(vocabulary: vocabulary, maxInputCharsPerWord: 1_000_000_000)
        XCTAssertEqual(model.longestPieceBytes, 8)   // "##日本"
        XCTAssertEqual(try pieces(model, String(repeating: "ab", count: 2000)), ["ab"] + Array(repeating: "##ab", count: 1999))
        XCTAssertEqual(try pieces(model, "abc"), ["ab", "##c"])
        XCTAssertEqual(try pieces(model, "ééé"), ["é", "##é", "##é"])
        // After the start the budget is 8 − 2 = 6 bytes: "日本" (6) still fits, "日本本" is cut inside a character.
        XCTAssertEqual(try pieces(model, "日日本本"), ["日", "##日本", "##本"])
        XCTAssertEqual(try pieces(model, "abx"), ["[UNK]"])
        XCTAssertEqual(try pieces(model, "a"), ["a"])
    }
}
