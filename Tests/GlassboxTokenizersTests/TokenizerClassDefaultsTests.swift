import Foundation
import GlassboxTestSupport
@testable import GlassboxTokenizers
import XCTest

/// The tokenizer class's `__init__` defaults where the files omit them, against AutoTokenizer
/// (transformers 4.53.3; Tests/Fixtures/tokenizers/tokenizer-config/defaults.json,
/// scripts/fixtures/generate_tokenizer_config.py): folders with no tokenizer_config.json (class from
/// config.json) or one naming no special tokens. Each case's folder is rebuilt here from a committed
/// tokenizer.json and the files the case lists. Ids, UTF-8 byte offsets, the special tokens a chat
/// template sees (transformers' `special_tokens_map`, defaults missing from the vocabulary
/// included: transformers adds them as new tokens, and so does Glassbox) and one chat-template
/// rendering must match exactly. Two
/// cases pit special_tokens_map.json against tokenizer_config.json (the map wins only when the
/// config has no `added_tokens_decoder`).
final class TokenizerClassDefaultsTests: XCTestCase {
    struct Case: Decodable {
        let source: String
        let `class`: String
        let single: [AutoTokenizerEncoding]
        let pair: AutoTokenizerEncoding
        let special_tokens: [String: String]
        let chat: String
    }

    static let fixtures = TokenizerFixtures.root.appendingPathComponent("Tests/Fixtures")
    static let expectedURL = TokenizerFixtures.folder.appendingPathComponent("tokenizer-config/defaults.json")
    /// The template the generator writes to each case's chat_template.jinja.
    static let template = "[{{ bos_token }}|{{ eos_token }}|{{ unk_token }}]"
        + "{% for m in messages %}{{ m['role'] }}: {{ m['content'] }}\n{% endfor %}"
        + "{% if add_generation_prompt %}assistant:{% endif %}"

    /// The folder of case `name`: the source's tokenizer.json, the case's files, the template.
    private func folder(_ name: String, raw: [String: Any]) throws -> URL {
        let dir = try makeTemporaryFolder("tokdefaults")
        let source = try XCTUnwrap(raw["source"] as? String, name)
        try FileManager.default.copyItem(at: Self.fixtures.appendingPathComponent(source).appendingPathComponent("tokenizer.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        for (key, file) in [("tokenizer_config", "tokenizer_config.json"), ("special_tokens_map", "special_tokens_map.json"),
                            ("config", "config.json")] {
            guard let object = raw[key], !(object is NSNull) else { continue }
            try JSONSerialization.data(withJSONObject: object).write(to: dir.appendingPathComponent(file))
        }
        try Data(Self.template.utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
        return dir
    }

    func testDefaultsMatchAutoTokenizer() throws {
        let data = try Data(contentsOf: Self.expectedURL)
        let cases = try JSONDecoder().decode([String: Case].self, from: data)
        let raw = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: [String: Any]])
        XCTAssertEqual(cases.count, 30)   // + codegen, phimoe, electra
        for (name, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let directory = try folder(name, raw: try XCTUnwrap(raw[name]))
            let tokenizer = try Tokenizer.load(directory: directory)
            try assertEncodesLikeAutoTokenizer(tokenizer, single: expected.single, pair: expected.pair, case: name)

            let template = try XCTUnwrap(try ChatTemplate.load(directory: directory), name)
            var seen: [String: String] = [:]
            for (key, value) in template.specialTokens {
                if case .token(let t) = value { seen[key] = t }
            }
            XCTAssertEqual(seen, expected.special_tokens, name)
            let rendered = try template.render(messages: [ChatMessage(role: "user", content: "Hello world")],
                                               addGenerationPrompt: true)
            XCTAssertEqual(rendered, expected.chat, name)
        }
    }

    /// The cases cover every class with defaults, and the fixture's defaults are the table's.
    func testFixtureCoversEveryClass() throws {
        let cases = try JSONDecoder().decode([String: Case].self, from: try Data(contentsOf: Self.expectedURL))
        let families = Set(cases.values.compactMap { FastTokenizerOverrides.family(tokenizerClass: $0.class) })
        XCTAssertEqual(families, Set(FastTokenizerOverrides.Family.allCases))
        XCTAssertEqual(cases["llama-gqa-model"]?.single.first?.ids, [1, 0], "the llama-gqa folder gains its BOS")
    }

    /// A class default token missing from the vocabulary is added with a new id, which the rebuilt
    /// template uses, with or without a tokenizer_config.json, and chat templates see it
    /// (AutoTokenizer: `[120, 62, 106]`, with `add_eos_token` `[120, 62, 106, 121]`, `[<bos>|<eos>|<unk>]`).
    func testDefaultMissingFromVocabularyIsAdded() throws {
        let dir = try makeTemporaryFolder("tokdefaults")
        let json = TokenizerFixtures.folder.appendingPathComponent("tokenizer-config/llama-add-eos/tokenizer.json")
        try FileManager.default.copyItem(at: json, to: dir.appendingPathComponent("tokenizer.json"))
        try Data(#"{"model_type": "gemma"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        try Data(Self.template.utf8).write(to: dir.appendingPathComponent("chat_template.jinja"))
        XCTAssertEqual(try Tokenizer.load(directory: dir).encode("Hello world").ids, [120, 62, 106])
        let template = try XCTUnwrap(try ChatTemplate.load(directory: dir))
        XCTAssertEqual(template.specialTokens.map(\.name), ["bos_token", "eos_token", "unk_token", "pad_token"])
        XCTAssertEqual(try template.render(messages: [], addGenerationPrompt: false), "[<bos>|<eos>|<unk>]")

        try Data(#"{"add_eos_token": true}"#.utf8).write(to: dir.appendingPathComponent("tokenizer_config.json"))
        XCTAssertEqual(try Tokenizer.load(directory: dir).encode("Hello world").ids, [120, 62, 106, 121])
    }
}
