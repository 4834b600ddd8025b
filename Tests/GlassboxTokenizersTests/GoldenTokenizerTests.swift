import Foundation
import GlassboxTokenizers
import XCTest

/// Every trained tokenizer fixture (GPT-2, RoBERTa, Llama 3, Qwen2, Llama 2, Mistral,
/// Metaspace with unknown tokens, BERT uncased and cased, WordLevel, BPE with suffixes, the
/// SentencePiece-trained T5 and XLM-R Unigram (Precompiled normalizer), byte-fallback Unigram and
/// Gemma-style byte-fallback BPE, and the
/// legacy vocab.json + merges.txt / vocab.txt folders) against the Python `tokenizers` goldens:
/// ids, token strings, byte offsets, word ids, special-token mask, type ids and both decodes must
/// be identical on the whole corpus.
final class GoldenTokenizerTests: XCTestCase {
    private func check(_ name: String, minimumCases: Int = 40) throws {
        let golden = try TokenizerGolden.load(name)
        let tokenizer = try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent(name))
        let checked = try checkGolden(golden, tokenizer: tokenizer, corpus: try GoldenCorpus.load())
        XCTAssertGreaterThanOrEqual(checked, minimumCases, "\(name): too few golden cases")
    }

    func testGPT2ByteLevel() throws { try check("gpt2") }
    func testRoBERTa() throws { try check("roberta") }
    func testLlama3() throws { try check("llama3") }
    func testQwen2() throws { try check("qwen2") }
    func testLlama2NormalizerForm() throws { try check("llama2") }
    func testMistralMetaspaceForm() throws { try check("mistral") }
    func testMetaspaceSplitWithUnknown() throws { try check("metaspace-split") }
    func testBERTUncased() throws { try check("bert") }
    func testBERTCased() throws { try check("bert-cased") }
    func testWordLevel() throws { try check("wordlevel") }
    func testBPEWithPrefixAndSuffix() throws { try check("bpe-suffix") }
    func testT5Unigram() throws { try check("t5") }
    func testXLMRobertaUnigram() throws { try check("xlm-roberta") }
    func testUnigramByteFallback() throws { try check("unigram-bytes") }
    func testGemmaByteFallbackBPE() throws { try check("gemma") }
    func testGPT2LegacyFiles() throws { try check("gpt2-legacy") }
    func testWordPieceFromVocabTXT() throws { try check("bert-vocab-txt") }

    func testGoldensComeFromTheCurrentGenerator() throws {
        for name in TokenizerFixtures.trained + TokenizerFixtures.legacy {
            let golden = try TokenizerGolden.load(name)
            XCTAssertEqual(golden.generator_version, "1", name)
            XCTAssertEqual(golden.tokenizers, "0.21.4", name)
        }
    }
}
