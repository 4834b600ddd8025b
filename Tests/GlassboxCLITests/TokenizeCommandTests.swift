import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox tokenize` and `glassbox predict --prompt` end to end, on the fixture models that
/// carry real trained tokenizers (Tests/Fixtures/tokenizers/models/): gpt2-tiny with a 128-token
/// byte-level BPE tokenizer.json, bert-tiny-mlm with a 120-piece WordPiece vocab.txt. Expected
/// ids and byte offsets come from the Python `tokenizers` library (goldens/fixture-models.json).
final class TokenizeCommandTests: XCTestCase {
    let gpt2 = "Tests/Fixtures/tokenizers/models/gpt2-tiny-bpe128"
    let bert = "Tests/Fixtures/tokenizers/models/bert-tiny-mlm-wp120"

    struct Golden: Decodable {
        struct Case: Decodable {
            let prompt: String
            let ids: [Int]
            let tokens: [String]
            let spans: [Int]
            let special: [Int]

            /// (start, end) per token from the (start − previous end, length) pairs.
            var offsets: [(Int, Int)] {
                var out: [(Int, Int)] = [], previous = 0
                for k in stride(from: 0, to: spans.count - 1, by: 2) {
                    out.append((previous + spans[k], previous + spans[k] + spans[k + 1]))
                    previous += spans[k] + spans[k + 1]
                }
                return out
            }
        }
        let models: [String: [Case]]
    }

    private func golden(_ model: String) throws -> [Golden.Case] {
        let url = Fixtures.root.appendingPathComponent("Tests/Fixtures/tokenizers/goldens/fixture-models.json")
        return try XCTUnwrap(try JSONDecoder().decode(Golden.self, from: Data(contentsOf: url)).models[model])
    }

    private func json(_ arguments: [String]) throws -> [String: Any] {
        let output = try runGlassbox(arguments)
        XCTAssertEqual(output.status, 0, output.stderr)
        return try XCTUnwrap(JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any],
                             "stdout is not one JSON object: \(output.stdout)")
    }

    private func assertTokens(_ tokens: [[String: Any]], match expected: Golden.Case, _ label: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, expected.ids, label, file: file, line: line)
        XCTAssertEqual(tokens.compactMap { $0["start"] as? Int }, expected.offsets.map(\.0), label, file: file, line: line)
        XCTAssertEqual(tokens.compactMap { $0["end"] as? Int }, expected.offsets.map(\.1), label, file: file, line: line)
        let bytes = Array(expected.prompt.utf8)
        for (i, token) in tokens.enumerated() where i < expected.ids.count {
            let (s, e) = expected.offsets[i]
            let text = s == e ? expected.tokens[i] : String(decoding: bytes[s..<e], as: UTF8.self)
            XCTAssertEqual(token["text"] as? String, text, "\(label) token \(i)", file: file, line: line)
        }
    }

    func testTokenizeMatchesTheReference() throws {
        for (model, name) in [(gpt2, "gpt2-tiny-bpe128"), (bert, "bert-tiny-mlm-wp120")] {
            for c in try golden(name) {
                let object = try json(["tokenize", "--model", model, "--prompt", c.prompt, "--json"])
                XCTAssertEqual(object["command"] as? String, "tokenize")
                let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
                assertTokens(tokens, match: c, "\(name) \(c.prompt.debugDescription)")
                XCTAssertEqual(tokens.enumerated().filter { $0.element["special"] as? Bool == true }.map(\.offset), c.special)
            }
        }
    }

    /// A checkpoint folder whose only tokenizer is a SentencePiece `tokenizer.model` (the
    /// Gemma-style BPE of Tests/Fixtures/sentencepiece, beside llama-gqa's config and weights):
    /// `tokenize --no-special-tokens` reads it and gives sentencepiece 0.2.1's ids, byte offsets and
    /// decode; with special tokens, config.json's `model_type` (llama) makes it `LlamaTokenizerFast`,
    /// whose template puts `<s>` (this model's id 2) in front, as AutoTokenizer does.
    func testTokenizeReadsASentencePieceModel() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-spm-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: Fixtures.model("llama-gqa"), to: folder)
        try FileManager.default.removeItem(at: folder.appendingPathComponent("tokenizer.json"))
        try FileManager.default.copyItem(at: Fixtures.root.appendingPathComponent("Tests/Fixtures/sentencepiece/gemma/tokenizer.model"),
                                         to: folder.appendingPathComponent("tokenizer.model"))
        struct Golden: Decodable {
            struct Case: Decodable { let name: String; let ids: [Int]; let spans: [Int]; let decoded: String }
            let cases: [Case]
        }
        struct Corpus: Decodable { struct Case: Decodable { let name: String; let text: String }; let cases: [Case] }
        let golden = try JSONDecoder().decode(Golden.self, from: Data(contentsOf: Fixtures.root.appendingPathComponent(
            "Tests/Fixtures/sentencepiece/goldens/gemma.json")))
        let corpus = try JSONDecoder().decode(Corpus.self, from: Data(contentsOf: Fixtures.root.appendingPathComponent(
            "Tests/Fixtures/tokenizers/corpus.json")))
        for name in ["accents", "whitespace-runs", "emoji"] {
            let expected = try XCTUnwrap(golden.cases.first { $0.name == name })
            let text = try XCTUnwrap(corpus.cases.first { $0.name == name }?.text)
            let object = try json(["tokenize", "--model", folder.path, "--prompt", text, "--json", "--no-special-tokens"])
            XCTAssertEqual((object["model"] as? [String: Any])?["tokenizer"] as? String, "tokenizer.model")
            XCTAssertEqual((object["model"] as? [String: Any])?["tokenizerModel"] as? String, "SentencePiece BPE")
            let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
            XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, expected.ids, name)
            var offsets: [Int] = [], previous = 0
            for k in stride(from: 0, to: expected.spans.count - 1, by: 2) {
                offsets += [previous + expected.spans[k], previous + expected.spans[k] + expected.spans[k + 1]]
                previous += expected.spans[k] + expected.spans[k + 1]
            }
            XCTAssertEqual(tokens.flatMap { [$0["start"] as? Int ?? -1, $0["end"] as? Int ?? -1] }, offsets, name)
            XCTAssertEqual(object["decoded"] as? String, expected.decoded, name)
            let special = try json(["tokenize", "--model", folder.path, "--prompt", text, "--json"])
            let specialTokens = try XCTUnwrap(special["tokens"] as? [[String: Any]])
            XCTAssertEqual(specialTokens.compactMap { $0["id"] as? Int }, [2] + expected.ids, name)
            XCTAssertEqual(specialTokens.first?["token"] as? String, "<s>", name)
            XCTAssertEqual(specialTokens.first.map { [$0["start"] as? Int, $0["end"] as? Int] }, [0, 0], name)
        }
    }

    /// A T5 folder with only `spiece.model` (and config.json's `model_type`): `tokenize` keeps
    /// T5's sentinels whole, with AutoTokenizer's ids (`<extra_id_0>` is the last id, 1099), where
    /// it used to split `<extra_id_5>` into pieces (or find no tokenizer).
    func testTokenizeKeepsT5Sentinels() throws {
        let folder = Fixtures.root.appendingPathComponent("Tests/Fixtures/tokenizers/tokenizer-config/added/spm-t5-extra-ids")
        struct Text: Decodable { let text: String; let ids: [Int] }
        struct Case: Decodable { let single: [Text] }
        let cases = try JSONDecoder().decode([String: Case].self, from: Data(contentsOf: folder.deletingLastPathComponent()
            .appendingPathComponent("expected.json")))
        let expected = try XCTUnwrap(cases["spm-t5-extra-ids"]?.single.first { $0.text.contains("<extra_id_5>") })
        let object = try json(["tokenize", "--model", folder.path, "--prompt", expected.text, "--json"])
        XCTAssertEqual((object["model"] as? [String: Any])?["tokenizer"] as? String, "spiece.model")
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["id"] as? Int }, expected.ids)
        XCTAssertEqual(tokens.compactMap { $0["token"] as? String }.filter { $0.hasPrefix("<extra_id_") },
                       ["<extra_id_0>", "<extra_id_5>", "<extra_id_99>"])
        XCTAssertTrue(expected.ids.contains(1099) && expected.ids.contains(1094) && expected.ids.contains(1000), "\(expected.ids)")
    }

    func testTokenizeTableAndIDs() throws {
        let table = try runGlassbox(["tokenize", "--model", bert, "the king of denmark"])
        XCTAssertEqual(table.status, 0, table.stderr)
        XCTAssertTrue(table.stdout.contains("[CLS]") && table.stdout.contains("(special)"), table.stdout)
        XCTAssertTrue(table.stdout.contains("decoded: \"[CLS] the king of denmark [SEP]\""), table.stdout)

        let plain = try json(["tokenize", "--model", bert, "the king", "--no-special-tokens", "--json"])
        XCTAssertEqual((plain["tokens"] as? [[String: Any]])?.first?["start"] as? Int, 0)
        XCTAssertEqual(plain["decoded"] as? String, "the king")

        let ids = try json(["tokenize", "--model", bert, "--ids", "2,4,3", "--json"])
        let tokens = try XCTUnwrap(ids["tokens"] as? [[String: Any]])
        XCTAssertEqual(tokens.compactMap { $0["token"] as? String }, ["[CLS]", "[MASK]", "[SEP]"])
        XCTAssertTrue(tokens.allSatisfy { $0["start"] is NSNull && $0["end"] is NSNull })
    }

    /// `--prompt=VALUE` whose value starts with a combining mark: the parser sees `=` and the mark
    /// as one character, so the option was refused as unknown; it now reads as `--prompt VALUE`.
    func testPromptAfterEqualsMayStartWithACombiningMark() throws {
        let spaced = try runGlassbox(["tokenize", "--model", bert, "--prompt", "\u{300}king", "--json"])
        XCTAssertEqual(spaced.status, 0, spaced.stderr)
        let glued = try runGlassbox(["tokenize", "--model", bert, "--prompt=\u{300}king", "--json"])
        XCTAssertEqual(glued.status, 0, glued.stderr)
        XCTAssertEqual(glued.stdout, spaced.stdout)
    }

    func testPredictWithAPromptRunsItsTokens() throws {
        let c = try XCTUnwrap(try golden("gpt2-tiny-bpe128").first)
        let byPrompt = try json(["predict", "--model", gpt2, "--prompt", c.prompt, "--top-k", "5", "--json"])
        assertTokens(try XCTUnwrap(byPrompt["tokens"] as? [[String: Any]]), match: c, "predict --prompt")
        XCTAssertEqual(byPrompt["position"] as? Int, c.ids.count - 1)
        let ids = c.ids.map(String.init).joined(separator: ",")
        let byIDs = try json(["predict", "--model", gpt2, "--ids", ids, "--top-k", "5", "--json"])
        let top = { (o: [String: Any]) in (o["top"] as? [[String: Any]])?.compactMap { $0["id"] as? Int } }
        XCTAssertEqual(top(byPrompt), top(byIDs))
        XCTAssertTrue((byIDs["tokens"] as? [[String: Any]])?.allSatisfy { $0["start"] is NSNull } ?? false)

        let positional = try json(["predict", "--model", gpt2, c.prompt, "--top-k", "5", "--json"])
        XCTAssertEqual(top(positional), top(byIDs))
        let text = try runGlassbox(["predict", "--model", gpt2, c.prompt, "--top-k", "2"])
        XCTAssertTrue(text.stdout.contains("input  \(c.ids.count) tokens: \"T\" \"o\" \" be\""), text.stdout)
    }

    func testMaskedLMPredictsAtTheMaskOfThePrompt() throws {
        let c = try XCTUnwrap(try golden("bert-tiny-mlm-wp120").first { $0.prompt.contains("[MASK]") })
        let object = try json(["predict", "--model", bert, "--prompt", c.prompt, "--json"])
        assertTokens(try XCTUnwrap(object["tokens"] as? [[String: Any]]), match: c, "bert predict")
        XCTAssertEqual(object["position"] as? Int, c.tokens.firstIndex(of: "[MASK]"))
    }
    /// `tokenize --json` streams its token objects: a 306 KB prompt (over 100,000 tokens of the
    /// bundled GPT-2) runs under a 300 MB data limit (`ulimit -d`) and gives one object per token,
    /// covering the prompt.
    /// Building them as Foundation objects first took about 380 MB and 7 s here (debug build).
    func testLongPromptJSONStaysWithinADataLimit() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-long-\(UUID().uuidString).txt")
        defer { try? FileManager.default.removeItem(at: file) }
        let prompt = String(repeating: "I pray you, sir. ", count: 18_000)
        try Data(prompt.utf8).write(to: file)
        let model = "shakespeare-gpt2"
        let run = try runGlassboxShell("ulimit -d 300000; exec \"$GLASSBOX\" tokenize --model '\(model)' --prompt-file '\(file.path)' --json",
                                       timeout: 120)
        XCTAssertEqual(run.status, 0, String(run.stderr.prefix(300)))
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let tokens = try XCTUnwrap(object["tokens"] as? [[String: Any]])
        XCTAssertGreaterThanOrEqual(tokens.count, 100_000)
        let bytes = Array(prompt.utf8)
        let mismatched = tokens.filter { token in
            guard let start = token["start"] as? Int, let end = token["end"] as? Int, let text = token["text"] as? String,
                  0 <= start, start <= end, end <= bytes.count else { return true }
            // An empty span (a trimmed lone space) shows the token string instead, as the table does.
            return start == end ? text != token["token"] as? String : String(decoding: bytes[start..<end], as: UTF8.self) != text
        }
        XCTAssertEqual(mismatched.count, 0, "each token's text is the prompt's bytes at its span")
        XCTAssertEqual(tokens.last?["end"] as? Int, bytes.count, "the tokens reach the end of the prompt")
        XCTAssertEqual(Set(tokens.map { $0.keys.sorted() }), [["end", "id", "special", "start", "text", "token", "word"]])
        XCTAssertEqual(object["decoded"] as? String, prompt)
    }
}
