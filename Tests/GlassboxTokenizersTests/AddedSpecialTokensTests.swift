import Foundation
import GlassboxTestSupport
@testable import GlassboxTokenizers
import XCTest

/// The special tokens `transformers` adds over a `tokenizer.json` (or the slow class's vocabulary
/// files) when it builds the class (configured in tokenizer_config.json / special_tokens_map.json,
/// or the class's defaults, that are not among `added_tokens`; added_tokens.json only without
/// added_tokens_decoder), against AutoTokenizer (transformers 4.53.3;
/// Tests/Fixtures/tokenizers/tokenizer-config/added/, scripts/fixtures/tokenizer_config_added.py).
/// Each case folder is loaded as it is. Ids, the ids' token strings, UTF-8 byte offsets, both decodes
/// (keeping and skipping special tokens), `len(tokenizer)`, every added token's id and flags, the
/// chat template's special tokens and its rendering must match exactly, and so must the ids
/// without special tokens. The folders with a SentencePiece model alone (`tokenizer.model`, T5's
/// `spiece.model`: the tokens the converter and the class add, T5's sentinels, the fast class's
/// post-processor from `add_bos_token` / `add_eos_token`) are encoded with special tokens; their
/// offsets are sentencepiece's, not compared.
final class AddedSpecialTokensTests: XCTestCase {
    struct Added: Decodable, Equatable {
        let content: String
        let special, normalized, lstrip, rstrip, single_word: Bool
    }

    struct Text: Decodable {
        let text: String
        let pair: String?
        let ids: [Int]
        let tokens: [String]
        let offsets: [[Int]]
        let decoded: String
        let decoded_skipping_special: String
        /// The ids with `add_special_tokens=False`.
        let ids_without_special_tokens: [Int]
    }

    /// A `special_tokens_map` value: one token or a list.
    enum Special: Decodable, Equatable {
        case token(String), tokens([String])

        init(from decoder: Decoder) throws {
            let c = try decoder.singleValueContainer()
            if let s = try? c.decode(String.self) { self = .token(s) } else { self = .tokens(try c.decode([String].self)) }
        }
    }

    struct Case: Decodable {
        let `class`: String
        let length: Int
        let model_vocabulary_size: Int
        /// False for the vocab.txt / GPT-2 vocab.json folders, whose post-processors are not checked here.
        let add_special_tokens: Bool
        /// True for the folders with a SentencePiece model alone (offsets not compared).
        let sentencepiece_model: Bool
        let added_tokens: [String: Added]
        let special_tokens: [String: Special]
        let single: [Text]
        let pair: Text
        let chat: String
    }

    static let folder = TokenizerFixtures.folder.appendingPathComponent("tokenizer-config/added")

    static func cases() throws -> [String: Case] {
        try JSONDecoder().decode([String: Case].self,
                                 from: Data(contentsOf: folder.appendingPathComponent("expected.json")))
    }

    func testEncodingsMatchAutoTokenizer() throws {
        let cases = try Self.cases()
        XCTAssertEqual(cases.count, 48)
        for (name, expected) in cases.sorted(by: { $0.key < $1.key }) {
            let tokenizer = try Tokenizer.load(directory: Self.folder.appendingPathComponent(name))
            for text in expected.single + [expected.pair] {
                let label = "\(name): \(text.text)"
                let special = expected.add_special_tokens
                let e = try text.pair.map { try tokenizer.encode(text.text, pair: $0, addSpecialTokens: special) }
                    ?? tokenizer.encode(text.text, addSpecialTokens: special)
                XCTAssertEqual(e.ids, text.ids, label)
                let plain = try text.pair.map { try tokenizer.encode(text.text, pair: $0, addSpecialTokens: false) }
                    ?? tokenizer.encode(text.text, addSpecialTokens: false)
                XCTAssertEqual(plain.ids, text.ids_without_special_tokens, label + " (without special tokens)")
                // convert_ids_to_tokens: the token of each id (an added token's content, without the
                // spaces its lstrip / rstrip took, which the encoding's token strings keep).
                XCTAssertEqual(e.ids.map { tokenizer.token(for: $0) ?? "" }, text.tokens, label)
                // A SentencePiece model's pieces keep sentencepiece's offsets (a "▁" of a space is
                // empty where it stands; SentencePieceGoldenTests checks them against sentencepiece),
                // not those of transformers' converted tokenizer, which gives the "▁" its space.
                if special && !expected.sentencepiece_model { XCTAssertEqual(e.offsets.map { [$0.start, $0.end] }, text.offsets, label) }
                XCTAssertEqual(tokenizer.decode(text.ids), text.decoded, label)
                XCTAssertEqual(tokenizer.decode(text.ids, skipSpecialTokens: true), text.decoded_skipping_special, label)
            }
        }
    }

    /// The added tokens (ids, content, flags), `len(tokenizer)` and the model's vocabulary size.
    func testAddedTokensMatchAutoTokenizer() throws {
        for (name, expected) in try Self.cases().sorted(by: { $0.key < $1.key }) {
            let tokenizer = try Tokenizer.load(directory: Self.folder.appendingPathComponent(name))
            var seen: [String: Added] = [:]
            for (id, t) in tokenizer.addedVocabulary.tokensByID {
                seen[String(id)] = Added(content: t.content, special: t.special,
                                         normalized: t.normalized, lstrip: t.lstrip, rstrip: t.rstrip,
                                         single_word: t.singleWord)
            }
            XCTAssertEqual(seen, expected.added_tokens, name)
            XCTAssertEqual(tokenizer.pieces.count, expected.length, name)
            XCTAssertEqual(tokenizer.modelVocabularySize, expected.model_vocabulary_size, name)
        }
    }

    /// A special token transformers adds is one the chat template sees, as it renders it.
    func testChatTemplatesMatchAutoTokenizer() throws {
        for (name, expected) in try Self.cases().sorted(by: { $0.key < $1.key }) {
            let template = try XCTUnwrap(try ChatTemplate.load(directory: Self.folder.appendingPathComponent(name)), name)
            var seen: [String: Special] = [:]
            for (key, value) in template.specialTokens {
                switch value {
                case .token(let t): seen[key] = .token(t)
                case .tokens(let t): seen[key] = .tokens(t)
                }
            }
            XCTAssertEqual(seen, expected.special_tokens, name)
            let rendered = try template.render(messages: [ChatMessage(role: "user", content: "Hello world")],
                                               addGenerationPrompt: true)
            XCTAssertEqual(rendered, expected.chat, name)
        }
    }

    /// T5TokenizerFast refuses `additional_special_tokens` naming another number of sentinels than
    /// `extra_ids` (ValueError), and `extra_ids` must be a count: errors naming the file and key.
    func testT5ExtraIDsErrorsNameTheFileAndKey() throws {
        let dir = try makeTemporaryFolder("t5-extra")
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("spm-t5-extra-ids/spiece.model"),
                                         to: dir.appendingPathComponent("spiece.model"))
        let config = dir.appendingPathComponent("tokenizer_config.json")
        for (json, key) in [(#"{"tokenizer_class": "T5Tokenizer", "extra_ids": 3, "additional_special_tokens": ["<extra_id_0>"]}"#,
                             "'extra_ids' is 3"),
                            (#"{"tokenizer_class": "T5Tokenizer", "extra_ids": "100"}"#, "'extra_ids' must be an integer")] {
            try Data(json.utf8).write(to: config)
            XCTAssertThrowsError(try Tokenizer.load(directory: dir)) { error in
                let message = "\(error.localizedDescription)"
                XCTAssertTrue(message.contains(config.path) && message.contains(key), message)
            }
        }
        // extra_ids 0 with a listed sentinel is allowed (transformers checks the count only when > 0).
        try Data(#"{"tokenizer_class": "T5Tokenizer", "extra_ids": 0, "additional_special_tokens": ["<extra_id_7>"]}"#.utf8).write(to: config)
        let tokenizer = try Tokenizer.load(directory: dir)
        XCTAssertEqual(tokenizer.modelVocabularySize, 1000)
        XCTAssertEqual(tokenizer.id(of: "<extra_id_7>"), 1000)
    }

    /// 100,000 T5 sentinels load (each looked up in a table, not by a scan of the others, which
    /// took minutes for 20,000) and get transformers' ids: `<extra_id_0>` last, after the model's
    /// 1,000 pieces.
    func testManyT5SentinelsLoad() throws {
        let dir = try makeTemporaryFolder("t5-many")
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("spm-t5-extra-ids/spiece.model"),
                                         to: dir.appendingPathComponent("spiece.model"))
        try Data(#"{"tokenizer_class": "T5Tokenizer", "extra_ids": 100000}"#.utf8)
            .write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try Tokenizer.load(directory: dir)
        XCTAssertEqual(tokenizer.pieces.count, 101_000)
        XCTAssertEqual(tokenizer.id(of: "<extra_id_0>"), 100_999)
        XCTAssertEqual(tokenizer.id(of: "<extra_id_99999>"), 1000)
        let ids = try tokenizer.encode("a<extra_id_54321>b", addSpecialTokens: false).ids
        XCTAssertEqual(ids, [13, 1000 + 99999 - 54321, 123])
    }

    /// 50,000 `additional_special_tokens` of a vocab.json folder load (their contents kept in a set,
    /// not compared with each earlier one, which took 4.7 s for 5,000) with the next ids in order.
    func testManyAdditionalSpecialTokensLoad() throws {
        let dir = try makeTemporaryFolder("many-added")
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("vocab-json-added-tokens-json/\(name)"),
                                             to: dir.appendingPathComponent(name))
        }
        let list = (0..<50_000).map { "\"<r\($0)>\"" }.joined(separator: ", ")
        try Data(#"{"tokenizer_class": "GPT2Tokenizer", "additional_special_tokens": ["# .utf8 + Data(list.utf8) + Data("]}".utf8))
            .write(to: dir.appendingPathComponent("tokenizer_config.json"))
        let tokenizer = try Tokenizer.load(directory: dir)
        XCTAssertEqual(tokenizer.id(of: "<r0>"), 1000)
        XCTAssertEqual(tokenizer.id(of: "<r49999>"), 50_999)
        XCTAssertEqual(try tokenizer.encode("<r123><r49999>", addSpecialTokens: false).ids, [1123, 50_999])
    }

    /// `legacy: false` and `add_prefix_space: false` on a Llama / T5 SentencePiece model make
    /// transformers convert it into another pipeline: refused, naming the file and key.
    func testSentencePieceSettingsGlassboxDoesNotBuildAreRefused() throws {
        let dir = try makeTemporaryFolder("spm-settings")
        let config = dir.appendingPathComponent("tokenizer_config.json")
        for (model, file, json, key) in [
            ("spm-llama-additional/tokenizer.model", "tokenizer.model", #"{"tokenizer_class": "LlamaTokenizer", "legacy": false}"#,
             "'legacy' is false"),
            ("spm-llama-additional/tokenizer.model", "tokenizer.model",
             #"{"tokenizer_class": "LlamaTokenizerFast", "add_prefix_space": false}"#, "'add_prefix_space' is false"),
            ("spm-t5-extra-ids/spiece.model", "spiece.model", #"{"tokenizer_class": "T5Tokenizer", "legacy": false}"#,
             "'legacy' is false"),
            ("spm-t5-extra-ids/spiece.model", "spiece.model", #"{"tokenizer_class": "T5Tokenizer", "legacy": "no"}"#,
             "'legacy' must be true or false"),
        ] {
            for name in ["tokenizer.model", "spiece.model"] { try? FileManager.default.removeItem(at: dir.appendingPathComponent(name)) }
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent(model), to: dir.appendingPathComponent(file))
            try Data(json.utf8).write(to: config)
            XCTAssertThrowsError(try Tokenizer.load(directory: dir), json) { error in
                let message = "\(error.localizedDescription)"
                XCTAssertTrue(message.contains(config.path) && message.contains(key), message)
                if key.hasSuffix("is false") { XCTAssertTrue(message.contains("a tokenizer.json is"), message) }
            }
        }
        // A class that does not read them (Gemma) loads.
        try? FileManager.default.removeItem(at: dir.appendingPathComponent("spiece.model"))
        try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("spm-gemma-additional/tokenizer.model"),
                                         to: dir.appendingPathComponent("tokenizer.model"))
        try Data(#"{"tokenizer_class": "GemmaTokenizer", "legacy": false, "add_prefix_space": false}"#.utf8).write(to: config)
        XCTAssertNoThrow(try Tokenizer.load(directory: dir))
    }

    /// A vocab.json + merges.txt folder naming a class other than GPT-2's or RoBERTa's (whose
    /// converters build other pipelines) is refused, naming the file and class; a `model_type`
    /// without a named class keeps GPT-2's pipeline.
    func testOtherByteLevelClassesAreRefused() throws {
        let dir = try makeTemporaryFolder("bpe-class")
        for name in ["vocab.json", "merges.txt"] {
            try FileManager.default.copyItem(at: Self.folder.appendingPathComponent("vocab-json-roberta-class/\(name)"),
                                             to: dir.appendingPathComponent(name))
        }
        for (file, json) in [("tokenizer_config.json", #"{"tokenizer_class": "BartTokenizer"}"#),
                             ("config.json", #"{"model_type": "codegen", "tokenizer_class": "CodeGenTokenizerFast"}"#)] {
            for old in ["tokenizer_config.json", "config.json"] { try? FileManager.default.removeItem(at: dir.appendingPathComponent(old)) }
            try Data(json.utf8).write(to: dir.appendingPathComponent(file))
            XCTAssertThrowsError(try Tokenizer.load(directory: dir), json) { error in
                let message = "\(error.localizedDescription)"
                XCTAssertTrue(message.contains(dir.appendingPathComponent(file).path) && message.contains("'tokenizer_class' is ")
                              && message.contains("a tokenizer.json works"), message)
            }
        }
        try FileManager.default.removeItem(at: dir.appendingPathComponent("config.json"))
        try Data(#"{"model_type": "qwen2"}"#.utf8).write(to: dir.appendingPathComponent("config.json"))
        XCTAssertEqual(try Tokenizer.load(directory: dir).encode("Hello").ids, [40, 418, 79])
    }

    /// The fixture shows what the cases are for: a new id used as BOS / EOS, vocabulary ids kept.
    func testFixtureCoversTheCases() throws {
        let cases = try Self.cases()
        XCTAssertEqual(cases["llama-bos-missing"]?.single.first?.ids.first, 119, "<s> gets id = vocabulary size")
        XCTAssertEqual(cases["config-eos-missing"]?.single.first?.ids.last, 120, "<|im_end|> is the EOS")
        XCTAssertEqual(cases["llama-specials-not-added"]?.single[1].tokens.filter { $0 == "<s>" }.count, 3)
        XCTAssertEqual(cases["gemma-defaults-missing"]?.added_tokens["122"]?.content, "<pad>")
        // added_tokens.json is read only without added_tokens_decoder, also for vocab.txt / vocab.json folders.
        for name in ["vocab-txt-added-tokens-json", "vocab-json-added-tokens-json"] {
            XCTAssertEqual(cases[name]?.added_tokens["1000"]?.content, "<new>", name)
            XCTAssertEqual(cases[name + "-with-decoder"]?.added_tokens["1000"]?.content, "<|im_start|>", name)
            XCTAssertNil(cases[name + "-with-decoder"]?.added_tokens["1001"], name)
        }
        XCTAssertEqual(cases["added-tokens-json-with-decoder"]?.length, 121, "no <new> / <sp>")
        // A SentencePiece model alone: the fast class's template around the text.
        XCTAssertEqual(cases["spm-gemma-bos-absent-eos-true"]?.single.first?.ids, [2, 337, 347, 1], "<bos> … <eos>")
        XCTAssertEqual(cases["spm-gemma-bos-absent-eos-true"]?.single.first?.ids_without_special_tokens, [337, 347])
        XCTAssertEqual(cases["spm-llama-bos-false-eos-absent"]?.single.first?.ids, [343, 348], "nothing added")
        XCTAssertEqual(cases["spm-llama-bos-true-eos-true"]?.pair.ids, [1, 343, 380, 1, 380, 348, 2, 1, 261, 380, 2, 380, 332, 2],
                       "<s> A </s> <s> B </s>")
        XCTAssertEqual(cases["spm-t5-other-eos"]?.single.first?.ids.last, 1, "T5's template names the literal </s>")
        XCTAssertEqual(cases["spm-t5-add-bos-no-eos"]?.single.first?.ids.last, 1, "T5 reads neither setting")
    }
}
