import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest
@testable import GlassboxRuntime

/// A key repeated in config.json keeps its last value, as Python's `json` (and so `transformers`)
/// reads it; Foundation alone keeps the first.
final class DuplicateConfigKeyTests: XCTestCase {
    private func gpt2Tiny(configText edit: (String) -> String) throws -> URL {
        let folder = try Fixtures.editedCopy(of: "gpt2-tiny", test: self) { _, _ in }
        let url = folder.appendingPathComponent("config.json")
        try Data(edit(try String(contentsOf: url, encoding: .utf8)).utf8).write(to: url)
        return folder
    }

    func testTheLastValueOfARepeatedKeyWins() throws {
        let config = try String(contentsOf: Fixtures.model("gpt2-tiny").appendingPathComponent("config.json"), encoding: .utf8)
        XCTAssertTrue(config.contains("\"n_layer\": 2"), "the fixture's config changed")
        // 3 first, then the checkpoint's 2: loads with 2 layers, as transformers would.
        let lastIsRight = try gpt2Tiny { $0.replacingOccurrences(of: "\"n_layer\": 2", with: "\"n_layer\": 3, \"n_layer\": 2") }
        XCTAssertEqual(try TransformerModel.load(directory: lastIsRight).architecture.layers, 2)
        // 2 first, then 3: the 3 is what counts (and the checkpoint has 2 layers).
        let lastIsWrong = try gpt2Tiny { $0.replacingOccurrences(of: "\"n_layer\": 2", with: "\"n_layer\": 2, \"n_layer\": 3") }
        XCTAssertThrowsError(try TransformerModel.load(directory: lastIsWrong)) { error in
            XCTAssertTrue(error.localizedDescription.contains("'n_layer' is 3"), error.localizedDescription)
        }
    }

    func testRewriteKeepsTheFirstPlaceAndTheLastValueAtEveryDepth() throws {
        let text = #"{"a": 1, "s": "x\"}", "o": {"k": [1, {"k": 1, "k": 2}], "k": "last"}, "a": {"b": null}}"#
        let rewritten = try XCTUnwrap(String(data: LastKeyWins.rewrite(Data(text.utf8)), encoding: .utf8))
        XCTAssertEqual(rewritten, #"{"a":{"b":null},"s":"x\"}","o":{"k":"last"}}"#)
        // A key spelled with an escape is the same key, as Python reads it: {"a": 2}.
        XCTAssertEqual(String(decoding: LastKeyWins.rewrite(Data(#"{"a": 1, "\u0061": 2}"#.utf8)), as: UTF8.self), #"{"a":2}"#)
        // Nothing repeated, or not JSON: the bytes are returned as they were.
        for unchanged in [#"{"a": 1, "b": [1, 2]}"#, #"{"a": 1,, }"#, "[1, 2"] {
            XCTAssertEqual(LastKeyWins.rewrite(Data(unchanged.utf8)), Data(unchanged.utf8))
        }
    }

    /// The same pass gives the top-level members (the last value of a repeated one) for the model
    /// type and the count check; a document that is not strict JSON gives none and is left as it
    /// was, for the decoder's error.
    func testScanGivesTheTopLevelMembersOfStrictJSONOnly() throws {
        let document = LastKeyWins.scan(Data(#"{"model_type": "gpt2", "n_layer": 2, "o": {"model_type": "x"}, "n_layer": 3e0}"#.utf8))
        XCTAssertEqual(document.string("model_type"), "gpt2")
        XCTAssertEqual(document.members?["n_layer"], "3e0")
        XCTAssertEqual(document.members?["o"], #"{"model_type":"x"}"#)
        for invalid in [#"{"model_type": "gpt2", "x": NaN}"#, #"{"model_type": "gpt2", "x": 01}"#, #"{"model_type": "gpt2", "x": tru}"#,
                        #"{"model_type": "gp\qt2"}"#, "{\"model_type\": \"gp\tt2\"}", #"["model_type"]"#] {
            let scanned = LastKeyWins.scan(Data(invalid.utf8))
            XCTAssertNil(scanned.members, invalid)
            XCTAssertEqual(scanned.data, Data(invalid.utf8), invalid)
        }
    }

    func testRewriteDropsWhitespaceEverywhereWhenAKeyRepeats() throws {
        // Parts written compactly are kept as they are, parts with whitespace come out compact.
        let text = #"{"k":1,"m":{"x":[1,{"y":"a b"}],"z":true},"n":[ 1 , {"p": 2} ],"k":2}"#
        let rewritten = try XCTUnwrap(String(data: LastKeyWins.rewrite(Data(text.utf8)), encoding: .utf8))
        XCTAssertEqual(rewritten, #"{"k":2,"m":{"x":[1,{"y":"a b"}],"z":true},"n":[1,{"p":2}]}"#)
    }
}
