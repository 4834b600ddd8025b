import Foundation
@testable import GlassboxTokenizers
import XCTest

/// Single pipeline stages against goldens/stages.json: each normalizer's text and the original
/// byte range of every normalized character, each pre-tokenizer's pieces and byte ranges, regex
/// matches (Oniguruma semantics, Unicode classes included) and decoders. The file is read with
/// the module's own JSON parser (Foundation's JSONSerialization on Linux mangles U+0000).
final class StageGoldenTests: XCTestCase {
    private var stages: JSONValue = .null
    private var corpus: GoldenCorpus!

    override func setUpWithError() throws {
        let url = TokenizerFixtures.goldens.appendingPathComponent("stages.json")
        stages = try JSONValue.parse(try Data(contentsOf: url), file: url.path)
        corpus = try GoldenCorpus.load()
    }

    private func entries(_ key: String) throws -> [JSONValue] {
        guard case .array(let items)? = stages[key] else { throw XCTSkip("stages.json has no \(key)") }
        return items
    }

    private func string(_ v: JSONValue?) throws -> String {
        guard case .string(let s)? = v else { throw TokenizerError.malformedFile(file: "stages.json", detail: "expected a string") }
        return s
    }

    private func strings(_ v: JSONValue?) throws -> [String] {
        guard case .array(let items)? = v else { throw TokenizerError.malformedFile(file: "stages.json", detail: "expected an array") }
        return try items.map { try string($0) }
    }

    private func ints(_ v: JSONValue?) throws -> [Int] {
        guard case .array(let items)? = v else { throw TokenizerError.malformedFile(file: "stages.json", detail: "expected an array") }
        return items.compactMap { if case .int(let i) = $0 { i } else { nil } }
    }

    private func results(_ entry: JSONValue) throws -> [JSONValue] {
        guard case .array(let items)? = entry["results"] else { return [] }
        return items
    }

    private func original(_ text: String) -> NormalizedString {
        Array(text.utf8).withUnsafeBufferPointer { NormalizedString(original: $0, range: 0..<$0.count) }
    }

    private func byteRanges(_ text: String, _ ranges: [Range<Int>]) -> [Int] {
        var prefix = [0]
        for s in text.unicodeScalars { prefix.append(prefix[prefix.count - 1] + UTF8Decoding.length(of: s)) }
        return ranges.flatMap { [prefix[$0.lowerBound], prefix[$0.upperBound]] }
    }

    func testNormalizers() throws {
        var checked = 0
        for entry in try entries("normalizers") {
            let name = try string(entry["name"])
            let json = try string(entry["tokenizer"])
            let tokenizer = try Tokenizer(json: Data(json.utf8), file: "normalizer \(name)")
            let config = try JSONValue.parse(Data(json.utf8), file: name)
            let normalizer = try NormalizerRegistry.make(ConfigReader(try XCTUnwrap(config["normalizer"]), file: name, path: ""))
            for result in try results(entry) {
                let caseName = try string(result["name"])
                let text = try XCTUnwrap(corpus.text(caseName))
                var s = original(text)
                try normalizer.normalize(&s)
                let expected = try string(result["normalized"])
                XCTAssertTrue(s.text.unicodeScalars.elementsEqual(expected.unicodeScalars),
                              "normalizer \(name) on '\(caseName)': \(s.text.debugDescription) vs \(expected.debugDescription)")
                let offsets = try tokenizer.encode(text).offsets.flatMap { [$0.start, $0.end] }
                XCTAssertEqual(offsets, expandSpans(try ints(result["spans"])), "normalizer \(name) on '\(caseName)': alignments differ")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 300)
    }

    func testPreTokenizers() throws {
        var checked = 0
        for entry in try entries("pre_tokenizers") {
            let name = try string(entry["name"])
            let pre = try PreTokenizerRegistry.make(ConfigReader(try XCTUnwrap(entry["config"]), file: name, path: ""))
            for result in try results(entry) {
                let caseName = try string(result["name"])
                let text = try XCTUnwrap(corpus.text(caseName))
                var p = text.isEmpty ? PreTokenizedString(splits: []) : PreTokenizedString(original(text))
                try pre.preTokenize(&p)
                let pieces = p.splits.map(\.normalized.text)
                let offsets = p.splits.flatMap { [$0.normalized.originalStart, $0.normalized.originalEnd] }
                let expected = try strings(result["pieces"])
                XCTAssertTrue(pieces.map { Array($0.utf8) } == expected.map { Array($0.utf8) },
                              "pre-tokenizer \(name) on '\(caseName)':\n  \(pieces)\n  \(expected)")
                XCTAssertEqual(offsets, expandSpans(try ints(result["spans"])), "pre-tokenizer \(name) on '\(caseName)': offsets differ")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }

    func testRegexes() throws {
        var checked = 0
        for entry in try entries("regexes") {
            let pattern = try string(entry["pattern"])
            let regex = try Regex(pattern)
            // Every pattern here compiles to an automaton; each engine must give the goldens.
            let automaton = try XCTUnwrap(regex.automatonOnly, "\(pattern.debugDescription) has no automaton")
            let engines = [("", regex), (" (automaton)", automaton), (" (backtracking engine)", regex.generic)]
            for result in try results(entry) {
                let caseName = try string(result["name"])
                let text = try XCTUnwrap(corpus.text(caseName))
                let scalars = Array(text.unicodeScalars)
                let expected = expandSpans(try ints(result["spans"]))
                for (engine, r) in engines {
                    XCTAssertEqual(byteRanges(text, try r.matches(in: scalars).filter { !$0.isEmpty }), expected,
                                   "regex \(pattern.debugDescription)\(engine) on '\(caseName)'")
                }
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }

    func testDecoders() throws {
        var checked = 0
        for entry in try entries("decoders") {
            let name = try string(entry["name"])
            let decoder = try DecoderRegistry.make(ConfigReader(try XCTUnwrap(entry["config"]), file: name, path: ""))
            for result in try results(entry) {
                let tokens = try strings(result["tokens"])
                let decoded = decoder.decodeChain(tokens).joined()
                let expected = try string(result["decoded"])
                XCTAssertTrue(decoded.utf8.elementsEqual(expected.utf8),
                              "decoder \(name) on \(tokens): \(decoded.debugDescription) vs \(expected.debugDescription)")
                checked += 1
            }
        }
        XCTAssertGreaterThan(checked, 20)
    }
}
