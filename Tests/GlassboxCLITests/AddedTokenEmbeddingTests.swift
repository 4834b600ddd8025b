import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// A special token the tokenizer adds past the model's vocabulary (as transformers adds a
/// configured token the vocabulary lacks) has no embedding row: transformers 4.53.3 encodes
/// "Hello world" with the llama-gqa checkpoint and `eos_token` `<|im_end|>` + `add_eos_token` as
/// `[1, 0, 128]` (`<|im_end|>` = 128 = `vocab_size`) and its model raises `IndexError: index out
/// of range in self`. Glassbox refuses it with one line naming the token and the embedding size.
final class AddedTokenEmbeddingTests: XCTestCase {
    /// llama-gqa with a tokenizer_config.json naming an `eos_token` in neither its vocabulary nor
    /// its added tokens.
    private func folder() throws -> URL {
        let source = URL(fileURLWithPath: "Tests/Fixtures/models/llama-gqa")
        let dir = try makeTemporaryFolder("tokadd")
        for name in ["config.json", "tokenizer.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        try Data(#"{"tokenizer_class": "LlamaTokenizerFast", "eos_token": "<|im_end|>", "add_eos_token": true}"#.utf8)
            .write(to: dir.appendingPathComponent("tokenizer_config.json"))
        return dir
    }

    func testLibraryNamesTheTokenAndTheEmbeddingSize() throws {
        let context = try ModelContext.load(directory: try folder())
        XCTAssertEqual(try context.tokenizerResult.get().encode("Hello world").ids, [1, 0, 128])
        XCTAssertThrowsError(try context.input("Hello world")) { error in
            XCTAssertEqual(error as? ModelContextError,
                           .tokenBeyondEmbedding(token: "<|im_end|>", id: 128, position: 2, rows: 128))
        }
    }

    func testPredictRefusesWithOneLine() throws {
        let output = try runGlassbox(["predict", "--model", try folder().path, "Hello world"])
        XCTAssertEqual(output.status, 1, output.stderr)
        let lines = output.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains(#"token "<|im_end|>" (id 128, position 2) is past the model's token embedding of 128 rows"#),
                      output.stderr)
    }

    /// An ordinary vocabulary id past the embedding is not an added special token: the llama2
    /// fixture tokenizer (1,259 tokens) with llama-gqa (128 embedding rows) encodes "Hello world"
    /// as `[1, 481, …]`, and `▁H` (481) is one of its own tokens. The line says the tokenizer is
    /// larger than the model (another model's?), not that it added a special token.
    func testAnOrdinaryTokenPastTheEmbeddingBlamesTheTokenizersSize() throws {
        let dir = try makeTemporaryFolder("tokbig")
        let model = URL(fileURLWithPath: "Tests/Fixtures/models/llama-gqa")
        for name in ["config.json", "model.safetensors"] {
            try FileManager.default.copyItem(at: model.appendingPathComponent(name), to: dir.appendingPathComponent(name))
        }
        try FileManager.default.copyItem(at: URL(fileURLWithPath: "Tests/Fixtures/tokenizers/llama2/tokenizer.json"),
                                         to: dir.appendingPathComponent("tokenizer.json"))
        let context = try ModelContext.load(directory: dir)
        XCTAssertEqual(try context.tokenizerResult.get().modelVocabularySize, 1259)
        XCTAssertThrowsError(try context.input("Hello world")) { error in
            XCTAssertEqual(error as? ModelContextError,
                           .vocabularyBeyondEmbedding(token: "▁H", id: 481, position: 1, rows: 128, vocabulary: 1259))
        }
        let output = try runGlassbox(["predict", "--model", dir.path, "Hello world"])
        XCTAssertEqual(output.status, 1, output.stderr)
        XCTAssertEqual(output.stderr, #"glassbox: error: token "▁H" (id 481, position 1) is past the model's token embedding of "#
                       + "128 rows (config.json vocab_size): the tokenizer's vocabulary of 1259 tokens is larger than the model's "
                       + "embedding; is tokenizer.json from another model?\n")
    }

    /// Such a token named as an output (`--target`, `--wrong`, an evaluate line's target) is one
    /// line, not a crash: it was a force-unwrap on a missing logit (exit 132).
    func testAnAddedTokenNamedAsAnOutputIsRefused() throws {
        let dir = try folder()
        let expected = "'<|im_end|>' is token 128, outside the model's 128 outputs"
        let explain = try runGlassbox(["explain", "--model", dir.path, "--ids", "1,5,9", "--target", "<|im_end|>", "--json",
                                       "--out", dir.appendingPathComponent("x.pdf").path])
        XCTAssertEqual(explain.status, 1, explain.stderr)
        XCTAssertEqual(explain.stderr.split(separator: "\n").count, 1, explain.stderr)
        XCTAssertTrue(explain.stderr.contains("--target " + expected), explain.stderr)
        let patch = try runGlassbox(["patch", "--model", dir.path, "--clean-ids", "1,5,9", "--corrupted-ids", "1,6,9",
                                     "--answer-id", "8", "--wrong", "<|im_end|>", "--json"])
        XCTAssertEqual(patch.status, 1, patch.stderr)
        XCTAssertTrue(patch.stderr.contains("--wrong " + expected), patch.stderr)
        let lines = dir.appendingPathComponent("in.jsonl")
        try Data(#"{"ids": [1, 5, 9], "target": "<|im_end|>"}"#.utf8).write(to: lines)
        let evaluate = try runGlassbox(["evaluate", "--model", dir.path, "--prompts", lines.path, "--methods", "attention",
                                        "--out", dir.appendingPathComponent("e.pdf").path])
        XCTAssertEqual(evaluate.status, 1, evaluate.stderr)
        XCTAssertTrue(evaluate.stderr.contains(expected), evaluate.stderr)
    }
}
