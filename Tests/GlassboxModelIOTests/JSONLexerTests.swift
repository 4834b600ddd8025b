import GlassboxFiles
import XCTest

/// The shared JSON tokenizer: kinds and byte ranges, strings' values and problems, places.
final class JSONLexerTests: XCTestCase {
    private func tokens(_ text: String) -> [(JSONToken.Kind, String)] {
        let bytes = Array(text.utf8)
        var lexer = JSONLexer(bytes)
        var out: [(JSONToken.Kind, String)] = []
        while case let token = lexer.next(), token.kind != .end {
            out.append((token.kind, String(decoding: bytes[token.range], as: UTF8.self)))
        }
        XCTAssertEqual(lexer.next().kind, .end, "the end repeats")
        return out
    }

    private func assertTokens(_ text: String, _ expected: [(JSONToken.Kind, String)], line: UInt = #line) {
        let got = tokens(text)
        XCTAssertEqual(got.map(\.0), expected.map(\.0), text, line: line)
        XCTAssertEqual(got.map(\.1), expected.map(\.1), text, line: line)
    }

    func testPunctuationLiteralsNumbersAndStrings() {
        assertTokens(#" {"a" : [1, -2.5e3, true, false, null]}"#, [
            (.beginObject, "{"), (.string, #""a""#), (.colon, ":"), (.beginArray, "["), (.number, "1"), (.comma, ","),
            (.number, "-2.5e3"), (.comma, ","), (.trueLiteral, "true"), (.comma, ","), (.falseLiteral, "false"), (.comma, ","),
            (.null, "null"), (.endArray, "]"), (.endObject, "}"),
        ])
    }

    func testPythonLiteralsAndBareWords() {
        assertTokens("[NaN,Infinity,-Infinity,1e400,01,1.,+1,tru,-]", [
            (.beginArray, "["), (.nan, "NaN"), (.comma, ","), (.infinity, "Infinity"), (.comma, ","),
            (.negativeInfinity, "-Infinity"), (.comma, ","), (.number, "1e400"), (.comma, ","), (.word, "01"), (.comma, ","),
            (.word, "1."), (.comma, ","), (.word, "+1"), (.comma, ","), (.word, "tru"), (.comma, ","), (.word, "-"), (.endArray, "]"),
        ])
    }

    func testStringsEndAtTheFirstUnescapedQuoteAndBracketsInsideAreText() {
        assertTokens(#"["a\"[{", "\\"]"#, [(.beginArray, "["), (.string, #""a\"[{""#), (.comma, ","), (.string, #""\\""#), (.endArray, "]")])
        assertTokens(#"["abc"#, [(.beginArray, "["), (.unterminatedString, #""abc"#)])
    }

    func testComments() {
        assertTokens("{// one\n/* two\n */}", [(.beginObject, "{"), (.comment, "// one"), (.comment, "/* two\n */"), (.endObject, "}")])
        assertTokens("1/2", [(.number, "1"), (.word, "/"), (.number, "2")])
    }

    func testStringValues() throws {
        let text = Array((#"["plain", "a\n\u00e9\ud83d\ude00\/", "\ud800x", "\q", "\u12", "tab"# + "\t" + #""]"#).utf8)
        var lexer = JSONLexer(text)
        var strings: [JSONToken] = []
        while case let token = lexer.next(), token.kind != .end { if token.kind == .string { strings.append(token) } }
        XCTAssertEqual(strings.count, 6)
        XCTAssertTrue(strings[0].plain)
        XCTAssertEqual(JSONString.text(strings[0], in: text), "plain")
        XCTAssertFalse(strings[1].plain)
        XCTAssertEqual(JSONString.text(strings[1], in: text), "a\né😀/")
        let lone = try JSONString.decode(strings[2], in: text, loneSurrogates: .replace)
        XCTAssertEqual(String(decoding: lone.bytes, as: UTF8.self), "\u{FFFD}x")
        XCTAssertEqual(lone.loneSurrogates, [(strings[2].range.lowerBound + 1)..<(strings[2].range.lowerBound + 7)])
        func problem(_ token: JSONToken, _ policy: JSONString.LoneSurrogates = .replace) -> JSONString.Problem? {
            do { _ = try JSONString.decode(token, in: text, loneSurrogates: policy); return nil } catch { return error }
        }
        XCTAssertEqual(problem(strings[2], .refuse)?.message, "a lone surrogate escape in a string")
        XCTAssertEqual(problem(strings[3])?.message, "an invalid escape '\\q'")
        XCTAssertEqual(problem(strings[3])?.offset, strings[3].range.lowerBound + 1)
        XCTAssertEqual(problem(strings[4])?.message, "a truncated \\u escape")
        XCTAssertEqual(problem(strings[5])?.message, "a control character inside a string")
        XCTAssertEqual(problem(strings[5])?.offset, strings[5].range.upperBound - 2)
        // A LocalizedError: its description names the byte and the problem (it used to be the
        // generic "The operation could not be completed").
        let error: Error = try XCTUnwrap(problem(strings[3]))
        XCTAssertEqual(error.localizedDescription, "invalid JSON string at byte \(strings[3].range.lowerBound + 1): an invalid escape '\\q'")
    }

    func testLineAndColumn() {
        let bytes = Array("{\n  \"a\": 1,\n}".utf8)
        XCTAssertEqual(JSONLexer.lineColumn(of: 0, in: bytes).line, 1)
        let place = JSONLexer.lineColumn(of: 10, in: bytes)   // the ,
        XCTAssertEqual([place.line, place.column], [2, 9])
        let end = JSONLexer.lineColumn(of: bytes.count, in: bytes)
        XCTAssertEqual([end.line, end.column], [3, 2])
    }
}
