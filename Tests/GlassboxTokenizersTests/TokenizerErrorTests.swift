import Foundation
import GlassboxTestSupport
import GlassboxTokenizers
import XCTest

/// Unknown stage types and malformed files are typed errors naming the part and what is
/// supported; nothing crashes, nothing falls back silently.
final class TokenizerErrorTests: XCTestCase {
    private let model = #"{"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}"#

    private func load(_ json: String) throws -> Tokenizer {
        try Tokenizer(json: Data(json.utf8), file: "test.json")
    }

    private func assertError(_ json: String, contains fragments: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(json), file: file, line: line) { error in
            guard let e = error as? TokenizerError else { return XCTFail("not a TokenizerError: \(error)", file: file, line: line) }
            let message = e.errorDescription ?? ""
            for f in fragments { XCTAssertTrue(message.contains(f), "'\(f)' not in: \(message)", file: file, line: line) }
        }
    }

    func testUnknownTypeOfEachPartListsWhatIsSupported() {
        assertError(#"{"model": \#(model), "normalizer": {"type": "Magic"}}"#,
                    contains: ["normalizer type 'Magic'", "supported:", "BertNormalizer", "NFKC", "Precompiled", "Sequence"])
        assertError(#"{"model": \#(model), "normalizer": {"type": "Precompiled", "precompiled_charsmap": ""}}"#,
                    contains: ["normalizer", "'precompiled_charsmap' is shorter than its 4-byte header"])
        assertError(#"{"model": \#(model), "pre_tokenizer": {"type": "UnicodeScripts"}}"#,
                    contains: ["pre-tokenizer type 'UnicodeScripts'", "ByteLevel", "Metaspace", "Split"])
        assertError(#"{"model": {"type": "Magic", "vocab": [["a", 0.0]], "unk_id": 0}}"#,
                    contains: ["model type 'Magic'", "supported: BPE, Unigram, WordLevel, WordPiece"])
        assertError(#"{"model": \#(model), "post_processor": {"type": "Magic"}}"#,
                    contains: ["post-processor type 'Magic'", "TemplateProcessing", "RobertaProcessing"])
        assertError(#"{"model": \#(model), "decoder": {"type": "Nope"}}"#,
                    contains: ["decoder type 'Nope'", "ByteFallback", "WordPiece"])
        assertError(#"{"model": \#(model), "decoder": {"type": "Sequence", "decoders": [{"type": "Fuse"}, {"type": "X"}]}}"#,
                    contains: ["decoder type 'X'"])
    }

    func testMalformedFilesNameTheProblem() {
        assertError("{not json", contains: ["test.json", "invalid JSON at line 1"])
        assertError(#"{"normalizer": null}"#, contains: ["missing field 'model'"])
        assertError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a b"]}}"#,
                    contains: ["model.merges", "\"b\" is not in the vocabulary"])
        assertError(#"{"model": {"type": "BPE", "vocab": {"a": 0}, "merges": ["a"]}}"#,
                    contains: ["model.merges[0]", "two pieces"])
        assertError(#"{"model": {"type": "WordPiece", "vocab": {"a": "zero"}}}"#,
                    contains: ["model.vocab.a", "non-negative integer"])
        assertError(#"{"model": \#(model), "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "a(b"}, "behavior": "Isolated", "invert": false}}"#,
                    contains: ["test.json is not a valid tokenizer file: pre_tokenizer.pattern: cannot compile the regex", "missing ')'"])
        assertError(#"{"model": \#(model), "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a)\\1"}, "behavior": "Isolated", "invert": false}}"#,
                    contains: ["test.json", "pre_tokenizer.pattern", "backreferences"])
        assertError(#"{"model": \#(model), "normalizer": {"type": "Replace", "pattern": {"Regex": "[a"}, "content": "b"}}"#,
                    contains: ["test.json", "normalizer.pattern: cannot compile the regex"])
        assertError(#"{"model": \#(model), "decoder": {"type": "Replace", "pattern": {"Regex": "(?<=a|bc)d"}, "content": "c"}}"#,
                    contains: ["test.json", "decoder: cannot compile the regex", "lookarounds of variable length"])
        assertError(#"{"model": \#(model), "pre_tokenizer": {"type": "Metaspace", "replacement": "ab"}}"#,
                    contains: ["pre_tokenizer", "'replacement' must be a single character"])
        assertError(#"{"model": \#(model), "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "[X]", "type_id": 0}}], "pair": [], "special_tokens": {}}}"#,
                    contains: ["post_processor.single[0].SpecialToken", "'[X]' is not in special_tokens"])
        assertError(#"{"version": "2.0", "model": \#(model)}"#, contains: ["unknown tokenizer version '2.0'"])
        assertError(#"{"model": {"type": "WordLevel", "vocab": {"a": 100000000}, "unk_token": "a"}}"#,
                    contains: ["model", "not dense"])
        assertError(###"{"model": \###(model), "decoder": {"type": "WordPiece", "prefix": "##"}}"###,
                    contains: ["decoder", "missing field 'cleanup'"])
    }

    func testUnknownTokenMissingIsAnErrorWhenNeeded() throws {
        let tokenizer = try load(#"{"model": {"type": "WordPiece", "vocab": {"a": 0}, "unk_token": "[UNK]"}}"#)
        XCTAssertEqual(try tokenizer.encode("a").ids, [0])
        XCTAssertThrowsError(try tokenizer.encode("b")) { error in
            XCTAssertEqual(error as? TokenizerError, .unknownTokenMissing(model: "WordPiece", token: "[UNK]", file: "test.json"))
            XCTAssertEqual(error.localizedDescription, "test.json: the WordPiece model needs its unknown token '[UNK]', which is not in its vocabulary")
        }
    }

    /// A `sentencepiece.bpe.model` alone in a folder of another class (here BERT's, from
    /// `model_type`) is refused in one line naming the file and asking for a tokenizer.json: only
    /// XLM-R's and CamemBERT's id layouts are known.
    func testAnotherClassesSentencePieceModelAloneAsksForTokenizerJSON() throws {
        let folder = try makeTemporaryFolder("spm")
        let model = folder.appendingPathComponent("sentencepiece.bpe.model")
        try Data([0x0A, 0x00]).write(to: model)
        try Data(#"{"model_type": "bert"}"#.utf8).write(to: folder.appendingPathComponent("config.json"))
        XCTAssertThrowsError(try Tokenizer.load(directory: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .tokenizerJSONNeeded(file: model.path))
            XCTAssertEqual(error.localizedDescription, "\(model.path): a SentencePiece model alone is read only for "
                           + "XLMRobertaTokenizer and CamembertTokenizer (Unigram; name the class in tokenizer_config.json or set "
                           + "config.json's model_type); otherwise a tokenizer.json is needed (transformers writes one: "
                           + "AutoTokenizer.from_pretrained(folder).save_pretrained(folder))")
        }
    }

    func testFolderWithoutTokenizerFiles() throws {
        let folder = try makeTemporaryFolder("empty")
        XCTAssertThrowsError(try Tokenizer.load(directory: folder)) { error in
            XCTAssertEqual(error as? TokenizerError, .noTokenizerFiles(directory: folder.path))
            XCTAssertTrue((error as? TokenizerError)?.errorDescription?.contains("tokenizer.json") ?? false)
        }
    }
}
