import Foundation
import GlassboxRender
import XCTest

/// Tokenizer spellings become the text they stand for.
final class TokenTextTests: XCTestCase {
    func testByteLevelMarkersBecomeSpacesAndNewlines() {
        XCTAssertEqual(TokenText.display(["Hello", "Ġworld", "Ċ", "ĊĊ", "ĉx"], markers: .byteLevel),
                       ["Hello", " world", "\n", "\n\n", "\tx"])
    }

    func testByteLevelDecodesUTF8() {
        // " café" and "’" as GPT-2 spells them; a lone lead byte of "日" (E6 97 A5) stays visible as a byte.
        XCTAssertEqual(TokenText.display(["ĠcafÃ©", "âĢĻ", "æĹ"], markers: .byteLevel), [" café", "’", "<0xE6><0x97>"])
    }

    func testSentencePieceAndWordPiece() {
        XCTAssertEqual(TokenText.display(["▁The", "▁cat", "<0x0A>", "s"], markers: .sentencePiece), [" The", " cat", "\n", "s"])
        XCTAssertEqual(TokenText.display(["[CLS]", "the", "play", "##ing", "[SEP]"], markers: .wordPiece),
                       ["[CLS]", "the", " play", "ing", "[SEP]"])
    }

    func testAutomaticDetection() {
        XCTAssertEqual(TokenText.display(["The", "Ġcat"]), ["The", " cat"])
        XCTAssertEqual(TokenText.display(["▁The", "▁cat"]), [" The", " cat"])
        XCTAssertEqual(TokenText.display(["日本", "語"]), ["日本", "語"], "plain text is left alone")
    }

    func testVisibleAndLabel() {
        XCTAssertEqual(TokenText.visible("a\nb\tc\r"), "a↵b⇥c␍")
        XCTAssertEqual(TokenText.visible("\u{01}"), "<0x01>")
        XCTAssertEqual(TokenText.visible("  "), "␣␣")
        XCTAssertEqual(TokenText.label(" world "), "world")
        XCTAssertEqual(TokenText.label("\n"), "↵")
        XCTAssertEqual(TokenText.label(" "), "␣")
    }
}
