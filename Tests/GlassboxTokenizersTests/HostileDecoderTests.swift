import Foundation
import GlassboxTestSupport
import XCTest
@testable import GlassboxTokenizers

/// A decoder chain that could blow the text up (20 `Replace` steps 'a' → 'aa': 2²⁰× per token)
/// is refused at load; chains that grow the text at most 64× still decode.
final class HostileDecoderTests: XCTestCase {
    private func tokenizer(replaceSteps: Int, pattern: String = #"{"String": "a"}"#, content: String = "aa") throws -> Tokenizer {
        let step = #"{"type": "Replace", "pattern": \#(pattern), "content": "\#(content)"}"#
        let json = #"{"model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1, "b": 2}, "unk_token": "[UNK]"}, "#
            + #""decoder": {"type": "Sequence", "decoders": [\#(Array(repeating: step, count: replaceSteps).joined(separator: ", "))]}}"#
        return try Tokenizer(json: Data(json.utf8), file: "test.json")
    }

    func testExplodingReplaceChainsAreRefusedAtLoad() throws {
        for steps in [7, 20] {
            XCTAssertThrowsError(try tokenizer(replaceSteps: steps), "\(steps) steps") { error in
                guard case .malformedFile(_, let detail) = error as? TokenizerError else { return XCTFail("\(error)") }
                XCTAssertTrue(detail.contains("\(1 << steps)× longer"), detail)
            }
        }
        // A regex that can match the empty text inserts `content` everywhere: (1 + 1)⁷ = 128.
        XCTAssertThrowsError(try tokenizer(replaceSteps: 7, pattern: #"{"Regex": "x*"}"#, content: "y"))
        // 2⁷⁰ is past `Int`: still a message, not a crash.
        XCTAssertThrowsError(try tokenizer(replaceSteps: 70))
    }

    func testBoundedReplaceChainsStillDecode() throws {
        let six = try tokenizer(replaceSteps: 6)
        XCTAssertEqual(six.decode([1, 2, 1]), String(repeating: "a", count: 64) + "b" + String(repeating: "a", count: 64))
        // A replacement that shrinks the text (or keeps its length) never counts.
        XCTAssertEqual(try tokenizer(replaceSteps: 30, content: "b").decode([1, 1]), "bb")
    }
}
