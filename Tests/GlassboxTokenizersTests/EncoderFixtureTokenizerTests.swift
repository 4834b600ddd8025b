import Foundation
import GlassboxTestSupport
import GlassboxTokenizers
import XCTest

/// The tokenizers the fixture generator writes into the RoBERTa and DistilBERT model folders
/// (scripts/fixtures/encoder_fixtures.py): a trained byte-level BPE with RoBERTa's post-processor
/// (`roberta-mlm`) and a WordPiece with the `[CLS] $A [SEP]` template (`distilbert-mlm`), each
/// folder's `tokenizer.json` alone against what the Python `tokenizers` library gives on the whole
/// shared corpus (Tests/Fixtures/goldens/tokenizers): ids, token strings, byte offsets, word ids,
/// special-token mask, type ids and both decodes identical. Loaded as the CLI loads the folder, the
/// RoBERTa class's default `<mask>` takes `lstrip`, as AutoTokenizer (transformers 4.53.3) gives it.
/// The XLM-R and CamemBERT folders (`xlmr-mlm`, `xlmr-cls`, `camembert-mlm`) hold the SentencePiece
/// Unigram `tokenizer.json` that `XLMRobertaTokenizerFast` / `CamembertTokenizerFast` save
/// (Precompiled normalizer, Metaspace, `<s> $A </s>`, `<mask>` last with `lstrip`): checked alone
/// and loaded as the CLI loads the folder (the generator asserts AutoTokenizer's ids equal the file's).
final class EncoderFixtureTokenizerTests: XCTestCase {
    static let goldens = TokenizerFixtures.root.appendingPathComponent("Tests/Fixtures/goldens/tokenizers")

    /// `folder`: loaded with `Tokenizer.load(directory:)` (tokenizer_config.json applied), else the
    /// file alone; `root`: where the folder `model` is.
    private func check(_ model: String, folder: Bool = false, root: URL = TokenizerFixtures.models) throws {
        let golden = try TokenizerFixtures.json(TokenizerGolden.self, Self.goldens.appendingPathComponent("\(model).json"))
        XCTAssertEqual(golden.tokenizers, "0.21.4", model)
        let directory = root.appendingPathComponent(model)
        let tokenizer = folder ? try Tokenizer.load(directory: directory)
            : try Tokenizer(contentsOf: directory.appendingPathComponent("tokenizer.json"))
        let checked = try checkGolden(golden, tokenizer: tokenizer, corpus: try GoldenCorpus.load())
        XCTAssertGreaterThanOrEqual(checked, 40, "\(model): too few golden cases")
        XCTAssertFalse(golden.pairs.isEmpty, "\(model): no pair cases")
    }

    func testRoBERTaFixtureByteLevelBPE() throws { try check("roberta-mlm") }
    func testDistilBERTFixtureWordPiece() throws { try check("distilbert-mlm") }

    func testXLMRobertaAndCamembertFixtureUnigram() throws {
        for model in ["xlmr-mlm", "xlmr-cls", "camembert-mlm"] {
            try check(model)
            try check(model, folder: true)
        }
    }

    /// The ALBERT folders (`albert-mlm`, `albert-cls`) hold the SentencePiece Unigram `tokenizer.json`
    /// `AlbertTokenizerFast` saves (Replace of ``/'', NFKD and StripAccents, Lowercase, Precompiled,
    /// Metaspace, `[CLS] $A [SEP]`): the file alone and the folder against the corpus goldens.
    func testALBERTFixtureUnigram() throws {
        for model in ["albert-mlm", "albert-cls"] {
            try check(model)
            try check(model, folder: true)
        }
    }

    /// AutoTokenizer's ids (transformers 4.53.3, AlbertTokenizerFast from model_type albert) for the
    /// ALBERT folders and for `tokenizer.json` + `config.json` alone: `[MASK]` takes the space before
    /// it (`lstrip`), the text is lower-cased and accents stripped, ``/'' become `"`.
    func testALBERTFoldersTokenizeAsAutoTokenizer() throws {
        let expected: [(String, String, [Int])] = [
            ("albert-mlm", "a [MASK] b", [2, 83, 4, 5, 100, 3]),
            ("albert-mlm", "The cat[MASK] on the mat.", [2, 9, 6, 88, 14, 4, 5, 36, 9, 6, 5, 22, 18, 12, 3]),
            ("albert-mlm", "Café ``quoted'' TEXT", [2, 88, 23, 6, 5, 1, 135, 33, 27, 25, 7, 1, 5, 25, 118, 14, 3]),
            ("albert-cls", "a [MASK] b", [2, 5, 20, 4, 5, 88, 3]),
            ("albert-cls", "Café ``quoted'' TEXT", [2, 54, 23, 6, 5, 1, 125, 36, 30, 25, 8, 1, 5, 25, 111, 13, 3]),
        ]
        for (model, text, ids) in expected {
            let source = TokenizerFixtures.models.appendingPathComponent(model)
            let bare = try makeTemporaryFolder("bare")
            for file in ["tokenizer.json", "config.json"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: bare.appendingPathComponent(file))
            }
            XCTAssertEqual(try Tokenizer.load(directory: source).encode(text).ids, ids, "\(model) \(text)")
            XCTAssertEqual(try Tokenizer.load(directory: bare).encode(text).ids, ids, "\(model) \(text) (no tokenizer_config.json)")
        }
    }

    /// xlmr-mlm's and camembert-mlm's `sentencepiece.bpe.model` alone, with a `config.json` naming the
    /// model type (Tests/Fixtures/tokenizers/xlmr-spm, camembert-spm): converted as transformers'
    /// `XLMRobertaConverter` / `CamembertConverter` convert it (fairseq's id layout, `<mask>` last),
    /// against what AutoTokenizer loads from the same folder, on the whole corpus. (XLM-R's `<mask>` is
    /// not normalized there, unlike the saved tokenizer.json of xlmr-mlm: the `special-tokens` case differs.)
    func testSentencePieceModelAloneConvertsAsAutoTokenizer() throws {
        for model in ["xlmr-spm", "camembert-spm"] { try check(model, folder: true, root: TokenizerFixtures.folder) }
    }

    /// AutoTokenizer's ids (transformers 4.53.3) for the folder, and for `tokenizer.json` +
    /// `config.json` alone (the class then comes from `model_type` and its defaults apply): the space
    /// before `<mask>` joins it (`lstrip`), CamemBERT's `<s>` / `</s>` are 5 / 6 and its
    /// `<s>NOTUSED` is matched whole (id 0).
    func testXLMRobertaAndCamembertFoldersTokenizeAsAutoTokenizer() throws {
        let expected: [(String, String, [Int])] = [
            ("xlmr-mlm", "a <mask> b", [0, 82, 151, 4, 99, 2]),
            ("xlmr-mlm", "Le chat<mask> dort.", [0, 52, 5, 83, 13, 151, 42, 80, 11, 2]),
            ("camembert-mlm", "a <mask> b", [5, 85, 144, 7, 102, 6]),
            ("camembert-mlm", "Le chat<mask> dort.", [5, 55, 8, 86, 16, 144, 45, 83, 14, 6]),
            ("camembert-mlm", "x <s>NOTUSED y", [5, 7, 122, 0, 7, 19, 6]),
        ]
        for (model, text, ids) in expected {
            let source = TokenizerFixtures.models.appendingPathComponent(model)
            let bare = try makeTemporaryFolder("bare")
            for file in ["tokenizer.json", "config.json"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: bare.appendingPathComponent(file))
            }
            XCTAssertEqual(try Tokenizer.load(directory: source).encode(text).ids, ids, "\(model) \(text)")
            XCTAssertEqual(try Tokenizer.load(directory: bare).encode(text).ids, ids, "\(model) \(text) (no tokenizer_config.json)")
        }
    }

    /// The class defaults AutoTokenizer applies when `tokenizer.json` lacks them (only `config.json`
    /// beside it, the class from `model_type`): `XLMRobertaTokenizerFast` re-adds `<mask>` with
    /// `lstrip` over an entry without it, `CamembertTokenizerFast` its `…NOTUSED` additional special
    /// tokens over a file without them. Expected ids: AutoTokenizer's (transformers 4.53.3) on the
    /// same edited files; the file alone gives `[0, 82, 4, 151, 4, 99, 2]` and
    /// `[5, 7, 122, 5, 7, 109, 3, 128, 120, 3, 138, 117, 7, 19, 6]`.
    func testXLMRobertaAndCamembertClassDefaultsOverATokenizerJSONWithoutThem() throws {
        for (model, text, ids) in [("xlmr-mlm", "a <mask> b", [0, 82, 151, 4, 99, 2]),
                                   ("camembert-mlm", "x <s>NOTUSED y", [5, 7, 122, 0, 7, 19, 6])] {
            let source = TokenizerFixtures.models.appendingPathComponent(model)
            let bare = try makeTemporaryFolder("defaults")
            try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"), to: bare.appendingPathComponent("config.json"))
            var document = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("tokenizer.json")))
                as? [String: Any])
            let added = try XCTUnwrap(document["added_tokens"] as? [[String: Any]])
            document["added_tokens"] = model == "xlmr-mlm"
                ? added.map { $0["content"] as? String == "<mask>" ? $0.merging(["lstrip": false]) { $1 } : $0 }
                : added.filter { !(($0["content"] as? String) ?? "").hasSuffix("NOTUSED") }
            try JSONSerialization.data(withJSONObject: document).write(to: bare.appendingPathComponent("tokenizer.json"))
            XCTAssertEqual(try Tokenizer.load(directory: bare).encode(text).ids, ids, model)
        }
    }

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
