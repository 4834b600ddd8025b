import Foundation
import GlassboxTokenizers
import XCTest

/// Compares an encoding with a golden case field by field; a failure names the case, the field,
/// the first differing token and shows the tokens around it side by side.
func assertMatches(_ encoding: Encoding, _ expected: TokenizerGolden.Case, text: String, context: String,
                   decoded: String, decodedSkip: String, file: StaticString = #filePath, line: UInt = #line) {
    let label = "\(context) case '\(expected.name)'"
    let offsets = encoding.offsets.flatMap { [$0.start, $0.end] }
    let words = encoding.wordIDs.map { $0 ?? -1 }
    let special = encoding.specialTokensMask.enumerated().filter(\.element).map(\.offset)

    func report(_ field: String, _ index: Int?) -> String {
        var lines = ["\(label): \(field) differ" + (index.map { " first at token \($0)" } ?? "")
                     + " (\(encoding.count) tokens, expected \(expected.ids.count))"]
        let i = index ?? 0
        for k in max(0, i - 3)..<min(max(encoding.count, expected.ids.count), i + 4) {
            func cell(_ ids: [Int], _ tokens: [String]?, _ offs: [Int]) -> String {
                guard k < ids.count else { return "—" }
                let t = tokens.map { k < $0.count ? $0[k].debugDescription : "?" } ?? ""
                return "\(ids[k]) \(t) \(offs.count > 2 * k + 1 ? "\(offs[2 * k])..<\(offs[2 * k + 1])" : "")"
            }
            lines.append("  [\(k)] glassbox \(cell(encoding.ids, encoding.tokens, offsets))"
                         + "   reference \(cell(expected.ids, expected.tokens, expected.offsets))")
        }
        return lines.joined(separator: "\n")
    }
    func firstDifference<T: Equatable>(_ a: [T], _ b: [T]) -> Int? {
        zip(a, b).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? (a.count == b.count ? nil : min(a.count, b.count))
    }

    if let i = firstDifference(encoding.ids, expected.ids) { XCTFail(report("ids", i), file: file, line: line); return }
    if let tokens = expected.tokens, let i = firstDifference(encoding.tokens.map { Array($0.utf8) }, tokens.map { Array($0.utf8) }) {
        XCTFail(report("tokens", i), file: file, line: line)
    }
    if let i = firstDifference(offsets, expected.offsets) { XCTFail(report("byte offsets", i / 2), file: file, line: line) }
    if let i = firstDifference(words, expected.words) { XCTFail(report("word ids", i), file: file, line: line) }
    if special != expected.special { XCTFail(report("special tokens \(special) vs \(expected.special)", nil), file: file, line: line) }
    if let typeIDs = expected.type_ids, let i = firstDifference(encoding.typeIDs, typeIDs) {
        XCTFail(report("type ids", i), file: file, line: line)
    }
    if let sequences = expected.sequence_ids, let i = firstDifference(encoding.sequenceIDs.map { $0 ?? -1 }, sequences) {
        XCTFail(report("sequence ids", i), file: file, line: line)
    }
    if !decoded.utf8.elementsEqual(expected.decoded.utf8) {
        XCTFail("\(label): decode differs:\n  glassbox  \(decoded.debugDescription.prefix(400))\n"
                + "  reference \(expected.decoded.debugDescription.prefix(400))", file: file, line: line)
    }
    let skip = expected.decoded_skip ?? expected.decoded
    if !decodedSkip.utf8.elementsEqual(skip.utf8) {
        XCTFail("\(label): decode without special tokens differs:\n  glassbox  \(decodedSkip.debugDescription.prefix(400))\n"
                + "  reference \(skip.debugDescription.prefix(400))", file: file, line: line)
    }
    _ = text
}

/// Runs every case, pair and no-special-tokens case of a golden file against `tokenizer`;
/// returns the number of cases checked.
@discardableResult
func checkGolden(_ golden: TokenizerGolden, tokenizer: Tokenizer, corpus: GoldenCorpus,
                 file: StaticString = #filePath, line: UInt = #line) throws -> Int {
    var checked = 0
    for c in golden.cases {
        let text = try XCTUnwrap(corpus.text(c.name), "no text '\(c.name)' in corpus.json")
        let e = try tokenizer.encode(text)
        assertMatches(e, c, text: text, context: golden.tokenizer, decoded: tokenizer.decode(e.ids),
                      decodedSkip: tokenizer.decode(e.ids, skipSpecialTokens: true), file: file, line: line)
        checked += 1
    }
    for c in golden.pairs {
        let pair = try XCTUnwrap(corpus.pairs.first { $0.name == c.name })
        let e = try tokenizer.encode(pair.text, pair: pair.pair)
        assertMatches(e, c, text: pair.text, context: golden.tokenizer + " (pair)", decoded: tokenizer.decode(e.ids),
                      decodedSkip: tokenizer.decode(e.ids, skipSpecialTokens: true), file: file, line: line)
        checked += 1
    }
    for c in golden.no_special_tokens {
        let text = try XCTUnwrap(corpus.text(c.name))
        let e = try tokenizer.encode(text, addSpecialTokens: false)
        assertMatches(e, c, text: text, context: golden.tokenizer + " (no special tokens)",
                      decoded: tokenizer.decode(e.ids), decodedSkip: tokenizer.decode(e.ids, skipSpecialTokens: true),
                      file: file, line: line)
        checked += 1
    }
    return checked
}
