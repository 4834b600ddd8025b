import Foundation
import GlassboxTestSupport
import XCTest
@testable import GlassboxTokenizers

/// An added token declared again with other flags overwrites the first declaration's flags, and
/// the first declaration coming back overwrites them once more: the reference (`tokenizers`
/// 0.21.4) skips a token only while it is the current entry for its id, not because it was seen
/// before. Expected ids from the reference on the same tokenizer.json.
final class AddedTokenRedeclaredTests: XCTestCase {
    private func tokenizer(lstripFlags: [Bool]) throws -> Tokenizer {
        let added = lstripFlags.map {
            #"{"id": 3, "content": "<x>", "single_word": false, "lstrip": \#($0), "rstrip": false, "normalized": false, "special": false}"#
        }
        // No pre-tokenizer: the text between added tokens is one word, so "hi " (the space kept,
        // id 2) and "hi" (the space swallowed by an lstrip token, id 1) tell the flags apart.
        let json = #"{"model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hi": 1, "hi ": 2}, "unk_token": "[UNK]"}, "#
            + #""added_tokens": [\#(added.joined(separator: ", "))]}"#
        return try Tokenizer(json: Data(json.utf8), file: "test.json")
    }

    func testTheLastDeclarationsFlagsWinWhenATokenComesBack() throws {
        // lstrip, then no lstrip, then lstrip again: the reference encodes "hi <x>" as [1, 3]
        // (tokens "hi", " <x>").
        XCTAssertEqual(try tokenizer(lstripFlags: [true, false, true]).encode("hi <x>").ids, [1, 3])
        // lstrip, then no lstrip: the second declaration's flags, [2, 3] (tokens "hi ", "<x>").
        XCTAssertEqual(try tokenizer(lstripFlags: [true, false]).encode("hi <x>").ids, [2, 3])
    }
}
