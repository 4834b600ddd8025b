import Foundation
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

    func testTemplateFileAndConfigErrorsNameTheirSource() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-chat-hostile-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
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
