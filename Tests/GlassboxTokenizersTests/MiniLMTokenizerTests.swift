import Foundation
import GlassboxTestSupport
import GlassboxTokenizers
import XCTest

/// The real sentence-transformers/all-MiniLM-L6-v2 tokenizer (BERT uncased WordPiece, 30,522
/// pieces), fetched by scripts/fetch-minilm.sh, against the reference on the whole corpus: from
/// its tokenizer.json, and from vocab.txt + tokenizer_config.json + special_tokens_map.json alone.
/// Skips when absent, fails under GLASSBOX_REQUIRE_REAL_MODELS=1.
final class MiniLMTokenizerTests: XCTestCase {
    func testTokenizerJSON() throws {
        let folder = try TokenizerFixtures.requireMiniLM()
        let tokenizer = try Tokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json"))
        XCTAssertEqual(tokenizer.modelType, "WordPiece")
        XCTAssertEqual(tokenizer.modelVocabularySize, 30522)
        try checkGolden(try TokenizerGolden.load("minilm"), tokenizer: tokenizer, corpus: try GoldenCorpus.load())
    }

    func testVocabTXTAlone() throws {
        let folder = try TokenizerFixtures.requireMiniLM()
        let copy = try makeTemporaryFolder("minilm")
        for f in ["vocab.txt", "tokenizer_config.json", "special_tokens_map.json"] {
            try FileManager.default.copyItem(at: folder.appendingPathComponent(f), to: copy.appendingPathComponent(f))
        }
        let tokenizer = try Tokenizer.load(directory: copy)
        XCTAssertEqual(tokenizer.source, "vocab.txt")
        try checkGolden(try TokenizerGolden.load("minilm-vocab-txt"), tokenizer: tokenizer, corpus: try GoldenCorpus.load())
    }
}
