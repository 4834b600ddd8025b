import Foundation
import XCTest

/// Locations of the tokenizer fixtures (Tests/Fixtures/tokenizers, written by
/// scripts/fixtures/generate_tokenizers.py) and of the fetched real MiniLM checkpoint.
enum TokenizerFixtures {
    /// The repository root (two folders above this file's folder).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let folder = root.appendingPathComponent("Tests/Fixtures/tokenizers")
    static let goldens = folder.appendingPathComponent("goldens")
    static let models = root.appendingPathComponent("Tests/Fixtures/models")
    static let miniLM = root.appendingPathComponent(".cache/models/all-MiniLM-L6-v2")

    /// The trained tokenizers with tokenizer.json goldens, and the legacy-file ones.
    static let trained = ["gpt2", "roberta", "llama3", "qwen2", "llama2", "mistral", "metaspace-split", "bert",
                          "bert-cased", "wordlevel", "bpe-suffix", "t5", "xlm-roberta", "unigram-bytes", "gemma"]
    static let legacy = ["gpt2-legacy", "bert-vocab-txt"]

    /// The MiniLM folder, or a skip — or a failure when GLASSBOX_REQUIRE_REAL_MODELS=1 (CI).
    static func requireMiniLM(file: StaticString = #filePath, line: UInt = #line) throws -> URL {
        if FileManager.default.fileExists(atPath: miniLM.appendingPathComponent("tokenizer.json").path) { return miniLM }
        if ProcessInfo.processInfo.environment["GLASSBOX_REQUIRE_REAL_MODELS"] == "1" {
            XCTFail("MiniLM is required (GLASSBOX_REQUIRE_REAL_MODELS=1) but \(miniLM.path) is missing; "
                    + "run scripts/fetch-minilm.sh", file: file, line: line)
            throw XCTSkip("MiniLM missing")
        }
        throw XCTSkip("MiniLM not fetched; run scripts/fetch-minilm.sh")
    }

    static func json<T: Decodable>(_ type: T.Type, _ url: URL) throws -> T {
        try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }
}

/// corpus.json: the texts every golden encodes.
struct GoldenCorpus: Decodable {
    struct Case: Decodable { let name: String; let text: String }
    struct Pair: Decodable { let name: String; let text: String; let pair: String }
    let cases: [Case]
    let pairs: [Pair]

    static func load() throws -> GoldenCorpus {
        try TokenizerFixtures.json(GoldenCorpus.self, TokenizerFixtures.folder.appendingPathComponent("corpus.json"))
    }

    func text(_ name: String) -> String? { cases.first { $0.name == name }?.text }
}

/// goldens/<tokenizer>.json: what the reference produced for each text.
struct TokenizerGolden: Decodable {
    struct Case: Decodable {
        let name: String
        let ids: [Int]
        let tokens: [String]?
        /// Byte offsets as (start − previous end, length) per token (see `expandSpans`).
        let spans: [Int]
        /// Flat byte offsets: start0, end0, start1, end1, …
        var offsets: [Int] { expandSpans(spans) }
        let words: [Int]
        let special: [Int]
        let decoded: String
        let decoded_skip: String?
        let type_ids: [Int]?
        let sequence_ids: [Int]?
    }
    let generator_version: String
    let tokenizers: String
    let tokenizer: String
    let source: String
    let cases: [Case]
    let pairs: [Case]
    let no_special_tokens: [Case]

    static func load(_ name: String) throws -> TokenizerGolden {
        try TokenizerFixtures.json(TokenizerGolden.self,
                                   TokenizerFixtures.goldens.appendingPathComponent("\(name).json"))
    }
}

/// The goldens' compact offsets — per token (start − previous end, length) — as flat
/// (start, end) pairs.
func expandSpans(_ spans: [Int]) -> [Int] {
    var out: [Int] = []
    out.reserveCapacity(spans.count)
    var previous = 0
    for k in stride(from: 0, to: spans.count - 1, by: 2) {
        let start = previous + spans[k]
        out.append(start)
        out.append(start + spans[k + 1])
        previous = start + spans[k + 1]
    }
    return out
}
