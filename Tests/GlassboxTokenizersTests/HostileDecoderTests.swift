import Foundation
import GlassboxTestSupport
import XCTest
@testable import GlassboxTokenizers

/// A decoder or normalizer chain that could blow the text up (20 `Replace` steps 'a' → 'aa': 2²⁰×
/// per token, or the input text) is refused at load; chains that grow the text at most 64× still
/// decode and normalize.
final class HostileDecoderTests: XCTestCase {
    /// A tokenizer whose `part` ("decoder" or "normalizer") is a `Sequence` of `replaceSteps`
    /// `Replace` steps; the vocabulary holds "a", "b" and 64 a's.
    private func tokenizer(replaceSteps: Int, in part: String = "decoder", pattern: String = #"{"String": "a"}"#,
                           content: String = "aa") throws -> Tokenizer {
        let step = #"{"type": "Replace", "pattern": \#(pattern), "content": "\#(content)"}"#
        let vocab = #"{"[UNK]": 0, "a": 1, "b": 2, "\#(String(repeating: "a", count: 64))": 3}"#
        let json = #"{"model": {"type": "WordLevel", "vocab": \#(vocab), "unk_token": "[UNK]"}, "#
            + #""\#(part)": {"type": "Sequence", "\#(part)s": [\#(Array(repeating: step, count: replaceSteps).joined(separator: ", "))]}}"#
        return try Tokenizer(json: Data(json.utf8), file: "test.json")
    }

    func testExplodingReplaceChainsAreRefusedAtLoad() throws {
        for part in ["decoder", "normalizer"] {
            for steps in [7, 20] {
                XCTAssertThrowsError(try tokenizer(replaceSteps: steps, in: part), "\(part): \(steps) steps") { error in
                    guard case .malformedFile(_, let detail) = error as? TokenizerError else { return XCTFail("\(error)") }
                    XCTAssertTrue(detail.contains("\(1 << steps)× longer"), detail)
                }
            }
            // 2⁷⁰ is past `Int`: still a message, not a crash.
            XCTAssertThrowsError(try tokenizer(replaceSteps: 70, in: part), part)
        }
        // A regex that can match the empty text inserts `content` everywhere: (1 + 1)⁷ = 128.
        XCTAssertThrowsError(try tokenizer(replaceSteps: 7, pattern: #"{"Regex": "x*"}"#, content: "y"))
    }

    func testBoundedReplaceChainsStillDecode() throws {
        let six = try tokenizer(replaceSteps: 6)
        XCTAssertEqual(six.decode([1, 2, 1]), String(repeating: "a", count: 64) + "b" + String(repeating: "a", count: 64))
        // A replacement that shrinks the text (or keeps its length) never counts.
        XCTAssertEqual(try tokenizer(replaceSteps: 30, content: "b").decode([1, 1]), "bb")
    }

    func testBoundedReplaceChainsStillNormalize() throws {
        // 'a' becomes 64 a's, the last word of the vocabulary.
        XCTAssertEqual(try tokenizer(replaceSteps: 6, in: "normalizer").encode("a").ids, [3])
        XCTAssertEqual(try tokenizer(replaceSteps: 30, in: "normalizer", content: "b").encode("a").ids, [2])
    }
}
