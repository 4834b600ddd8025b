import Foundation
@testable import GlassboxTokenizers
import XCTest

/// tokenizer_config.json settings applied over tokenizer.json, against what AutoTokenizer
/// (transformers 4.53.3) gives for the same folders (Tests/Fixtures/tokenizers/tokenizer-config,
/// scripts/fixtures/generate_tokenizer_config.py): Llama `add_bos_token` / `add_eos_token` /
/// `bos_token`, GPT-2 and RoBERTa `add_prefix_space` / `trim_offsets`, BERT `do_lower_case` /
/// `strip_accents` / `tokenize_chinese_chars`, and a class the settings do not apply to.
/// Ids and UTF-8 byte offsets must match exactly.
final class TokenizerConfigOverrideTests: XCTestCase {
    struct Encoded: Decodable { let text: String; let pair: String?; let ids: [Int]; let offsets: [[Int]] }
    struct Case: Decodable { let `class`: String; let single: [Encoded]; let pair: Encoded }

    static let folder = TokenizerFixtures.folder.appendingPathComponent("tokenizer-config")

    func testIdsAndOffsetsMatchAutoTokenizer() throws {
        let cases = try TokenizerFixtures.json([String: Case].self, Self.folder.appendingPathComponent("expected.json"))
        XCTAssertEqual(cases.count, 10)
        for (name, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let tokenizer = try Tokenizer.load(directory: Self.folder.appendingPathComponent(name))
            for single in expected.single {
                let e = try tokenizer.encode(single.text)
                XCTAssertEqual(e.ids, single.ids, "\(name): \(single.text)")
                XCTAssertEqual(e.offsets.map { [$0.start, $0.end] }, single.offsets, "\(name): \(single.text)")
            }
            let p = try tokenizer.encode(expected.pair.text, pair: expected.pair.pair ?? "")
            XCTAssertEqual(p.ids, expected.pair.ids, "\(name): pair")
            XCTAssertEqual(p.offsets.map { [$0.start, $0.end] }, expected.pair.offsets, "\(name): pair")
        }
    }

    func testClassNames() {
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "LlamaTokenizer"), .llama)
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "BertTokenizerFast"), .bert)
        XCTAssertNil(FastTokenizerOverrides.family(tokenizerClass: "PreTrainedTokenizerFast"))
        XCTAssertNil(FastTokenizerOverrides.family(tokenizerClass: "CodeLlamaTokenizerFast"))
    }

    /// A copy of fixture `name` with `config` as its tokenizer_config.json.
    private func folder(_ name: String, config: String) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokconfig-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(name).appendingPathComponent("tokenizer.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        try Data(config.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        return dir
    }

    private func message(_ name: String, config: String) throws -> String {
        let dir = try folder(name, config: config)
        do {
            _ = try Tokenizer.load(directory: dir)
            XCTFail("expected an error for \(config)")
            return ""
        } catch let error as TokenizerError {
            XCTAssertTrue(error.localizedDescription.contains("tokenizer_config.json"), error.localizedDescription)
            return error.localizedDescription
        }
    }

    func testBadSettingsNameFileAndKey() throws {
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": "LlamaTokenizer", "add_eos_token": "yes"}"#)
            .contains("'add_eos_token' must be true or false, found a string"))
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": "LlamaTokenizer", "bos_token": "<bos>"}"#)
            .contains(#"'bos_token' "<bos>" is not in the tokenizer's vocabulary"#))
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": "LlamaTokenizer", "bos_token": null}"#)
            .contains("'add_bos_token' is true but 'bos_token' is not a token"))
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": "LlamaTokenizer", "add_prefix_space": true}"#)
            .contains("'add_prefix_space' is set for a Llama tokenizer"))
        XCTAssertTrue(try message("bert-cased", config: #"{"tokenizer_class": "BertTokenizer", "strip_accents": 1}"#)
            .contains("'strip_accents' must be true, false or null, found a number"))
    }

    /// Settings of a class not handled leave tokenizer.json alone, even when malformed.
    func testOtherClassesIgnoreTheSettings() throws {
        let dir = try folder("llama-add-eos", config: #"{"tokenizer_class": "T5Tokenizer", "add_eos_token": "yes"}"#)
        let plain = try Tokenizer(contentsOf: Self.folder.appendingPathComponent("llama-add-eos/tokenizer.json"))
        XCTAssertEqual(try Tokenizer.load(directory: dir).encode("Hello world").ids, try plain.encode("Hello world").ids)
    }
}
