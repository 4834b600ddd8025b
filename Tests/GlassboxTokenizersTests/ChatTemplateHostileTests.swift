import Foundation
import GlassboxTestSupport
@testable import GlassboxTokenizers
import XCTest

/// Templates that are malformed, use what the interpreter does not support, or try to exhaust it:
/// each is one ChatTemplateError line naming the origin, line and column — never a crash or a hang.
final class ChatTemplateHostileTests: XCTestCase {
    /// The error of parsing and rendering `source` (nil if it renders).
    func failure(_ source: String, limits: ChatTemplate.Limits = .init()) -> ChatTemplateError? {
        do {
            let template = try ChatTemplate(source, origin: "cfg/tokenizer_config.json: chat_template", limits: limits)
            _ = try template.render(messages: [ChatMessage(role: "user", content: "hi")], addGenerationPrompt: true)
            return nil
        } catch let e as ChatTemplateError {
            return e
        } catch {
            XCTFail("not a ChatTemplateError: \(error)")
            return nil
        }
    }

    func assertFails(_ source: String, line: Int, column: Int, _ detail: String, limits: ChatTemplate.Limits = .init(),
                     file: StaticString = #filePath, sourceLine: UInt = #line) {
        guard let e = failure(source, limits: limits) else { return XCTFail("rendered without error", file: file, line: sourceLine) }
        XCTAssertEqual(e.line, line, e.detail, file: file, line: sourceLine)
        XCTAssertEqual(e.column, column, e.detail, file: file, line: sourceLine)
        XCTAssertTrue(e.detail.contains(detail), e.detail, file: file, line: sourceLine)
        let text = e.errorDescription ?? ""
        XCTAssertTrue(text.hasPrefix("cfg/tokenizer_config.json: chat_template: line \(line), column \(column): "), text,
                      file: file, line: sourceLine)
        XCTAssertFalse(text.contains("\n"), "one line", file: file, line: sourceLine)
    }

    func testUnclosedTags() {
        assertFails("a\n{% if x %}b", line: 2, column: 1, "'if' block is not closed (expected 'elif' or 'else' or 'endif')")
        assertFails("{% for m in messages %}{{ m }}", line: 1, column: 1, "'for' block is not closed")
        assertFails("x {{ messages ", line: 1, column: 3, "the tag opened here is not closed (}} missing)")
        assertFails("x {% if true ", line: 1, column: 3, "the tag opened here is not closed (%} missing)")
        assertFails("  {# comment", line: 1, column: 3, "missing end of comment tag")
        assertFails("{% endif %}", line: 1, column: 1, "unexpected 'endif'")
        assertFails("{{ 'abc }}", line: 1, column: 4, "unterminated string literal")
        assertFails("{{ (1 }}", line: 1, column: 7, "unexpected '}', expected ')'")
    }

    func testUnsupportedConstructs() {
        assertFails("{{ x }}\n  {{ messages | frobnicate }}", line: 2, column: 17, "no filter named 'frobnicate'")
        assertFails("{{ x is frob }}", line: 1, column: 9, "no test named 'frob'")
        assertFails("{{ messages|sort }}", line: 1, column: 13, "the jinja2 filter 'sort' is not supported")
        // In conditional code jinja2 reports an unknown filter or test only when it runs.
        assertFails("{% if x is frob %}{% endif %}", line: 1, column: 9, "no test named 'frob'")
        XCTAssertNil(failure("{% if messages|length > 5 %}{{ messages|frob }}{% endif %}"))
        assertFails("{% include 'other.jinja' %}", line: 1, column: 1, "unsupported tag 'include'")
        assertFails("{% raw %}x{% endraw %}", line: 1, column: 1, "raw")
        assertFails("{{ '%s' % 'a' }}", line: 1, column: 9, "string formatting with '%' is not supported")
        assertFails("{{ messages[0].content.format(1) }}", line: 1, column: 30, "str.format() is not supported")
        assertFails("{% set l = [] %}{{ l.append(1) }}", line: 1, column: 28, "unsafe")
        assertFails("{{ raise_exception('Only user and assistant roles are supported!') }}", line: 1, column: 19,
                    "the template raised an exception: Only user and assistant roles are supported!")
        assertFails("{{ missing.attr }}", line: 1, column: 11, "'missing' is undefined")
        assertFails("{{ messages[0].role + 1 }}", line: 1, column: 21, "unsupported operand type(s) for +: 'str' and 'int'")
    }

    func testDeepRecursionIsAnError() {
        assertFails("{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(0) }}", line: 1, column: 21,
                    "macro calls nested deeper than 64")
        assertFails(String(repeating: "{% if true %}", count: 300), line: 1, column: 3327, "nested deeper than 256")
        assertFails("{{ " + String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000) + " }}",
                    line: 1, column: 259, "expression nested deeper than 256")
        assertFails("{{ x" + String(repeating: ".a", count: 100_000) + " }}", line: 1, column: 513, "expression nested deeper than 256")
        assertFails("{{ 1" + String(repeating: " + 1", count: 100_000) + " }}", line: 1, column: 1022, "expression nested deeper than 256")
        assertFails("{{ " + String(repeating: "not ", count: 100_000) + "x }}", line: 1, column: 1020, "expression nested deeper than 256")
    }

    func testHugeLoopsAndOutputsAreBounded() {
        let start = Date()
        assertFails("{% for i in range(100000) %}{% for j in range(100000) %}{% endfor %}{% endfor %}", line: 1, column: 29,
                    "more than 250000 loop iterations")
        assertFails("{% for i in range(1000000000) %}{% endfor %}", line: 1, column: 18, "range too big")
        assertFails("{{ 'x' * 100000000 }}", line: 1, column: 8, "a string longer than 16777216 bytes")
        assertFails("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor %}",
                    line: 1, column: 75, "a string longer than 16777216 bytes")
        assertFails("{% for i in range(100000) %}{{ 'y' * 200 }}{% endfor %}", line: 1, column: 36,
                    "the rendered text exceeds 16777216 bytes")
        assertFails("{% set ns = namespace(l=[]) %}{% for i in range(100000) %}{% set ns.l = [ns.l] %}{% endfor %}",
                    line: 1, column: 59, "a value nested deeper than 256 stored in a namespace")
        assertFails("{% set ns = namespace() %}{% set ns.me = ns %}{{ ns }}", line: 1, column: 27,
                    "storing a namespace inside a namespace is not supported")
        assertFails("{{ range(-9223372036854775807, 9223372036854775807, 3) }}", line: 1, column: 9, "range too big")
        assertFails("{{ 2 ** 100 }}", line: 1, column: 6, "integer overflow")
        assertFails("{{ (-9223372036854775807 - 1) ** 2 }}", line: 1, column: 31, "integer overflow")
        assertFails("{{ [1, 2] * 1000000 }}", line: 1, column: 11, "a list longer than 250000 items")
        assertFails("{% set ns = namespace(l=[1]) %}{% for i in range(40) %}{% set ns.l = ns.l + ns.l %}{% endfor %}",
                    line: 1, column: 75, "a list longer than 250000 items")
        var small = ChatTemplate.Limits()
        small.loopIterations = 10
        assertFails("{% for m in messages %}{% for i in range(20) %}{% endfor %}{% endfor %}", line: 1, column: 24,
                    "more than 10 loop iterations", limits: small)
        XCTAssertLessThan(Date().timeIntervalSince(start), 30, "bounded work finishes quickly")
    }

    /// The rendering of `source` (nil, with a test failure, if it fails), which must finish within
    /// `seconds` (a debug build).
    func rendered(_ source: String, within seconds: Double = 5, file: StaticString = #filePath, line: UInt = #line) -> String? {
        let start = Date()
        defer { XCTAssertLessThan(Date().timeIntervalSince(start), seconds, "took too long", file: file, line: line) }
        do {
            return try ChatTemplate(source, origin: "t").render(messages: [], addGenerationPrompt: false)
        } catch {
            XCTFail("\(error.localizedDescription)", file: file, line: line)
            return nil
        }
    }

    /// Fails with `detail` (anywhere in the template) within `seconds`.
    func assertFailsQuickly(_ source: String, _ detail: String, within seconds: Double = 5,
                            file: StaticString = #filePath, line: UInt = #line) {
        let start = Date()
        let e = failure(source)
        XCTAssertLessThan(Date().timeIntervalSince(start), seconds, "took too long", file: file, line: line)
        XCTAssertTrue(e?.detail.contains(detail) == true, e?.detail ?? "rendered without error", file: file, line: line)
    }

    /// Work no single bound saw (red-team review 11): a macro calling itself twice is 2^depth calls
    /// (each counts as a loop iteration); a loop building a string under the size limit over and over
    /// (each operator's, filter's and call's result counts against 16 × the output limit);
    /// `replace` with millions of matches; `indent` checked before it builds its result.
    func testWorkSpreadOverManyStepsIsBounded() {
        assertFailsQuickly("{% macro f(n) %}{% if n < 60 %}{{ f(n+1) }}{{ f(n+1) }}{% endif %}{% endmacro %}{{ f(0) }}",
                           "more than 250000 loop iterations and macro calls")
        assertFailsQuickly("{% macro f(n) %}{% if n < 60 %}{% set a = f(n+1) %}{% set b = f(n+1) %}{% endif %}{% endmacro %}{{ f(0) }}",
                           "more than 250000 loop iterations and macro calls")
        for body in ["{% set a = x ~ x %}", "{% set a = x|upper %}"] {
            assertFailsQuickly("{% set x = 'y' * 8000000 %}{% for i in range(100000) %}" + body + "{% endfor %}ok",
                               "too much text built (more than 268435456 bytes in all)")
        }
        assertFailsQuickly("{% set x = 'y\\n' * 8000 %}{{ x|indent(100000)|length }}", "a string longer than 16777216 bytes")
        XCTAssertEqual(try ChatTemplate("{% set x = 'y' * 400000 %}{{ x.replace('y', 'yy')|length }} {{ x.replace('', '-')|length }}",
                                        origin: "t").render(messages: [], addGenerationPrompt: false), "800000 800001")  // Python: 2·400,000 and 400,000 + 400,001
    }

    /// Integer edge cases that trapped: `Int.min // -1` and `% -1`, `range` near the ends of Int,
    /// `divisibleby(-1)`; ints past 2^53 compare exactly (values as jinja2 renders them).
    func testIntegerEdgesAreErrorsOrPythonValues() {
        assertFails("{{ (-9223372036854775807 - 1) // -1 }}", line: 1, column: 31, "integer overflow")
        XCTAssertEqual(rendered("{{ (-9223372036854775807 - 1) % -1 }}"), "0")
        XCTAssertEqual(rendered("{{ (-9223372036854775807 - 1) is divisibleby(-1) }}"), "True")
        XCTAssertEqual(rendered("{{ range(9223372036854774807, 9223372036854775807)|length }}"), "1000")
        XCTAssertEqual(rendered("{{ range(-9223372036854775807 - 1, 9223372036854775807, 4611686018427387904)|list }}"),
                       "[-9223372036854775808, -4611686018427387904, 0, 4611686018427387904]")
        XCTAssertEqual(rendered("{{ range(9223372036854775807, -9223372036854775807 - 1, -4611686018427387904)|list }}"),
                       "[9223372036854775807, 4611686018427387903, -1, -4611686018427387905]")
        assertFails("{{ range(-9223372036854775807 - 1, 9223372036854775807) }}", line: 1, column: 9, "range too big")
        XCTAssertEqual(rendered("{{ 9007199254740993 == 9007199254740992 }} {{ 9007199254740993 > 9007199254740992 }} "
                                + "{{ 9007199254740993 == 9007199254740992.0 }} {{ 9007199254740993 > 9007199254740992.0 }} "
                                + "{{ [9007199254740993] == [9007199254740992] }} {{ [9007199254740993] < [9007199254740992] }} "
                                + "{{ 9007199254740993 in [9007199254740992] }} {{ 9223372036854775807 == 9223372036854775808.0 }} "
                                + "{{ 9223372036854775807 < 9223372036854775808.0 }} {{ 2 < 2.5 }} {{ -3 < -2.5 }} {{ 1 == 1.0 }} {{ True == 1 }}"),
                       "False True False True False False False False True True True True True")
    }

    /// `split`/`rsplit` without a separator and a `maxsplit` (0 trapped): the rest is one part,
    /// stripped on the side it was split from, as Python's `str.split(None, n)`.
    func testWhitespaceSplitWithMaxsplit() {
        XCTAssertEqual(rendered("{{ 'a b'.split(maxsplit=0) }} {{ 'a b'.rsplit(none, 0) }} {{ ' a b '.split(none, 0) }} "
                                + "{{ ' a b '.rsplit(none, 0) }} {{ ' a b '.split(none, 1) }} {{ ' a b '.rsplit(none, 1) }} "
                                + "{{ '  '.split(none, 0) }} {{ ' a '.split(none, 0) }}"),
                       "['a b'] ['a b'] ['a b '] [' a b'] ['a', 'b '] [' a', 'b'] [] ['a ']")
    }

    /// Lists holding one list twice, nested 40 deep (2^40 leaves in 40 lists): printing stops at the
    /// output limit, comparing at the work budget; `{% set %}` and macro arguments limit nesting
    /// (a chain of 200,000 one-item lists overflowed the stack when freed).
    func testSharedAndDeepValuesAreBounded() {
        // Built by nested loops (no `set`): a0 = [1, 1], a1 = [a0, a0], …, a39.
        let open = (0..<40).map { i in "{% for a\(i) in [[" + (i == 0 ? "1, 1" : "a\(i - 1), a\(i - 1)") + "]] %}" }.joined()
        let close = String(repeating: "{% endfor %}", count: 40)
        // (Each takes about 3 s in a debug build: 16 MiB printed, 4,000,000 values compared.)
        for body in ["{{ a39 }}", "{{ a39 ~ '' }}", "{{ a39|join }}", "{{ a39|tojson }}"] {
            assertFailsQuickly(open + body + close, "longer than 16777216 bytes")
        }
        for body in ["{{ a39 == a39 }}", "{{ a39 < a39 }}", "{{ a39 in [a39] }}"] {
            assertFailsQuickly(open + body + close, "too much work (more than 4000000 values inspected)")
        }
        assertFailsQuickly("{% set a = [1] %}" + String(repeating: "{% set a = [a, a] %}", count: 40) + "{{ a }}",
                           "too much work (more than 4000000 values inspected)")
        assertFailsQuickly("{% set a = 1 %}" + String(repeating: "{% set a = [a] %}", count: 200_000) + "{{ a|length }}",
                           "a value nested deeper than 256 assigned to a variable", within: 20)
        assertFailsQuickly("{% set a = 1 %}" + String(repeating: "{% set a, b = [[a], 1] %}", count: 300),
                           "a value nested deeper than 256 assigned to a variable")
        assertFailsQuickly("{% set s = 'a' * 10000000 %}{{ ([s] * 2000) ~ '' }}", "a string longer than 16777216 bytes")
        assertFailsQuickly("{% macro f(x) %}{{ f([[[[[[[[[[x]]]]]]]]]]) }}{% endmacro %}{{ f(1) }}",
                           "a value nested deeper than 256 passed to a macro")
        // join and str.join add up the parts' sizes before building the text (here 20 GB).
        assertFailsQuickly("{% set s = 'a' * 10000000 %}{{ ([s] * 2000)|join }}", "a string longer than 16777216 bytes")
        assertFailsQuickly("{% set s = 'a' * 10000000 %}{{ ''.join([s] * 2000) }}", "a string longer than 16777216 bytes")
    }

    /// `unique` hashes (200,000 items took minutes pairwise) with jinja2's semantics (case-insensitive
    /// by default, `1 == 1.0 == True`, lists unhashable); substring search is linear (a 1,000,001-
    /// character near-miss needle in 2,000,000 characters took minutes).
    func testUniqueAndSubstringSearchAreFast() {
        XCTAssertEqual(rendered("{{ (range(100000)|list + range(100000)|list)|unique|list|length }}"), "100000")
        XCTAssertEqual(rendered("{{ ['A','a','b',1,1.0,True,none,none,'B']|unique|list }} {{ ['A','a']|unique(true)|list }} "
                                + "{{ [{'n':'x'},{'n':'X'},{'n':'y'}]|unique(attribute='n')|list }}"),
                       "['A', 'b', 1, None] ['A', 'a'] [{'n': 'x'}, {'n': 'y'}]")
        assertFails("{{ [[1], [1]]|unique|list }}", line: 1, column: 14, "unhashable type: 'list'")
        let big = "{% set h = 'a' * 2000000 %}{% set n = 'a' * 1000000 ~ 'b' %}"
        XCTAssertEqual(rendered(big + "{{ n in h }} {{ h.count(n) }} {{ h.find(n) }} {{ h.replace(n, 'x')|length }} "
                                + "{{ h.split(n)|length }} {{ h.rsplit(n)|length }}", within: 10),
                       "False 0 -1 2000000 1 1")
        XCTAssertEqual(rendered("{{ 'abababc'.find('ababc') }} {{ 'aaa'.count('aa') }} {{ 'abcabd'.rfind('ab') }} "
                                + "{{ 'a--b--c'.split('--') }} {{ 'aaaa'.replace('aa', 'b') }}"),
                       "2 1 3 ['a', 'b', 'c'] bb")
    }

    func testTemplateFileAndConfigErrorsNameTheirSource() throws {
        let folder = try makeTemporaryFolder("chat-hostile")
        let config = folder.appendingPathComponent("tokenizer_config.json")
        XCTAssertNil(try ChatTemplate.load(directory: folder), "no files: no template")
        try Data(#"{"chat_template": 3}"#.utf8).write(to: config)
        XCTAssertThrowsError(try ChatTemplate.load(directory: folder)) { error in
            XCTAssertEqual((error as? ChatTemplateError)?.errorDescription,
                           "\(config.path): chat_template: expected a string or a list of {name, template}, found a number")
        }
        try Data(#"{"chat_template": [{"name": "tool_use", "template": "t"}, {"name": "rag", "template": "r"}]}"#.utf8).write(to: config)
        XCTAssertThrowsError(try ChatTemplate.load(directory: folder)) { error in
            XCTAssertEqual((error as? ChatTemplateError)?.errorDescription,
                           "\(config.path): chat_template: several templates and none named 'default' (names: rag, tool_use)")
        }
        try Data(#"{"bos_token": "<s>", "chat_template": [{"name": "tool_use", "template": "t"}, {"name": "default", "template": "{{ bos_token }}d"}]}"#.utf8).write(to: config)
        XCTAssertEqual(try ChatTemplate.load(directory: folder)?.render(messages: [], addGenerationPrompt: true), "<s>d")
        // chat_template.jinja takes priority over the config's template, as in transformers.
        try Data("{{ bos_token }}{% if x %}".utf8).write(to: folder.appendingPathComponent("chat_template.jinja"))
        XCTAssertThrowsError(try ChatTemplate.load(directory: folder)) { error in
            XCTAssertEqual((error as? ChatTemplateError)?.errorDescription,
                           "\(folder.path)/chat_template.jinja: line 1, column 16: 'if' block is not closed (expected 'elif' or 'else' or 'endif')")
        }
        try Data("{{ bos_token }}{{ messages[0].content }}".utf8).write(to: folder.appendingPathComponent("chat_template.jinja"))
        XCTAssertEqual(try ChatTemplate.load(directory: folder)?.render(messages: [ChatMessage(role: "user", content: "q")],
                                                                       addGenerationPrompt: true), "<s>q")
        // additional_chat_templates/: default.jinja wins; other files do not make chat_template.jinja lose.
        let extra = folder.appendingPathComponent("additional_chat_templates")
        try FileManager.default.createDirectory(at: extra, withIntermediateDirectories: true)
        try Data("tools".utf8).write(to: extra.appendingPathComponent("tool_use.jinja"))
        XCTAssertEqual(try ChatTemplate.load(directory: folder)?.render(messages: [ChatMessage(role: "user", content: "q")],
                                                                       addGenerationPrompt: true), "<s>q")
        try FileManager.default.removeItem(at: folder.appendingPathComponent("chat_template.jinja"))
        XCTAssertThrowsError(try ChatTemplate.load(directory: folder)) { error in
            XCTAssertEqual((error as? ChatTemplateError)?.errorDescription,
                           "\(extra.path): several templates and none named 'default' (names: tool_use)")
        }
        try Data("D{{ bos_token }}".utf8).write(to: extra.appendingPathComponent("default.jinja"))
        XCTAssertEqual(try ChatTemplate.load(directory: folder)?.render(messages: [], addGenerationPrompt: true), "D<s>")
    }

    /// Random soups of template fragments (seeded): every one renders or is a ChatTemplateError.
    func testRandomFragmentSoupsNeverCrash() {
        let fragments = ["{{", "}}", "{%", "%}", "{#", "#}", "{%-", "-%}", "{{-", "-}}", " if ", " for ", " in ", " else ",
                         " endif ", " endfor ", " set ", " = ", "messages", "[0]", "[-1]", "['role']", ".content", "|trim",
                         "|length", "|tojson", "|join(',')", " is defined", " is not none", " and ", " or ", " not ", "(",
                         ")", "[", "]", "{", "}", ",", ":", "'a'", "\"b\"", "'\\n'", "1", "2.5", "-", "+", "*", "/", "//",
                         "%", "~", "==", "<", " macro ", " endmacro ", "f(", "ns", "namespace(x=1)", ".x", "loop.index",
                         "[::-1]", "[1:]", ".strip()", ".split(' ')", "raise_exception('r')", "range(3)", "\n", "  ", "x"]
        var state: UInt64 = 0x9E3779B97F4A7C15
        func next() -> Int {
            state ^= state << 13; state ^= state >> 7; state ^= state << 17
            return Int(state % UInt64(Int.max))
        }
        var rendered = 0
        for _ in 0..<20000 {
            let source = (0..<(1 + next() % 24)).map { _ in fragments[next() % fragments.count] }.joined()
            if failure(source) == nil { rendered += 1 }
        }
        XCTAssertGreaterThan(rendered, 500, "some soups are valid templates")
    }
}
