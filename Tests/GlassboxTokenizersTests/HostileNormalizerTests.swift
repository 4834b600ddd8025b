import Foundation
import GlassboxTestSupport
import XCTest
@testable import GlassboxTokenizers

/// A normalizer chain that could blow the input text up (20 `Replace` steps 'a' → 'aa': 2²⁰× the
/// text) is refused at load, as the same decoder chain is; chains that grow the text at most 64×
/// still normalize.
final class HostileNormalizerTests: XCTestCase {
    private func tokenizer(replaceSteps: Int, content: String = "aa") throws -> Tokenizer {
        let step = #"{"type": "Replace", "pattern": {"String": "a"}, "content": "\#(content)"}"#
        let json = #"{"model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "\#(String(repeating: "a", count: 64))": 1}, "#
            + #""unk_token": "[UNK]"}, "#
            + #""normalizer": {"type": "Sequence", "normalizers": [\#(Array(repeating: step, count: replaceSteps).joined(separator: ", "))]}}"#
        return try Tokenizer(json: Data(json.utf8), file: "test.json")
    }

    func testExplodingReplaceChainsAreRefusedAtLoad() throws {
        for steps in [7, 20] {
            XCTAssertThrowsError(try tokenizer(replaceSteps: steps), "\(steps) steps") { error in
                guard case .malformedFile(_, let detail) = error as? TokenizerError else { return XCTFail("\(error)") }
                XCTAssertTrue(detail.contains("\(1 << steps)× longer"), detail)
            }
        }
        // 2⁷⁰ is past `Int`: still a message, not a crash.
        XCTAssertThrowsError(try tokenizer(replaceSteps: 70))
    }

    func testBoundedReplaceChainsStillNormalize() throws {
        // 'a' becomes 64 'a's: the one word of the vocabulary.
        XCTAssertEqual(try tokenizer(replaceSteps: 6).encode("a").ids, [1])
        // A replacement that keeps the length never counts.
        XCTAssertEqual(try tokenizer(replaceSteps: 30, content: "b").encode("a").ids, [0])
    }
}
