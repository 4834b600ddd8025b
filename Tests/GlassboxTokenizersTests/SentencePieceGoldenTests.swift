import Foundation
import GlassboxTokenizers
import XCTest

/// `tokenizer.model` files read and run as `sentencepiece.SentencePieceProcessor` 0.2.1 runs them
/// (Tests/Fixtures/sentencepiece, written by scripts/fixtures/generate_sentencepiece.py): a
/// T5-style and an XLM-R-style Unigram (with user-defined and control pieces), a Gemma-style
/// byte-fallback BPE with user-defined pieces, a Unigram with a charsmap compiled from hand-written
/// rules (longest-key matching), and the sentencepiece sdist's own test model. On
/// every text of the tokenizer golden corpus, ids, pieces and byte offsets must be identical and
/// `decode` must give the same text byte for byte; so must the decodes of random id sequences.
final class SentencePieceGoldenTests: XCTestCase {
    static let folder = TokenizerFixtures.root.appendingPathComponent("Tests/Fixtures/sentencepiece")
    static let models = ["t5", "xlm-r", "gemma", "test-model"]

    struct Golden: Decodable {
        struct Case: Decodable {
            let name: String
            let ids: [Int]
            let pieces: [String]?
            let spans: [Int]
            let decoded: String
        }
        struct Decode: Decodable { let ids: [Int]; let decoded: String }
        let sentencepiece: String
        let model: String
        let vocabulary_size: Int
        let cases: [Case]
        let decodes: [Decode]
    }

    func testT5StyleUnigram() throws { try check("t5", type: "SentencePiece Unigram") }
    func testXLMRStyleUnigramWithUserDefinedAndControlPieces() throws { try check("xlm-r", type: "SentencePiece Unigram") }
    func testGemmaStyleByteFallbackBPEWithUserDefinedPieces() throws { try check("gemma", type: "SentencePiece BPE") }
    func testCharsmapFromHandWrittenRulesTakesTheLongestKey() throws { try check("rules", type: "SentencePiece Unigram") }
    func testRealModelFromTheSentencepieceSdist() throws { try check("test-model", type: "SentencePiece Unigram") }

    /// A folder with only a tokenizer.model loads it (Tokenizer.load's last choice).
    func testLoadDirectoryReadsTokenizerModel() throws {
        let tokenizer = try Tokenizer.load(directory: Self.folder.appendingPathComponent("gemma"))
        XCTAssertEqual(tokenizer.source, "tokenizer.model")
        XCTAssertEqual(tokenizer.modelType, "SentencePiece BPE")
        XCTAssertEqual(tokenizer.modelVocabularySize, 1200)
    }

    private func check(_ name: String, type: String, file: StaticString = #filePath, line: UInt = #line) throws {
        let corpus = try GoldenCorpus.load()
        let golden = try TokenizerFixtures.json(Golden.self, Self.folder.appendingPathComponent("goldens/\(name).json"))
        XCTAssertEqual(golden.sentencepiece, "0.2.1")
        XCTAssertEqual(golden.cases.count, corpus.cases.count, "\(name): the goldens must cover the whole corpus")
        let tokenizer = try Tokenizer(sentencePieceModel: Self.folder.appendingPathComponent("\(name)/tokenizer.model"))
        XCTAssertEqual(tokenizer.modelType, type)
        XCTAssertEqual(tokenizer.modelVocabularySize, golden.vocabulary_size)
        var tokens = 0
        for c in golden.cases {
            let text = try XCTUnwrap(corpus.text(c.name), "no text '\(c.name)' in corpus.json")
            let e = try tokenizer.encode(text)
            let offsets = e.offsets.flatMap { [$0.start, $0.end] }
            let expectedOffsets = expandSpans(c.spans)
            func show(_ i: Int) -> String {
                (max(0, i - 3)..<min(max(e.count, c.ids.count), i + 4)).map { k in
                    let mine = k < e.count ? "\(e.ids[k]) \(e.tokens[k].debugDescription) \(offsets[2 * k])..<\(offsets[2 * k + 1])" : "—"
                    let theirs = k < c.ids.count
                        ? "\(c.ids[k]) \(c.pieces.map { $0[k].debugDescription } ?? "") \(expectedOffsets[2 * k])..<\(expectedOffsets[2 * k + 1])"
                        : "—"
                    return "  [\(k)] glassbox \(mine)   sentencepiece \(theirs)"
                }.joined(separator: "\n")
            }
            func first<T: Equatable>(_ a: [T], _ b: [T]) -> Int? {
                zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? (a.count == b.count ? nil : min(a.count, b.count))
            }
            if let i = first(e.ids, c.ids) {
                XCTFail("\(name) '\(c.name)': ids differ first at token \(i) (\(e.count) vs \(c.ids.count))\n\(show(i))", file: file, line: line)
                continue
            }
            if let pieces = c.pieces, let i = first(e.tokens.map { Array($0.utf8) }, pieces.map { Array($0.utf8) }) {
                XCTFail("\(name) '\(c.name)': pieces differ first at token \(i)\n\(show(i))", file: file, line: line)
            }
            if let i = first(offsets, expectedOffsets) {
                XCTFail("\(name) '\(c.name)': byte offsets differ first at token \(i / 2)\n\(show(i / 2))", file: file, line: line)
            }
            let decoded = tokenizer.decode(e.ids)
            if !decoded.utf8.elementsEqual(c.decoded.utf8) {
                XCTFail("\(name) '\(c.name)': decode differs:\n  glassbox      \(decoded.debugDescription.prefix(300))\n"
                        + "  sentencepiece \(c.decoded.debugDescription.prefix(300))", file: file, line: line)
            }
            tokens += e.count
        }
        XCTAssertGreaterThan(tokens, 1000, "\(name): the corpus should give many tokens")
        XCTAssertFalse(golden.decodes.isEmpty)
        for d in golden.decodes {
            let decoded = tokenizer.decode(d.ids)
            XCTAssert(decoded.utf8.elementsEqual(d.decoded.utf8),
                      "\(name): decode(\(d.ids)) gives \(decoded.debugDescription), sentencepiece \(d.decoded.debugDescription)",
                      file: file, line: line)
        }
    }
}
