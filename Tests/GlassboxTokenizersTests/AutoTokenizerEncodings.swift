import Foundation
@testable import GlassboxTokenizers
import XCTest

/// One text (or pair) as AutoTokenizer encoded it in scripts/fixtures/generate_tokenizer_config.py:
/// ids and UTF-8 byte offsets `[start, end]`.
struct AutoTokenizerEncoding: Decodable {
    let text: String
    let pair: String?
    let ids: [Int]
    let offsets: [[Int]]
}

/// Asserts that `tokenizer` gives exactly AutoTokenizer's ids and byte offsets for every single
/// text and for the pair of one fixture case (`name` labels the failures).
func assertEncodesLikeAutoTokenizer(_ tokenizer: Tokenizer, single: [AutoTokenizerEncoding], pair: AutoTokenizerEncoding,
                                    case name: String, file: StaticString = #filePath, line: UInt = #line) throws {
    for expected in single {
        let e = try tokenizer.encode(expected.text)
        XCTAssertEqual(e.ids, expected.ids, "\(name): \(expected.text)", file: file, line: line)
        XCTAssertEqual(e.offsets.map { [$0.start, $0.end] }, expected.offsets, "\(name): \(expected.text)", file: file, line: line)
    }
    let p = try tokenizer.encode(pair.text, pair: pair.pair ?? "")
    XCTAssertEqual(p.ids, pair.ids, "\(name): pair", file: file, line: line)
    XCTAssertEqual(p.offsets.map { [$0.start, $0.end] }, pair.offsets, "\(name): pair", file: file, line: line)
}
