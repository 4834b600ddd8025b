import Foundation
import GlassboxTestSupport
import GlassboxTokenizers
import XCTest

/// `ContinuationText.cleanUp` against transformers 4.53.3's `clean_up_tokenization` on the samples of
/// Tests/Fixtures/generation-text/cases.json (scripts/fixtures/generate_generation_text.py): the
/// fixture vocabularies cannot generate a space before punctuation, so `generate`'s end-to-end cases
/// (GenerateTextCommandTests) never reach these replacements.
final class ContinuationTextTests: XCTestCase {
    func testCleanUpEqualsTransformers() throws {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/generation-text/cases.json")
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
        let pairs = try XCTUnwrap(object["clean_up"] as? [[String]])
        XCTAssertEqual(pairs.count, 10)
        for pair in pairs {
            XCTAssertEqual(ContinuationText.cleanUp(pair[0]).unicodeScalars.map(\.value), pair[1].unicodeScalars.map(\.value),
                           pair[0].debugDescription)
        }
    }

    /// Python's `text[n:]` counts code points: a decomposed "é" is two, a flag emoji two.
    func testDroppingCountsUnicodeScalars() {
        XCTAssertEqual(ContinuationText.dropping(2, of: "e\u{301}x").unicodeScalars.map(\.value), [0x78])
        XCTAssertEqual(ContinuationText.dropping(1, of: "🇫🇷a").unicodeScalars.map(\.value), [0x1F1F7, 0x61])
        XCTAssertEqual(ContinuationText.dropping(5, of: "ab"), "")
    }
}
