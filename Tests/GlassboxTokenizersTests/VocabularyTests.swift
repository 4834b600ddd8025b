import Foundation
import GlassboxTokenizers
import XCTest

/// The display vocabulary and the byte-level table.
final class VocabularyTests: XCTestCase {
    func testByteLevelPiecesDisplayAsText() throws {
        let vocab = try XCTUnwrap(try TokenVocabulary.load(directory: TokenizerFixtures.models.appendingPathComponent("gpt2-tiny")))
        XCTAssertEqual(vocab.style, .byteLevel)
        XCTAssertEqual(ByteLevel.characters[32], "Ġ")
        XCTAssertEqual(ByteLevel.characters[10], "Ċ")
        XCTAssertEqual(ByteLevel.byte(for: "Ġ"), 32)
        XCTAssertNil(ByteLevel.byte(for: " "))
        for b in 0..<256 { XCTAssertEqual(ByteLevel.byte(for: ByteLevel.characters[b]), UInt8(b)) }
    }

    func testVocabularyOfATokenizer() throws {
        let tokenizer = try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent("llama2"))
        let vocab = TokenVocabulary(tokenizer: tokenizer)
        XCTAssertEqual(vocab.style, .sentencePiece)
        let id = try XCTUnwrap(tokenizer.id(of: "▁the"))
        XCTAssertEqual(vocab.displayText(id), " the")
        XCTAssertEqual(vocab.count, tokenizer.pieces.count)
        let bert = TokenVocabulary(tokenizer: try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent("bert")))
        XCTAssertEqual(bert.style, .wordPiece)
        let gpt2 = try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent("gpt2"))
        XCTAssertEqual(TokenVocabulary(tokenizer: gpt2).displayText(try XCTUnwrap(gpt2.id(of: "Ġthe"))), " the")
    }
}
