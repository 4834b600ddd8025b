import Foundation
@testable import GlassboxTokenizers
import XCTest

/// Where the interpreter knowingly stops short of Python (documented in docs/chat-templates.md):
/// integers past 64 bits fail with one clear line instead of rendering what jinja2 would, and so
/// do unknown `\N{…}` names. The rest of the `int` filter, `\N{…}` escapes (every name alias
/// included), tuples and case mappings are checked against jinja2 in ChatTemplateGoldenTests' snippets.
final class ChatTemplatePythonLimitsTests: XCTestCase {
    /// The error of parsing and rendering `source`, nil (with a test failure) if it renders.
    func failure(_ source: String, file: StaticString = #filePath, line: UInt = #line) -> ChatTemplateError? {
        do {
            _ = try ChatTemplate(source, origin: "t.json: chat_template").render(messages: [], addGenerationPrompt: false)
            XCTFail("rendered without error", file: file, line: line)
        } catch let e as ChatTemplateError {
            return e
        } catch {
            XCTFail("not a ChatTemplateError: \(error)", file: file, line: line)
        }
        return nil
    }

    /// jinja2 gives a Python big int (`'99999999999999999999'|int` prints all 20 digits); this
    /// interpreter refuses, naming the value.
    func testIntPast64BitsFails() {
        let cases = [
            ("{{ '99999999999999999999'|int }}", "'99999999999999999999'"),
            ("{{ '9223372036854775808'|int }}", "'9223372036854775808'"),
            ("{{ '-0x8000000000000001'|int(0, 16) }}", "'-0x8000000000000001'"),
            ("{{ '1e30'|int }}", "'1e30'"),
            ("{{ 1e19|int }}", "1e+19"),
        ]
        for (source, shown) in cases {
            let e = failure(source)
            XCTAssertEqual(e?.detail, "integer overflow: \(shown)|int is past the 64-bit integer range", source)
            XCTAssertEqual(e?.line, 1, source)
        }
    }

    /// `int(float('inf'))` raises OverflowError, which jinja2's `int` filter does not catch for a
    /// float value (for a string it does: `'inf'|int` is the default, in the golden).
    func testInfiniteFloatToIntFails() {
        XCTAssertEqual(failure("{{ (1e308 * 10)|int }}")?.detail, "cannot convert float infinity to integer")
    }

    /// An unknown `\N{…}` name is a syntax error at the escape's line and column, on one line.
    func testUnknownNamedEscapeIsPlaced() throws {
        let e = try XCTUnwrap(failure("ab\n{{ 'x' }} {{ '\\N{NO SUCH THING}' }}"))
        XCTAssertEqual(e.line, 2)
        XCTAssertEqual(e.column, 15)
        XCTAssertEqual(e.errorDescription, "t.json: chat_template: line 2, column 15: unknown Unicode character name 'NO SUCH THING' in a \\N{…} escape")
        XCTAssertEqual(failure("{{ '\\N' }}")?.detail, "malformed \\N character escape in a string literal")
        XCTAssertEqual(failure("{{ '\\N{BULLET' }}")?.column, 5)
    }

    /// A correction alias later than Python 3.11's Unicode 14.0 (Swift knows it) is unknown, as in
    /// Python 3.11 (`unicodedata.lookup('CUNEIFORM SIGN KALAM')` raises KeyError); one of Unicode 14
    /// still names its character (`LATIN CAPITAL LETTER GHA`, also in the golden).
    func testAliasLaterThanUnicode14IsUnknown() throws {
        XCTAssertEqual(Unicode.Scalar(0x12327)?.properties.nameAlias, "CUNEIFORM SIGN KALAM", "Swift knows the later alias")
        for name in ["CUNEIFORM SIGN KALAM", "ARABIC SMALL HIGH LIGATURE ALEF WITH YEH BARREE"] {
            XCTAssertEqual(failure("{{ '\\N{\(name)}' }}")?.detail, "unknown Unicode character name '\(name)' in a \\N{…} escape")
        }
        let gha = try ChatTemplate("{{ '\\N{latin capital letter gha}' }}", origin: "t").render(messages: [], addGenerationPrompt: false)
        XCTAssertEqual(gha.unicodeScalars.map(\.value), [0x01A2])
    }
}
