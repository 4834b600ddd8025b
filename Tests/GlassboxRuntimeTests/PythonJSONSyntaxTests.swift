import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// What Python's `json.loads` refuses and Foundation read anyway (a trailing comma: `[1, 2,]`,
/// `{"a": 1,}`) or refused without saying why (a comment) is refused in every JSON file of a
/// model folder with one line: "FILE:LINE:COLUMN: trailing comma (Python's json refuses it)".
/// Python 3.12's answers, from the reference venv: `json.loads('[1, 2,]')` → "Expecting value:
/// line 1 column 7"; `'{"a": 1,}'` → "Expecting property name enclosed in double quotes";
/// `'{"a": 1 // c\n}'` → "Expecting ',' delimiter"; `'{"a": /* c */ 1}'` → "Expecting value".
/// Before, config.json, preprocessor_config.json and the shard index loaded with the comma.
final class PythonJSONSyntaxTests: XCTestCase {
    /// A copy of fixture `model` whose `file` is `edit` of its text.
    private func model(_ model: String, file: String, _ edit: (String) -> String) throws -> URL {
        try Fixtures.textEditedCopy(of: model, test: self, file: file, edit)
    }

    /// "LINE:COLUMN" of the first `marker` in `folder/file` (columns in bytes, 1-based).
    private func place(of marker: String, in folder: URL, _ file: String) throws -> String {
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        let before = try XCTUnwrap(text.range(of: marker)).lowerBound
        let lines = text[..<before].split(separator: "\n", omittingEmptySubsequences: false)
        return "\(lines.count):\(lines.last!.utf8.count + 1)"
    }

    /// `load` fails with exactly "FOLDER/FILE:LINE:COLUMN: PROBLEM (Python's json refuses it)",
    /// placed at `marker`'s first byte.
    private func assertRefused(_ folder: URL, _ file: String, at marker: String, _ problem: String,
                               line: UInt = #line, _ load: () throws -> Void) throws {
        let expected = "\(folder.appendingPathComponent(file).path):\(try place(of: marker, in: folder, file)): \(problem) (Python's json refuses it)"
        XCTAssertThrowsError(try load(), file, line: line) { error in
            XCTAssertTrue(error.localizedDescription.hasSuffix(expected), "\(error.localizedDescription)\nwanted: \(expected)", line: line)
        }
    }

    func testConfigJSON() throws {
        let array = try model("gpt2-tiny", file: "config.json") {
            $0.replacingOccurrences(of: "\"GPT2LMHeadModel\"\n", with: "\"GPT2LMHeadModel\",\n")
        }
        try assertRefused(array, "config.json", at: ",\n  ]", "trailing comma", { _ = try TransformerModel.load(directory: array) })
        let object = try model("gpt2-tiny", file: "config.json") { $0.replacingOccurrences(of: "\n}", with: ",\n}") }
        try assertRefused(object, "config.json", at: ",\n}", "trailing comma", { _ = try TransformerModel.load(directory: object) })
        let comment = try model("gpt2-tiny", file: "config.json") { $0.replacingOccurrences(of: "{", with: "{ /* a comment */\n") }
        try assertRefused(comment, "config.json", at: "/*", "comment", { _ = try TransformerModel.load(directory: comment) })
    }

    func testPreprocessorConfigJSON() throws {
        let folder = try model("vit-tiny", file: "preprocessor_config.json") {
            $0.replacingOccurrences(of: "\"image_mean\": [\n    0.5,\n    0.5,\n    0.5\n", with: "\"image_mean\": [\n    0.5,\n    0.5,\n    0.5,\n")
        }
        try assertRefused(folder, "preprocessor_config.json", at: ",\n  ]", "trailing comma", { _ = try ImagePreprocessor.load(directory: folder) })
    }

    func testShardIndex() throws {
        let folder = try model("gpt2-sharded", file: "model.safetensors.index.json") {
            $0.replacingOccurrences(of: "\"total_size\": 173184\n", with: "\"total_size\": 173184, // bytes\n")
        }
        try assertRefused(folder, "model.safetensors.index.json", at: "// bytes", "comment", { _ = try TransformerModel.load(directory: folder) })
    }

    func testTokenizerJSON() throws {
        let folder = try model("mixtral-moe", file: "tokenizer.json") { $0.replacingOccurrences(of: "\"padding\": null,\n", with: "\"padding\": null,,\n") }
        // `,,` is not a trailing comma: Python says "Expecting property name"; ours the usual message.
        XCTAssertThrowsError(try Tokenizer.load(directory: folder)) { error in
            XCTAssertTrue(error.localizedDescription.contains("invalid JSON at line 4, column 18: expected a member name"), error.localizedDescription)
        }
        let trailing = try model("mixtral-moe", file: "tokenizer.json") { text in
            let end = text.range(of: "}", options: .backwards)!
            return text.replacingCharacters(in: end, with: ",}")
        }
        let text = try String(contentsOf: trailing.appendingPathComponent("tokenizer.json"), encoding: .utf8)
        let marker = String(text.suffix(from: text.range(of: ",}", options: .backwards)!.lowerBound))
        try assertRefused(trailing, "tokenizer.json", at: marker, "trailing comma", { _ = try Tokenizer.load(directory: trailing) })
    }

    /// vocab.json and tokenizer_config.json, which transformers reads with `json.load`.
    func testLegacyTokenizerFiles() throws {
        let vocabulary = try model("gpt2-tiny", file: "vocab.json") { $0.replacingOccurrences(of: "{\".\": 0, ", with: "{\".\": 0, // dot\n") }
        try assertRefused(vocabulary, "vocab.json", at: "// dot", "comment", { _ = try Tokenizer.load(directory: vocabulary) })
        let config = try model("gpt2-tiny", file: "vocab.json") { $0 + " " }
        try Data("{\"add_prefix_space\": false,\n}".utf8).write(to: config.appendingPathComponent("tokenizer_config.json"))
        try assertRefused(config, "tokenizer_config.json", at: ",\n}", "trailing comma", { _ = try Tokenizer.load(directory: config) })
    }
}
