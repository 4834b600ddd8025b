import Foundation
import GlassboxTokenizers
import XCTest

/// The tokenizers the fixture generator writes into the RoBERTa and DistilBERT model folders
/// (scripts/fixtures/encoder_fixtures.py): a trained byte-level BPE with RoBERTa's post-processor
/// (`roberta-mlm`) and a WordPiece with the `[CLS] $A [SEP]` template (`distilbert-mlm`), each
/// loaded from the folder's `tokenizer.json` as the CLI loads it, against what the Python
/// `tokenizers` library gives on the whole shared corpus (Tests/Fixtures/goldens/tokenizers):
/// ids, token strings, byte offsets, word ids, special-token mask, type ids and both decodes identical.
final class EncoderFixtureTokenizerTests: XCTestCase {
    static let goldens = TokenizerFixtures.root.appendingPathComponent("Tests/Fixtures/goldens/tokenizers")

    private func check(_ model: String) throws {
        let golden = try TokenizerFixtures.json(TokenizerGolden.self, Self.goldens.appendingPathComponent("\(model).json"))
        XCTAssertEqual(golden.tokenizers, "0.21.4", model)
        let tokenizer = try Tokenizer.load(directory: TokenizerFixtures.models.appendingPathComponent(model))
        let checked = try checkGolden(golden, tokenizer: tokenizer, corpus: try GoldenCorpus.load())
        XCTAssertGreaterThanOrEqual(checked, 40, "\(model): too few golden cases")
        XCTAssertFalse(golden.pairs.isEmpty, "\(model): no pair cases")
    }

    func testRoBERTaFixtureByteLevelBPE() throws { try check("roberta-mlm") }
    func testDistilBERTFixtureWordPiece() throws { try check("distilbert-mlm") }
}
