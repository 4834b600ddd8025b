import Foundation
import GlassboxTokenizers
import XCTest

/// Word and sentence grouping works the same for `Ġ` (GPT-2), `▁` (Llama 2 / Mistral), `##`
/// (BERT) and plain byte-level vocabularies, because it goes by the text and the offsets.
final class TokenGroupingTests: XCTestCase {
    private func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent(name))
    }

    /// A byte-level BPE without merges: every byte is a token (plain bytes, no word markers).
    private func plainBytes() throws -> Tokenizer {
        var vocab: [String: Int] = [:]
        for b in 0..<256 { vocab[String(Character(ByteLevel.characters[b]))] = b }
        let byteLevel: [String: Any] = ["type": "ByteLevel", "add_prefix_space": false, "trim_offsets": false,
                                        "use_regex": false]
        let object: [String: Any] = ["model": ["type": "BPE", "vocab": vocab, "merges": [String]()],
                                     "pre_tokenizer": byteLevel, "decoder": byteLevel]
        return try Tokenizer(json: try JSONSerialization.data(withJSONObject: object))
    }

    /// Words as the text defines them: maximal runs of non-whitespace.
    private func textWords(_ text: String) -> [String] {
        text.unicodeScalars.split(whereSeparator: { $0.properties.isWhitespace }).map { String(String.UnicodeScalarView($0)) }
    }

    private func assertWords(_ tokenizer: Tokenizer, _ text: String, _ expected: [String], _ label: String,
                             file: StaticString = #filePath, line: UInt = #line) throws {
        let encoding = try tokenizer.encode(text)
        let words = TokenGrouping.words(encoding, text: text)
        XCTAssertEqual(words.map(\.text), expected, label, file: file, line: line)
        // Every token that covers some non-whitespace text of the input is in exactly one word.
        let grouped = words.flatMap(\.tokenIndices)
        XCTAssertEqual(grouped.count, Set(grouped).count, "\(label): a token in two words", file: file, line: line)
        let bytes = Array(text.utf8)
        for (t, span) in encoding.offsets.enumerated() where !encoding.specialTokensMask[t] && span.end > span.start {
            let covered = String(decoding: bytes[span.start..<span.end], as: UTF8.self)
            let hasText = covered.unicodeScalars.contains { !$0.properties.isWhitespace }
            XCTAssertEqual(grouped.contains(t), hasText, "\(label): token \(t) \(encoding.tokens[t].debugDescription)",
                           file: file, line: line)
        }
        for w in words {
            XCTAssertEqual(w.tokenIndices, w.tokenIndices.sorted(), label, file: file, line: line)
            XCTAssertEqual(String(decoding: bytes[w.span.start..<w.span.end], as: UTF8.self), w.text, label, file: file, line: line)
        }
    }

    func testWordsAreTheSameForEveryVocabularyStyle() throws {
        let text = "Hello, world! It's   Ophelia's\n\tdue — naïve 日本語 👍🏽ok"
        let words = textWords(text)
        for name in ["gpt2", "roberta", "llama3", "qwen2", "llama2", "mistral", "bert", "bert-cased", "bpe-suffix"] {
            try assertWords(try tokenizer(name), text, words, name)
        }
        try assertWords(try plainBytes(), text, words, "plain bytes")
    }

    func testMarkersAndSubwordsJoinTheirWord() throws {
        let bert = try tokenizer("bert-cased")
        let e = try bert.encode("Unfolding yourself")
        let words = TokenGrouping.words(e, text: "Unfolding yourself")
        XCTAssertEqual(words.count, 2)
        XCTAssertTrue(words[0].tokenIndices.dropFirst().allSatisfy { e.tokens[$0].hasPrefix("##") }, "\(e.tokens)")
        XCTAssertFalse(words.flatMap(\.tokenIndices).contains(0), "[CLS] is in no word")

        let gpt2 = try tokenizer("gpt2")
        let g = try gpt2.encode("Good night sweet prince")
        for w in TokenGrouping.words(g, text: "Good night sweet prince") {
            XCTAssertTrue(w.tokenIndices.dropFirst().allSatisfy { !g.tokens[$0].hasPrefix("Ġ") }, "\(g.tokens)")
        }

        // Byte-fallback tokens of one character share its span, and its word.
        let llama2 = try tokenizer("llama2")
        let l = try llama2.encode("a 日本")
        let lw = TokenGrouping.words(l, text: "a 日本")
        XCTAssertEqual(lw.map(\.text), ["a", "日本"])
        XCTAssertEqual(lw[1].tokenIndices.count, 6, "\(l.tokens)")
    }

    func testEveryCorpusTextGroupsConsistently() throws {
        let corpus = try GoldenCorpus.load()
        for name in ["gpt2", "llama2", "bert", "mistral"] {
            let t = try tokenizer(name)
            for c in corpus.cases where c.name != "long-word" {
                let e = try t.encode(c.text)
                let words = TokenGrouping.words(e, text: c.text)
                let all = words.flatMap(\.tokenIndices)
                XCTAssertEqual(all.count, Set(all).count, "\(name) \(c.name)")
                for w in words { XCTAssertFalse(w.tokenIndices.isEmpty) }
                // Group texts are words of the text (or several joined by a token spanning them).
                let joined = words.map(\.text).joined(separator: " ")
                XCTAssertTrue(joined.unicodeScalars.filter { !$0.properties.isWhitespace }.count
                              <= c.text.unicodeScalars.filter { !$0.properties.isWhitespace }.count, "\(name) \(c.name)")
            }
        }
    }

    func testSentences() throws {
        let text = "Who's there? Nay, answer me. \"Stand!\" (he said.)\n\nNew paragraph without end\nsame one"
        let gpt2 = try tokenizer("gpt2")
        let s = TokenGrouping.sentences(try gpt2.encode(text), text: text)
        XCTAssertEqual(s.map(\.text), ["Who's there?", "Nay, answer me.", "\"Stand!\"", "(he said.)",
                                       "New paragraph without end\nsame one"])
        let bert = try tokenizer("bert")
        XCTAssertEqual(TokenGrouping.sentences(try bert.encode(text), text: text).map(\.text), s.map(\.text))
        XCTAssertEqual(TokenGrouping.sentences(try gpt2.encode("a.b 3.14 ok"), text: "a.b 3.14 ok").map(\.text), ["a.b 3.14 ok"])
    }

    func testAggregation() {
        let groups = [TokenGroup(tokenIndices: [1, 2], span: TokenSpan(start: 0, end: 3), text: "abc"),
                      TokenGroup(tokenIndices: [3], span: TokenSpan(start: 4, end: 5), text: "d")]
        let scores: [Double] = [9, 1, -3, 0.5]
        XCTAssertEqual(TokenGrouping.aggregate(scores, over: groups), [-2, 0.5])
        XCTAssertEqual(TokenGrouping.aggregate(scores, over: groups, using: .mean), [-1, 0.5])
        XCTAssertEqual(TokenGrouping.aggregate(scores, over: groups, using: .max), [1, 0.5])
        XCTAssertEqual(TokenGrouping.aggregate(scores, over: groups, using: .maxAbsolute), [-3, 0.5])
    }
}
