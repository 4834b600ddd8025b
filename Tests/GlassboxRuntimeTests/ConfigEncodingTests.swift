import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// JSON files of a model folder that Python's `json` (so `transformers`) and `tokenizers` refuse
/// for their encoding are refused with one line naming the file and the problem: a UTF-8
/// byte-order mark, UTF-16, UTF-32, invalid UTF-8. Before, Foundation read them all, and behind a
/// byte-order mark a repeated key kept its first value.
final class ConfigEncodingTests: XCTestCase {
    /// A copy of fixture `model` whose `file` holds `transform` of its bytes.
    private func model(_ model: String, file: String, _ transform: (Data) -> Data) throws -> URL {
        try Fixtures.linkedCopy(of: model, test: self, replacing: file, edit: transform)
    }

    private static let encodings: [(name: String, problem: String, transform: @Sendable (Data) -> Data)] = [
        ("byte-order mark", "starts with a UTF-8 byte-order mark", { Data([0xEF, 0xBB, 0xBF]) + $0 }),
        ("UTF-16LE", "is UTF-16 text, not UTF-8", { String(decoding: $0, as: UTF8.self).data(using: .utf16LittleEndian)! }),
        ("UTF-16 with a mark", "is UTF-16 text, not UTF-8", { String(decoding: $0, as: UTF8.self).data(using: .utf16)! }),
        ("UTF-32LE", "is UTF-32 text, not UTF-8", { String(decoding: $0, as: UTF8.self).data(using: .utf32LittleEndian)! }),
        ("invalid UTF-8", "is not valid UTF-8 (byte offset 10)", { Data(#"{"junk": ""#.utf8) + Data([0xFF, 0xFE]) + Data("\",".utf8) + $0.dropFirst() }),
    ]

    private func assertRefused(_ load: () throws -> Void, file name: String, problem: String, _ label: String,
                               line: UInt = #line) {
        XCTAssertThrowsError(try load(), label, line: line) { error in
            let text = error.localizedDescription
            XCTAssertTrue(text.contains("\(name) \(problem); transformers cannot read it either: save it as plain UTF-8")
                          || text.contains("\(name) is not a valid tokenizer file: \(problem);"), "\(label): \(text)", line: line)
        }
    }

    func testConfigJSONMustBePlainUTF8() throws {
        for (name, problem, transform) in Self.encodings {
            let folder = try model("gpt2-tiny", file: "config.json", transform)
            assertRefused({ _ = try TransformerModel.load(directory: folder) }, file: "config.json", problem: problem, name)
        }
    }

    /// With the mark, a repeated key no longer resolves first-wins: the file is refused.
    func testAByteOrderMarkedConfigWithARepeatedKeyIsRefused() throws {
        let folder = try model("gpt2-tiny", file: "config.json") {
            Data([0xEF, 0xBB, 0xBF]) + Data(#"{"layer_norm_epsilon": 1e-05, "layer_norm_epsilon": 0.5, "#.utf8) + $0.dropFirst()
        }
        assertRefused({ _ = try TransformerModel.load(directory: folder) }, file: "config.json",
                      problem: "starts with a UTF-8 byte-order mark", "repeated key")
    }

    func testOtherPythonReadFilesMustBePlainUTF8() throws {
        let bom: (Data) -> Data = { Data([0xEF, 0xBB, 0xBF]) + $0 }
        let preprocessor = try model("vit-tiny", file: "preprocessor_config.json", bom)
        assertRefused({ _ = try ImagePreprocessor.load(directory: preprocessor) },
                      file: "preprocessor_config.json", problem: "starts with a UTF-8 byte-order mark", "preprocessor")
        let index = try model("gpt2-sharded", file: "model.safetensors.index.json", bom)
        assertRefused({ _ = try TransformerModel.load(directory: index) }, file: "model.safetensors.index.json",
                      problem: "starts with a UTF-8 byte-order mark", "index")
        for (name, problem, transform) in Self.encodings {
            let tokenizer = try model("mixtral-moe", file: "tokenizer.json", transform)
            assertRefused({ _ = try Tokenizer.load(directory: tokenizer) }, file: "tokenizer.json", problem: problem, name)
        }
    }

    /// The legacy tokenizer files transformers reads with `json.load` (`vocab.json`,
    /// `tokenizer_config.json`) are held to the same rule (before, a byte-order mark was skipped).
    func testLegacyTokenizerJSONMustBePlainUTF8() throws {
        let bom: (Data) -> Data = { Data([0xEF, 0xBB, 0xBF]) + $0 }
        let vocabulary = try model("gpt2-tiny", file: "vocab.json", bom)
        assertRefused({ _ = try Tokenizer.load(directory: vocabulary) }, file: "vocab.json",
                      problem: "starts with a UTF-8 byte-order mark", "vocab.json")
        let config = try model("gpt2-tiny", file: "vocab.json") { $0 }
        try bom(Data(#"{"add_prefix_space": false}"#.utf8)).write(to: config.appendingPathComponent("tokenizer_config.json"))
        assertRefused({ _ = try Tokenizer.load(directory: config) }, file: "tokenizer_config.json",
                      problem: "starts with a UTF-8 byte-order mark", "tokenizer_config.json")
    }
}
