import Foundation
import XCTest
@testable import GlassboxTokenizers

/// goldens/added-tokens.json (scripts/fixtures/tokenizer_added.py): small tokenizers whose added
/// tokens are declared `normalized: true` or `false`, special or not, under Llama 2 (Prepend +
/// Replace), Mistral (Metaspace), BERT (lowercase, accents stripped), NFKC + Lowercase, GPT-2
/// (ByteLevel pre-tokenizer; offset trimming next to spaces of more than one byte) and
/// ByteLevel-normalizer pipelines, plus the llama-gqa fixture
/// model's tokenizer with `cat` added as normalized. Against `tokenizers` 0.21.4, exactly (texts
/// compared byte for byte): each added token's id and the string `id_to_token` gives (its content
/// as declared, not its normalized form), encodings (ids, token strings — the matched normalized
/// text —, byte offsets), and decodes with and without special tokens of the encodings and of id
/// sequences putting each added token between two model tokens.
final class AddedTokenNormalizedTests: XCTestCase {
    struct Golden: Decodable {
        struct Added: Decodable {
            let id: Int
            let content: String
            let normalized: Bool
            let special: Bool
            let id_to_token: String
            let token_to_id: Int
        }
        struct Encoded: Decodable {
            let text: String
            /// What the reference's panic said, when it panicked on the text (the other fields
            /// are then absent).
            let panic: String?
            let ids: [Int]?
            let tokens: [String]?
            /// Byte offsets: start0, end0, start1, end1, …
            let offsets: [Int]?
            /// Word ids, -1 for none.
            let words: [Int]?
            let decoded: String?
            let decoded_skip: String?
        }
        struct Decoded: Decodable {
            let ids: [Int]
            let decoded: String
            let decoded_skip: String
        }
        struct Variant: Decodable {
            let name: String
            let tokenizer_json: String
            let added: [Added]
            let encodings: [Encoded]
            let decodes: [Decoded]
            /// (id, token string) pairs.
            let id_to_token: [[IdOrToken]]
        }
        /// One element of an `id_to_token` pair.
        enum IdOrToken: Decodable {
            case id(Int), token(String)
            init(from decoder: any Decoder) throws {
                let c = try decoder.singleValueContainer()
                if let i = try? c.decode(Int.self) { self = .id(i) } else { self = .token(try c.decode(String.self)) }
            }
        }
        let generator_version: String
        let tokenizers: String
        let variants: [Variant]
    }

    private static func golden() throws -> Golden {
        try TokenizerFixtures.json(Golden.self, TokenizerFixtures.goldens.appendingPathComponent("added-tokens.json"))
    }

    /// `actual` equal to `expected` byte for byte (`==` on strings would accept another Unicode
    /// normalization form).
    private func same(_ actual: String?, _ expected: String, _ context: String,
                      file: StaticString = #filePath, line: UInt = #line) {
        if actual.map({ Array($0.utf8) }) != Array(expected.utf8) {
            XCTFail("\(context): got \(actual.map { "\($0.debugDescription)" } ?? "nil"), "
                    + "expected \(expected.debugDescription)", file: file, line: line)
        }
    }

    private func check(_ name: String) throws {
        let golden = try Self.golden()
        guard let v = golden.variants.first(where: { $0.name == name }) else { return XCTFail("no variant \(name)") }
        let tokenizer = try Tokenizer(json: Data(v.tokenizer_json.utf8), file: "\(name).json")
        for a in v.added {
            let context = "\(name): added \(a.content.debugDescription) (normalized \(a.normalized), special \(a.special))"
            XCTAssertEqual(tokenizer.id(of: a.content), a.token_to_id, context)
            same(tokenizer.token(for: a.id), a.id_to_token, "\(context): id_to_token(\(a.id))")
            same(tokenizer.pieces[a.id], a.id_to_token, "\(context): pieces[\(a.id)]")
            XCTAssertEqual(tokenizer.isSpecial(a.content), a.special, context)
        }
        for pair in v.id_to_token {
            guard case .id(let id) = pair[0], case .token(let token) = pair[1] else { return XCTFail("bad id_to_token") }
            same(tokenizer.token(for: id), token, "\(name): id_to_token(\(id))")
        }
        for e in v.encodings {
            let context = "\(name): encode \(e.text.debugDescription)"
            if e.panic != nil {
                XCTAssertThrowsError(try tokenizer.encode(e.text), context) { error in
                    guard case .emptyAddedTokenCutsCharacter(let file, let token, let character)? = error as? TokenizerError
                    else { return XCTFail("\(context): \(error)") }
                    XCTAssertEqual(file, "\(name).json", context)
                    XCTAssertEqual(token, "\u{01}", context)
                    XCTAssertTrue(["ß", "日"].contains(character), "\(context): \(character)")
                    XCTAssertEqual(error.localizedDescription,
                                   "\(name).json: the added token \"\\u{01}\" (added_tokens) normalizes to nothing; its empty "
                                       + "pattern would cut \"\(character)\" inside its UTF-8 bytes (tokenizers 0.21 panics: "
                                       + "AddedVocabulary bad split)", context)
                }
                continue
            }
            guard let ids = e.ids, let tokens = e.tokens, let offsets = e.offsets, let words = e.words,
                  let decoded = e.decoded, let decodedSkip = e.decoded_skip else { return XCTFail("\(context): incomplete") }
            let encoding = try tokenizer.encode(e.text)
            XCTAssertEqual(encoding.ids, ids, context)
            XCTAssertEqual(encoding.tokens.map { Array($0.utf8) }, tokens.map { Array($0.utf8) },
                           "\(context): tokens \(encoding.tokens) vs \(tokens)")
            XCTAssertEqual(encoding.offsets.flatMap { [$0.start, $0.end] }, offsets, "\(context): offsets")
            XCTAssertEqual(encoding.wordIDs.map { $0 ?? -1 }, words, "\(context): word ids")
            same(tokenizer.decode(ids), decoded, "\(context): decode")
            same(tokenizer.decode(ids, skipSpecialTokens: true), decodedSkip, "\(context): decode skipping specials")
        }
        for d in v.decodes {
            same(tokenizer.decode(d.ids), d.decoded, "\(name): decode \(d.ids)")
            same(tokenizer.decode(d.ids, skipSpecialTokens: true), d.decoded_skip, "\(name): decode \(d.ids) skipping specials")
        }
        XCTAssertGreaterThanOrEqual(v.decodes.count, 3 * v.added.count, name)
    }

    func testLlamaPrependReplace() throws { try check("llama") }
    func testMistralMetaspace() throws { try check("mistral") }
    func testBERTLowercaseStripAccents() throws { try check("bert") }
    func testNFKCLowercase() throws { try check("nfkc-lowercase") }
    func testGPT2ByteLevel() throws { try check("gpt2") }
    func testByteLevelNormalizer() throws { try check("bytelevel-normalizer") }
    /// ByteLevel `trim_offsets` trims a space of more than one byte (U+3000, NBSP, U+2003) whole,
    /// before an `lstrip` `<mask>` or after an `rstrip` `<end>`, and a prefix space before "é" or
    /// "京" moves the span past the whole character: the reference trims character offsets.
    func testByteLevelTrimsWholeCharacters() throws { try check("bytelevel-trim") }
    func testByteLevelTrimsWholeCharactersWithAPrefixSpace() throws { try check("bytelevel-trim-prefix") }
    /// The red-team report's case: ids 5, 82, 5 decode to "!cat!" in 0.21.4 (0.23 gives "! cat!").
    func testLlamaGQAWithNormalizedCat() throws {
        try check("llama-gqa-cat")
        let v = try XCTUnwrap(try Self.golden().variants.first { $0.name == "llama-gqa-cat" })
        XCTAssertEqual(v.decodes.first { $0.ids == [5, 82, 5] }?.decoded, "!cat!")
    }

    /// An `rstrip` match widened over the spaces after it, and a match starting in those spaces:
    /// both are kept, overlapping ("<x> y" → "<x> " 0..<4, " y" 3..<5).
    func testRStripMatchOverlapsTheNextRaw() throws { try check("rstrip-overlap-raw") }
    func testRStripMatchOverlapsTheNextNormalized() throws { try check("rstrip-overlap-normalized") }
    /// A special token that BertNormalizer empties: it cuts the text between every two characters
    /// not matched otherwise (whole words with `single_word`; the spaces become the token with
    /// `lstrip` / `rstrip`), and a character of more than one byte there is an error, where the
    /// reference panics.
    func testEmptyNormalizedToken() throws { try check("empty-normalized") }
    func testEmptyNormalizedTokenLStrip() throws { try check("empty-normalized-lstrip") }
    func testEmptyNormalizedTokenRStrip() throws { try check("empty-normalized-rstrip") }
    func testEmptyNormalizedTokenSingleWord() throws { try check("empty-normalized-single_word") }

    func testGoldenComesFromTheReferenceVersion() throws {
        let golden = try Self.golden()
        XCTAssertEqual(golden.generator_version, "1")
        XCTAssertEqual(golden.tokenizers, "0.21.4")
        XCTAssertEqual(golden.variants.map(\.name),
                       ["llama", "mistral", "bert", "nfkc-lowercase", "gpt2", "bytelevel-normalizer", "llama-gqa-cat",
                        "bytelevel-trim", "bytelevel-trim-prefix", "rstrip-overlap-raw", "rstrip-overlap-normalized", "empty-normalized",
                        "empty-normalized-lstrip", "empty-normalized-rstrip", "empty-normalized-single_word"])
    }
}
