import Foundation
import GlassboxTokenizers
import XCTest

/// The tokenizers the fixture generator writes into the RoBERTa and DistilBERT model folders
/// (scripts/fixtures/encoder_fixtures.py): a trained byte-level BPE with RoBERTa's post-processor
/// (`roberta-mlm`) and a WordPiece with the `[CLS] $A [SEP]` template (`distilbert-mlm`), each
/// folder's `tokenizer.json` alone against what the Python `tokenizers` library gives on the whole
/// shared corpus (Tests/Fixtures/goldens/tokenizers): ids, token strings, byte offsets, word ids,
/// special-token mask, type ids and both decodes identical. Loaded as the CLI loads the folder, the
/// RoBERTa class's default `<mask>` takes `lstrip`, as AutoTokenizer (transformers 4.53.3) gives it.
final class EncoderFixtureTokenizerTests: XCTestCase {
    static let goldens = TokenizerFixtures.root.appendingPathComponent("Tests/Fixtures/goldens/tokenizers")

    private func check(_ model: String) throws {
        let golden = try TokenizerFixtures.json(TokenizerGolden.self, Self.goldens.appendingPathComponent("\(model).json"))
        XCTAssertEqual(golden.tokenizers, "0.21.4", model)
        let tokenizer = try Tokenizer(contentsOf: TokenizerFixtures.models.appendingPathComponent(model)
            .appendingPathComponent("tokenizer.json"))
        let checked = try checkGolden(golden, tokenizer: tokenizer, corpus: try GoldenCorpus.load())
        XCTAssertGreaterThanOrEqual(checked, 40, "\(model): too few golden cases")
        XCTAssertFalse(golden.pairs.isEmpty, "\(model): no pair cases")
    }

    func testRoBERTaFixtureByteLevelBPE() throws { try check("roberta-mlm") }
    func testDistilBERTFixtureWordPiece() throws { try check("distilbert-mlm") }

    /// The folder as the CLI loads it: `RobertaTokenizerFast` re-adds its default `<mask>` with
    /// `lstrip`, so the space before it joins the token (AutoTokenizer: `[0, 69, 4, 291, 2]`;
    /// tokenizer.json alone: `[0, 69, 225, 4, 291, 2]`).
    func testRoBERTaFolderMaskTakesLstrip() throws {
        let folder = TokenizerFixtures.models.appendingPathComponent("roberta-mlm")
        XCTAssertEqual(try Tokenizer.load(directory: folder).encode("a <mask> b").ids, [0, 69, 4, 291, 2])
        XCTAssertEqual(try Tokenizer(contentsOf: folder.appendingPathComponent("tokenizer.json")).encode("a <mask> b").ids,
                       [0, 69, 225, 4, 291, 2])
    }
}
