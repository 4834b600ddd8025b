import Foundation
import GlassboxTestSupport
import XCTest
@testable import GlassboxTokenizers

/// Many `added_tokens` (20k: once 4.8 s to load, 200k: minutes, from a per-token scan for
/// duplicates) load with the same matching as before: leftmost-longest, ids in order, an exact
/// duplicate declared twice keeping its first id and taking no new one.
///
/// Whether an exact duplicate is skipped cannot be seen from outside: adding it again would give
/// the same id and the same flags (the matcher keeps the first pattern), so skipping only saves
/// work. What can go wrong, and is checked, is a duplicate given an id of its own, which would move
/// the token and every new token after it. (Skipping that matters, a token coming back after
/// another declaration changed its flags, is in ``AddedTokenRedeclaredTests``.)
final class ManyAddedTokensTests: XCTestCase {
    func testTwentyThousandAddedTokensMatchLeftmostLongest() throws {
        let count = 20_000
        var added = (0..<count).map { #"{"id": \#(3 + $0), "content": "tok\#($0)", "special": false}"# }
        added.append(#"{"id": 3, "content": "tok0", "special": false}"#)            // an exact duplicate
        added.append(#"{"id": 20003, "content": "fresh", "special": false}"#)      // the next free id
        let json = #"{"model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "hi": 1, "there": 2}, "unk_token": "[UNK]"}, "#
            + #""pre_tokenizer": {"type": "Whitespace"}, "added_tokens": [\#(added.joined(separator: ", "))]}"#
        let tokenizer = try Tokenizer(json: Data(json.utf8), file: "test.json")
        XCTAssertEqual(tokenizer.id(of: "tok0"), 3)
        XCTAssertEqual(tokenizer.id(of: "tok19999"), 3 + 19_999)
        XCTAssertEqual(tokenizer.id(of: "fresh"), 3 + 20_000)
        // "tok123" is longer than "tok12" and "tok1": the longest match at the leftmost start wins.
        let ids = try tokenizer.encode("hi tok5 there tok123 tok19999").ids
        XCTAssertEqual(ids, [1, 3 + 5, 2, 3 + 123, 3 + 19_999])
        XCTAssertEqual(tokenizer.decode([3 + 42]), "tok42")
    }
}
