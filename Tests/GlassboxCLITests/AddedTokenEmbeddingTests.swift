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
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("tokadd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: dir) }
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
}
