import Foundation
import GlassboxTestSupport
@testable import GlassboxTokenizers
import XCTest

/// tokenizer_config.json settings applied over tokenizer.json, against what AutoTokenizer
/// (transformers 4.53.3) gives for the same folders (Tests/Fixtures/tokenizers/tokenizer-config,
/// scripts/fixtures/generate_tokenizer_config.py): Llama, Gemma and GPT-NeoX `add_bos_token` /
/// `add_eos_token` / `bos_token`, GPT-2, RoBERTa, GPT-NeoX and Qwen2 `add_prefix_space`, RoBERTa
/// `trim_offsets`, BERT and DistilBERT `do_lower_case` / `strip_accents` /
/// `tokenize_chinese_chars`, with the class named in tokenizer_config.json or taken from
/// config.json's `tokenizer_class` / `model_type`, and classes the settings do not apply to.
/// Ids and UTF-8 byte offsets must match exactly.
final class TokenizerConfigOverrideTests: XCTestCase {
    struct Case: Decodable { let `class`: String; let single: [AutoTokenizerEncoding]; let pair: AutoTokenizerEncoding }

    static let folder = TokenizerFixtures.folder.appendingPathComponent("tokenizer-config")

    func testIdsAndOffsetsMatchAutoTokenizer() throws {
        let cases = try TokenizerFixtures.json([String: Case].self, Self.folder.appendingPathComponent("expected.json"))
        XCTAssertEqual(cases.count, 42)
        for (name, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let directory = Self.folder.appendingPathComponent(name)
            let parsed = try JSONValue.parse(try Data(contentsOf: directory.appendingPathComponent("tokenizer_config.json")),
                                             file: name)
            let resolved = try FastTokenizerOverrides.tokenizerClass(tokenizerConfig: parsed, directory: directory)
            XCTAssertEqual(resolved.flatMap { FastTokenizerOverrides.family(tokenizerClass: $0) },
                           FastTokenizerOverrides.family(tokenizerClass: expected.class), "\(name): \(expected.class)")
            let tokenizer = try Tokenizer.load(directory: directory)
            try assertEncodesLikeAutoTokenizer(tokenizer, single: expected.single, pair: expected.pair, case: name)
        }
    }

    /// The class of each model_type is TOKENIZER_MAPPING_NAMES' (classes.json).
    func testModelTypeClassesMatchTransformers() throws {
        let expected = try TokenizerFixtures.json([String: String].self, Self.folder.appendingPathComponent("classes.json"))
        XCTAssertEqual(expected.count, 46)   // + codegen, phimoe, albert, electra
        XCTAssertEqual(FastTokenizerOverrides.classByModelType, expected)
    }

    func testClassNames() {
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "LlamaTokenizer"), .llama)
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "BertTokenizerFast"), .bert)
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "GPTNeoXTokenizerFast"), .gptNeoX)
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "DistilBertTokenizer"), .distilBert)
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "Qwen2TokenizerFast"), .qwen2)
        XCTAssertEqual(FastTokenizerOverrides.family(tokenizerClass: "CodeGenTokenizerFast"), .codeGen)
        XCTAssertNil(FastTokenizerOverrides.family(tokenizerClass: "PreTrainedTokenizerFast"))
        XCTAssertNil(FastTokenizerOverrides.family(tokenizerClass: "CodeLlamaTokenizerFast"))
    }

    /// A copy of fixture `name` with `config` as its tokenizer_config.json (and `modelConfig`, if
    /// given, as its config.json).
    private func folder(_ name: String, config: String, modelConfig: String? = nil) throws -> URL {
        let dir = try makeTemporaryFolder("tokconfig")
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(name).appendingPathComponent("tokenizer.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        try Data(config.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        if let modelConfig { try Data(modelConfig.utf8).write(to: dir.appendingPathComponent("config.json")) }
        return dir
    }

    private func message(_ name: String, config: String, modelConfig: String? = nil,
                         file: String = "tokenizer_config.json") throws -> String {
        let dir = try folder(name, config: config, modelConfig: modelConfig)
        do {
            _ = try Tokenizer.load(directory: dir)
            XCTFail("expected an error for \(config)")
            return ""
        } catch let error as TokenizerError {
            XCTAssertTrue(error.localizedDescription.contains(file), error.localizedDescription)
            return error.localizedDescription
        }
    }

    func testBadSettingsNameFileAndKey() throws {
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": "LlamaTokenizer", "add_eos_token": "yes"}"#)
            .contains("'add_eos_token' must be true or false, found a string"))
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": "LlamaTokenizer", "bos_token": null}"#)
            .contains("'add_bos_token' is true but 'bos_token' is not a token"))
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": "LlamaTokenizer", "add_prefix_space": true}"#)
            .contains("'add_prefix_space' is set for a Llama tokenizer"))
        XCTAssertTrue(try message("bert-cased", config: #"{"tokenizer_class": "BertTokenizer", "strip_accents": 1}"#)
            .contains("'strip_accents' must be true, false or null, found a number"))
        XCTAssertTrue(try message("llama-add-eos", config: #"{"add_eos_token": 1}"#, modelConfig: #"{"model_type": "mistral"}"#)
            .contains("'add_eos_token' must be true or false, found a number"))
        XCTAssertTrue(try message("llama-add-eos", config: #"{"tokenizer_class": 3}"#)
            .contains("'tokenizer_class' must be a string, found a number"))
        XCTAssertTrue(try message("llama-add-eos", config: "{}", modelConfig: #"{"model_type": ["llama"]}"#, file: "config.json")
            .contains("'model_type' must be a string, found an array"))
    }

    /// Settings of a class not handled leave tokenizer.json alone, even when malformed; so do
    /// settings with no class (no config.json) or a model_type outside the table.
    func testOtherClassesIgnoreTheSettings() throws {
        let plain = try Tokenizer(contentsOf: Self.folder.appendingPathComponent("llama-add-eos/tokenizer.json"))
        for (config, modelConfig) in [(#"{"tokenizer_class": "T5Tokenizer", "add_eos_token": "yes"}"#, nil),
                                      (#"{"add_eos_token": "yes"}"#, nil),
                                      (#"{"add_eos_token": "yes"}"#, #"{"model_type": "t5"}"#),
                                      (#"{"tokenizer_class": "T5Tokenizer", "add_eos_token": "yes"}"#, #"{"model_type": "llama"}"#)] {
            let dir = try folder("llama-add-eos", config: config, modelConfig: modelConfig)
            XCTAssertEqual(try Tokenizer.load(directory: dir).encode("Hello world").ids, try plain.encode("Hello world").ids,
                           "\(config) \(modelConfig ?? "")")
        }
    }
}
