import Foundation
import GlassboxTokenizers
import XCTest

/// `StreamingDecoder` (what `glassbox generate` streams): on every golden case of the decoder
/// fixtures — byte-level BPE, byte-fallback BPE and Unigram, Metaspace, SentencePiece models — the
/// ids appended one by one give pieces whose concatenation equals the whole decode byte for byte
/// (and the Python reference's `decode(skip_special_tokens=True)` where the golden has it); no
/// piece shows a U+FFFD the whole text does not have; and the ids decoded in all stay linear in
/// the number of ids (at most 8 per id), where decoding everything each step is quadratic.
final class StreamingDecoderTests: XCTestCase {
    /// The tokenizer.json fixtures of generative families, plus two Unigram ones.
    static let tokenizers = ["gpt2", "llama3", "qwen2", "llama2", "mistral", "metaspace-split", "gemma",
                             "unigram-bytes", "t5", "xlm-roberta", "roberta"]

    /// Streams `ids` through `tokenizer`; returns the pieces, the tail `finish` gave and how many
    /// ids were decoded in all.
    private func stream(_ ids: [Int], _ tokenizer: Tokenizer) -> (pieces: [String], tail: String, decoded: Int) {
        var decoded = 0
        var stream = StreamingDecoder { ids in
            decoded += ids.count
            return tokenizer.decode(ids, skipSpecialTokens: true)
        }
        let pieces = ids.map { stream.append($0) }
        return (pieces, stream.finish(), decoded)
    }

    private func check(_ name: String, ids: [Int], reference: String?, tokenizer: Tokenizer,
                       file: StaticString = #filePath, line: UInt = #line) {
        let whole = tokenizer.decode(ids, skipSpecialTokens: true)
        let (pieces, tail, decoded) = stream(ids, tokenizer)
        let streamed = pieces.joined() + tail
        XCTAssertEqual(Array(streamed.utf8), Array(whole.utf8),
                       "\(name): streamed \(streamed.debugDescription) ≠ decoded \(whole.debugDescription)",
                       file: file, line: line)
        if let reference {
            XCTAssertEqual(Array(streamed.utf8), Array(reference.utf8), "\(name): streamed text ≠ the reference's decode",
                           file: file, line: line)
        }
        let replacements = whole.unicodeScalars.filter { $0 == "\u{FFFD}" }.count
        XCTAssertLessThanOrEqual(pieces.map { $0.unicodeScalars.filter { $0 == "\u{FFFD}" }.count }.reduce(0, +),
                                 replacements, "\(name): a piece showed an incomplete character", file: file, line: line)
        XCTAssertLessThanOrEqual(decoded, 8 * ids.count + 8, "\(name): \(decoded) ids decoded for \(ids.count)",
                                 file: file, line: line)
    }

    func testStreamEqualsTheWholeDecodeOnEveryGoldenCase() throws {
        var checked = 0
        for name in Self.tokenizers {
            let tokenizer = try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent(name))
            for golden in try TokenizerGolden.load(name).cases {
                check("\(name)/\(golden.name)", ids: golden.ids, reference: golden.decoded_skip, tokenizer: tokenizer)
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 300)
    }

    func testStreamEqualsTheWholeDecodeOnSentencePieceModels() throws {
        let folder = TokenizerFixtures.root.appendingPathComponent("Tests/Fixtures/sentencepiece")
        for name in ["gemma", "t5", "xlm-r"] {
            let tokenizer = try Tokenizer.load(directory: folder.appendingPathComponent(name))
            let golden = try TokenizerFixtures.json(SentencePieceGoldenTests.Golden.self,
                                                    folder.appendingPathComponent("goldens/\(name).json"))
            XCTAssertFalse(golden.cases.isEmpty, name)
            for c in golden.cases { check("\(name).model/\(c.name)", ids: c.ids, reference: nil, tokenizer: tokenizer) }
        }
    }

    /// The emoji and CJK cases really exercise partial characters: decoding id by id gives U+FFFD
    /// (byte tokens) or loses the spaces Metaspace strips from a text's first token, and the
    /// stream still returns text before the end.
    func testByteFallbackContinuationIsStreamedWhole() throws {
        let corpus = try GoldenCorpus.load()
        for name in ["llama2", "gpt2", "gemma"] {
            let tokenizer = try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent(name))
            let text = try XCTUnwrap(corpus.text("emoji")) + " " + XCTUnwrap(corpus.text("cjk"))
            let ids = try tokenizer.encode(text, addSpecialTokens: false).ids
            let naive = ids.map { tokenizer.decode([$0], skipSpecialTokens: true) }.joined()
            let whole = tokenizer.decode(ids, skipSpecialTokens: true)
            XCTAssertNotEqual(naive, whole, "\(name): id-by-id decoding should differ here, or the case tests nothing")
            let (pieces, tail, _) = stream(ids, tokenizer)
            XCTAssertEqual(pieces.joined() + tail, whole, name)
            XCTAssertGreaterThan(pieces.filter { !$0.isEmpty }.count, ids.count / 4, "\(name): the text came out only at the end")
        }
    }
}
