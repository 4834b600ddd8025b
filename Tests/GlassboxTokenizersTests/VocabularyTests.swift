import Foundation
import GlassboxTestSupport
import GlassboxTokenizers
import XCTest

final class VocabularyTests: XCTestCase {
    func testByteLevelPiecesDisplayAsText() throws {
        let vocab = try XCTUnwrap(try TokenVocabulary.load(directory: Fixtures.model("gpt2-tiny")))
        XCTAssertEqual(vocab.style, .byteLevel)
        XCTAssertEqual(ByteLevel.characters[32], "Ġ")
        XCTAssertEqual(ByteLevel.characters[10], "Ċ")
        XCTAssertEqual(ByteLevel.byte(for: "Ġ"), 32)
    }
}
