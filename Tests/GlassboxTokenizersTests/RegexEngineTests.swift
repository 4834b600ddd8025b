import Foundation
@testable import GlassboxTokenizers
import XCTest

/// The regex engines on hostile patterns: the automaton stays linear on nested quantifiers, the
/// backtracking engine (only for atomic groups and variable-length lookarounds) stops at its step
/// budget with a typed error, and the automaton finds exactly the matches of the backtracking
/// engine on random patterns (the goldens check both against Oniguruma).
final class RegexEngineTests: XCTestCase {
    private let word = String(repeating: "a", count: 10_000)

    func testNestedQuantifiersOnALongWordRunInTheAutomaton() throws {
        // The classic catastrophic patterns: exponential for a backtracking engine on `a…ab`.
        for pattern in ["(a+)+$", "(a|aa)+$", "(a*)*b", "(?:a+){2,}x", "(a|a?)+$"] {
            let regex = try Regex(pattern)
            XCTAssertNotNil(regex.automaton, pattern)
            for text in [word, word + "b", word + "!"] {
                let scalars = Array(text.unicodeScalars)
                // One search (no match anywhere, or one match to the end) reads the text once.
                let matches = try regex.matches(in: scalars)
                XCTAssertLessThanOrEqual(matches.count, 2, pattern)
            }
        }
        XCTAssertEqual(try Regex("(a+)+$").matches(in: Array(word.unicodeScalars)), [0..<10_000])
        // Only patterns the backtracking engine runs in one pass are left to it.
        for (pattern, single) in [(#"\s+"#, true), ("'s", true), (#"(?<=\s)\p{L}+"#, true), ("(a+)+$", false),
                                  (#"\s+x"#, false), ("a|b", false)] {
            XCTAssertEqual(try Regex(pattern).compiled.neverBacktracks, single, pattern)
        }
        XCTAssertEqual(try Regex("(a+)+$").matches(in: Array((word + "b").unicodeScalars)), [])
    }

    func testTheSplitPreTokenizerWithANestedQuantifierEncodesALongWord() throws {
        let json = #"{"model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}, "#
            + #""pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(a+)+$"}, "behavior": "Isolated", "invert": false}}"#
        let tokenizer = try Tokenizer(json: Data(json.utf8), file: "test.json")
        // `$` ends a line: the long word, the line break between, the last word.
        XCTAssertEqual(try tokenizer.encode(word + "\na").ids, [0, 0, 1])
    }

    func testTheBacktrackingEngineStopsAtItsBudget() throws {
        // A lookahead of variable length needs the backtracking engine, where `(a+)+$` is exponential.
        let pattern = "(?=(a+)+$)a"
        let regex = try Regex(pattern)
        XCTAssertNil(regex.automaton)
        let text = Array((String(repeating: "a", count: 2_000) + "b").unicodeScalars)
        XCTAssertThrowsError(try regex.matches(in: text)) { error in
            guard case .regexBudgetExceeded(let p, let steps, let length) = error as? TokenizerError else {
                return XCTFail("not a budget error: \(error)")
            }
            XCTAssertEqual(p, pattern)
            XCTAssertEqual(length, 2_001)
            XCTAssertEqual(steps, RegexBudget.minimum)
            let message = (error as? TokenizerError)?.errorDescription ?? ""
            XCTAssertTrue(message.contains(pattern.debugDescription) && message.contains("\(steps) steps"), message)
        }
        // Where it does not blow up, it answers.
        XCTAssertEqual(try regex.matches(in: Array("aaa".unicodeScalars)), [0..<1, 1..<2, 2..<3])
    }

    func testABudgetErrorReachesTheCallerOfEncode() throws {
        let json = #"{"model": {"type": "WordLevel", "vocab": {"[UNK]": 0, "a": 1}, "unk_token": "[UNK]"}, "#
            + #""pre_tokenizer": {"type": "Split", "pattern": {"Regex": "(?=(a+)+$)a"}, "behavior": "Isolated", "invert": false}}"#
        let tokenizer = try Tokenizer(json: Data(json.utf8), file: "test.json")
        XCTAssertThrowsError(try tokenizer.encode(String(repeating: "a", count: 2_000) + "b")) { error in
            guard case .regexBudgetExceeded = error as? TokenizerError else { return XCTFail("\(error)") }
        }
    }

    /// Repeat bounds above 100,000 are an error, as Oniguruma (the `tokenizers` 0.21 engine) reports
    /// "too big number for repeat range" for every pattern below (checked with `tokenizers.Regex`),
    /// even without the closing brace; 100,000 itself is a bound.
    func testRepeatBoundsAboveOniguramasLimitAreErrors() throws {
        for pattern in ["a{1000000000}", "a{100001}", "a{100001", "a{2,100001}", "a{,100001}", "x{99999999999999999999}"] {
            XCTAssertThrowsError(try Regex(pattern), pattern) { error in
                XCTAssertTrue("\(error)".contains("too big number for repeat range"), "\(pattern): \(error)")
            }
        }
        XCTAssertEqual(try Regex("a{2,100000}").matches(in: Array("aaa".unicodeScalars)), [0..<3])
    }

    func testAReplaceDecoderNeedsAnAutomaton() {
        let json = #"{"model": {"type": "WordLevel", "vocab": {"[UNK]": 0}, "unk_token": "[UNK]"}, "#
            + #""decoder": {"type": "Replace", "pattern": {"Regex": "(?=a+b)a"}, "content": " "}}"#
        XCTAssertThrowsError(try Tokenizer(json: Data(json.utf8), file: "test.json")) { error in
            XCTAssertTrue((error as? TokenizerError)?.errorDescription?.contains("Replace decoder") ?? false, "\(error)")
        }
    }

    func testPossessiveAndAtomicRepeatsOfOneClassRunInTheAutomaton() throws {
        for (pattern, text, expected) in [
            ("a++b|a", "aaab", [0..<4]), ("a++a", "aaaa", []), ("(?>a+)a", "aaa", []),
            ("a?+a", "a", []), ("(?>\\s+)(?!\\S)", "  x  ", [3..<5]), ("a{1,3}+a", "aaaa", [0..<4]),
            ("(?>a*?)b", "aab", [2..<3]),
        ] as [(String, String, [Range<Int>])] {
            let regex = try Regex(pattern)
            XCTAssertNotNil(regex.automaton, pattern)
            let scalars = Array(text.unicodeScalars)
            XCTAssertEqual(try regex.matches(in: scalars), expected, pattern)
            XCTAssertEqual(try regex.generic.matches(in: scalars), expected, "\(pattern) (backtracking engine)")
        }
    }

    /// Random patterns over a small alphabet: the automaton and the backtracking engine agree.
    func testTheAutomatonAgreesWithTheBacktrackingEngine() throws {
        var state: UInt64 = 0x2545F4914F6CDD1D
        func next(_ n: Int) -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(state >> 33) % n
        }
        let atoms = ["a", "b", " ", "[ab]", "[^a]", "\\s", "\\S", ".", "\\p{L}", "(?i:A)"]
        let suffixes = ["", "", "", "*", "+", "?", "*?", "+?", "??", "{2}", "{1,2}", "{0,2}?", "{2,}", "++", "?+"]
        let zeroWidth = ["^", "$", "\\b", "\\B", "(?=a)", "(?!\\S)", "(?<=b)", "(?<! )", "\\A", "\\z"]
        func pattern(_ depth: Int) -> String {
            var branches: [String] = []
            for _ in 0..<(1 + next(3)) {
                var items = ""
                for _ in 0..<(1 + next(3)) {
                    switch next(10) {
                    case 0: items += zeroWidth[next(zeroWidth.count)]
                    case 1 where depth < 2, 2 where depth < 2: items += "(?:" + pattern(depth + 1) + ")" + suffixes[next(suffixes.count - 2)]
                    default: items += atoms[next(atoms.count)] + suffixes[next(suffixes.count)]
                    }
                }
                branches.append(items)
            }
            return branches.joined(separator: "|")
        }
        var compared = 0
        for _ in 0..<400 {
            let p = pattern(0)
            // Some random patterns are invalid (a quantifier on an anchor).
            guard let regex = try? Regex(p), let automaton = regex.automatonOnly else { continue }
            for _ in 0..<8 {
                let text = Array((0..<next(12)).map { _ in ["a", "b", " ", "A"][next(4)] }.joined().unicodeScalars)
                // The backtracking engine gives up on some (exponential) cases; the automaton never does.
                let automatonMatches = try automaton.matches(in: text)
                guard let expected = try? regex.generic.matches(in: text) else { continue }
                XCTAssertEqual(automatonMatches, expected,
                               "\(p.debugDescription) on \(String(String.UnicodeScalarView(text)).debugDescription)")
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 3000)
    }
}
