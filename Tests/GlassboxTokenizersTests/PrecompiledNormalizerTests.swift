import Foundation
@testable import GlassboxTokenizers
import XCTest

/// Malformed `precompiled_charsmap` values are clear errors at load time, and a trie whose
/// values point outside the replacement strings never crashes. The normalizer's output and
/// alignments are checked against the reference in StageGoldenTests (`precompiled-rules`) and
/// through the T5 / XLM-R goldens.
final class PrecompiledNormalizerTests: XCTestCase {
    private func load(_ charsmap: String) throws -> Tokenizer {
        let json = """
        {"model": {"type": "Unigram", "unk_id": 0, "vocab": [["<unk>", 0.0], ["a", -1.0]]},
         "normalizer": {"type": "Precompiled", "precompiled_charsmap": "\(charsmap)"}}
        """
        return try Tokenizer(json: Data(json.utf8))
    }

    private func assertMalformed(_ charsmap: String, _ fragment: String, line: UInt = #line) {
        XCTAssertThrowsError(try load(charsmap), line: line) { error in
            guard case TokenizerError.malformedFile(_, let detail) = error else { return XCTFail("\(error)", line: line) }
            XCTAssertTrue(detail.contains(fragment), detail, line: line)
        }
    }

    func testMalformedCharsmapsAreTypedErrors() {
        assertMalformed("not base64!", "base64")
        assertMalformed(Data([1, 0]).base64EncodedString(), "header")
        assertMalformed(Data([0xFF, 0, 0, 0, 1, 2, 3, 4]).base64EncodedString(), "255-byte trie")
        assertMalformed(Data([0, 0, 0, 0, 0xC3, 0x28]).base64EncodedString(), "UTF-8")
    }

    func testATrieOfGarbageNeverCrashes() throws {
        // A 2-unit trie whose root offset and leaf values point anywhere.
        var bytes: [UInt8] = [8, 0, 0, 0]
        bytes += [0xFF, 0xFF, 0xFF, 0xFF, 0x61, 0x01, 0x00, 0x00]
        bytes += Array("x\0".utf8)
        let tokenizer = try load(Data(bytes).base64EncodedString())
        XCTAssertNoThrow(try tokenizer.encode("a\u{301}bc 日本"))
        let empty = try load(Data([0, 0, 0, 0]).base64EncodedString())
        XCTAssertEqual(try empty.encode("aa").ids, [1, 1])
    }

    func testShortestPrefixWalksTheDoubleArray() throws {
        // Root: offset 1, so 'a' (0x61) lives at 1 ^ 0x61 = 0x60: label 'a', has a leaf, offset 1,
        // so the leaf's value is the unit at 0x60 ^ 1 = 0x61: 0, the replacement "b".
        var trie = [UInt32](repeating: 0, count: 0x62)
        trie[0] = 1 << 10
        trie[0x60] = 0x61 | (1 << 8) | (1 << 10)
        let normalizer = PrecompiledNormalizer(trie: trie, replacements: Array("b\0".utf8))
        XCTAssertEqual(normalizer.replacement(Array("a".utf8)[...]), ["b"])
        XCTAssertEqual(normalizer.replacement(Array("ab".utf8)[...]), ["b"])   // the shortest prefix key
        XCTAssertNil(normalizer.replacement(Array("c".utf8)[...]))
        var s = NormalizedString(scalars: Array("xay".unicodeScalars), alignments: (0..<3).map { Alignment(start: Int32($0), end: Int32($0 + 1)) },
                                 originalStart: 0, originalEnd: 3)
        normalizer.normalize(&s)
        XCTAssertEqual(s.text, "xby")
    }
}
