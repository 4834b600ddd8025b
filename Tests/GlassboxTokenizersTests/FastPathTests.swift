import Foundation
@testable import GlassboxTokenizers
import XCTest

/// The shortcuts give what the general machinery gives: the byte-level BPE path against the
/// goldens with the path turned off, and both it and the hand-written split matchers against the
/// general code on random text.
final class FastPathTests: XCTestCase {
    private let byteLevel = ["gpt2", "roberta", "llama3", "qwen2", "gpt2-legacy"]

    private func tokenizer(_ name: String) throws -> Tokenizer {
        try Tokenizer.load(directory: TokenizerFixtures.folder.appendingPathComponent(name))
    }

    func testByteLevelTokenizersTakeTheFastPath() throws {
        for name in byteLevel { XCTAssertNotNil(try tokenizer(name).fastPath, name) }
        for name in ["llama2", "mistral", "bert", "wordlevel", "bpe-suffix"] { XCTAssertNil(try tokenizer(name).fastPath, name) }
    }

    func testGoldensWithoutTheFastPath() throws {
        let corpus = try GoldenCorpus.load()
        for name in byteLevel {
            var t = try tokenizer(name)
            t.fastPath = nil
            try checkGolden(try TokenizerGolden.load(name), tokenizer: t, corpus: corpus)
        }
    }

    /// A smaller (or no) word cache changes nothing but speed, on both BPE paths.
    func testWordCacheCapacityDoesNotChangeResults() throws {
        let texts = randomTexts(count: 300) + ["the cat the cat the dog", "Hello world, hello World", "a<|endoftext|>b <|endoftext|>"]
        for name in byteLevel + ["llama2", "mistral", "bpe-suffix"] {
            let reference = try tokenizer(name)
            for capacity in [0, 3] {
                let small = reference.withWordCache(capacity: capacity)
                var slow = reference.withWordCache(capacity: capacity)
                slow.fastPath = nil
                for text in texts {
                    let expected = try reference.encode(text)
                    for t in [small, slow] {
                        let e = try t.encode(text)
                        XCTAssertEqual(e.ids, expected.ids, "\(name), cache \(capacity): \(text.debugDescription)")
                        XCTAssertEqual(e.offsets, expected.offsets, "\(name), cache \(capacity): \(text.debugDescription)")
                    }
                }
            }
        }
    }

    /// Deterministic random text over characters that stress the split patterns.
    private func randomTexts(count: Int) -> [String] {
        let pool: [String] = ["a", "b", "Z", "é", "ß", "ſ", "S", "T", "'", "’", " ", " ", "  ", "\n", "\r\n", "\t", "\u{3000}",
                              "1", "23", "٣", ".", ",", "!", "?", "-", "_", "日", "本", "👍", "🏽", "\u{301}", "\u{200D}",
                              "'s", "'S", "'ll", "'Re", "'VE", "'d", "'m", "\u{A0}", "x", "Hello", "world", "\u{0}", "\u{85}"]
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33)
        }
        return (0..<count).map { _ in (0..<(next() % 24)).map { _ in pool[next() % pool.count] }.joined() }
    }

    func testKnownSplitPatternsMatchTheEngine() throws {
        for pattern in [ByteLevelPreTokenizer.gpt2Pattern,
                        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
                        #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#] {
            let regex = try Regex(pattern)
            XCTAssertNotNil(regex.known, pattern)
            for text in randomTexts(count: 3000) {
                let scalars = Array(text.unicodeScalars)
                XCTAssertEqual(try regex.matches(in: scalars), try regex.generic.matches(in: scalars), "\(pattern) on \(text.debugDescription)")
            }
        }
    }

    func testFastPathMatchesTheGeneralPipelineOnRandomText() throws {
        for name in byteLevel {
            let fast = try tokenizer(name)
            var slow = fast
            slow.fastPath = nil
            for text in randomTexts(count: 600) {
                XCTAssertEqual(try fast.encode(text), try slow.encode(text), "\(name) on \(text.debugDescription)")
            }
        }
    }

    /// One tokenizer shared by many threads (the BPE caches are shared) gives what it gives alone.
    func testConcurrentEncodesAgree() throws {
        let texts = randomTexts(count: 400) + (try GoldenCorpus.load()).cases.map(\.text)
        for name in ["gpt2", "llama2", "bert"] {
            let alone = try tokenizer(name)
            let expected = try texts.map { try alone.encode($0).ids }
            let shared = try tokenizer(name)
            final class Results: @unchecked Sendable {
                let lock = NSLock()
                var ids: [[Int]?]
                init(_ n: Int) { ids = Array(repeating: nil, count: n) }
            }
            let results = Results(texts.count)
            DispatchQueue.concurrentPerform(iterations: texts.count) { i in
                let ids = try? shared.encode(texts[i]).ids
                results.lock.lock()
                results.ids[i] = ids
                results.lock.unlock()
            }
            XCTAssertEqual(results.ids.map { $0 ?? [] }, expected, name)
        }
    }
}
