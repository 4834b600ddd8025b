import Foundation
import GlassboxTestSupport
@testable import GlassboxTokenizers
import XCTest

/// Real checkpoints' chat templates rendered for several conversations, compared byte for byte
/// with transformers 4.53.3's renderings (Tests/Fixtures/chat-templates/expected.json, written by
/// scripts/fixtures/generate_chat_templates.py); renderings where the template raises must raise
/// with the template's message.
final class ChatTemplateGoldenTests: XCTestCase {
    static let folder = TokenizerFixtures.root.appendingPathComponent("Tests/Fixtures/chat-templates")

    /// The fixture's frozen clock (2024-07-26 12:00:00 local time, as the generator's `datetime.now`).
    static var frozenNow: Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .current
        return calendar.date(from: DateComponents(year: 2024, month: 7, day: 26, hour: 12))!
    }

    /// The variables transformers passes a template for one fixture case: the special tokens,
    /// `messages`, `tools` and `documents` None, `add_generation_prompt`, then any extra `variables`.
    static func context(specials: [(key: String, value: JSONValue)], messages: JSONValue, addGenerationPrompt: Bool,
                        variables: [(key: String, value: JSONValue)] = []) -> TemplateDict {
        var context = TemplateDict()
        for (k, v) in specials { context[k] = TemplateValue(json: v) }
        context["messages"] = TemplateValue(json: messages)
        context["tools"] = TemplateValue.none
        context["documents"] = TemplateValue.none
        context["add_generation_prompt"] = .bool(addGenerationPrompt)
        for (k, v) in variables { context[k] = TemplateValue(json: v) }
        return context
    }

    static func expected() throws -> JSONValue {
        let url = folder.appendingPathComponent("expected.json")
        return try JSONValue.parse(try Data(contentsOf: url), file: url.path)
    }

    func testRenderingsMatchTransformers() throws {
        let expected = try Self.expected()
        guard case .array(let templates)? = expected["templates"], case .object(let conversations)? = expected["conversations"] else {
            return XCTFail("expected.json has no templates")
        }
        XCTAssertGreaterThanOrEqual(templates.count, 10)
        var compared = 0, raised = 0
        for entry in templates {
            guard case .string(let name)? = entry["name"], case .string(let text)? = entry["template"],
                  case .array(let cases)? = entry["cases"], case .object(let specials)? = entry["special_tokens"] else {
                return XCTFail("malformed template entry")
            }
            let template = try ChatTemplate(text, origin: name)
            for c in cases {
                guard case .string(let conversation)? = c["conversation"], case .bool(let agp)? = c["add_generation_prompt"],
                      let messages = conversations.first(where: { $0.key == conversation })?.value,
                      case .object(let variables)? = c["variables"] else {
                    return XCTFail("malformed case in \(name)")
                }
                let context = Self.context(specials: specials, messages: messages, addGenerationPrompt: agp, variables: variables)
                let label = "\(name) / \(conversation) / add_generation_prompt=\(agp) / \(variables.map(\.key))"
                if case .string(let message)? = c["error"] {
                    XCTAssertThrowsError(try template.render(context: context, now: Self.frozenNow), label) { error in
                        let description = (error as? ChatTemplateError)?.errorDescription ?? "\(error)"
                        XCTAssertTrue(description.contains("the template raised an exception: \(message)"), "\(label): \(description)")
                    }
                    raised += 1
                } else if case .string(let want)? = c["expected"] {
                    let got = try template.render(context: context, now: Self.frozenNow)
                    XCTAssertTrue(got.utf8.elementsEqual(want.utf8), "\(label)\n--- got\n\(got.debugDescription)\n--- want\n\(want.debugDescription)")
                    compared += 1
                }
            }
        }
        XCTAssertEqual(compared + raised, 192)
        XCTAssertEqual(raised, 12)
    }

    /// Failing snippets whose message must end with jinja2's (the others' wording differs).
    static let messageChecked: Set<String> = [
        "raise", "tuple-plus-list", "list-plus-tuple", "tuple-compare-list", "startswith-list", "int-undefined",
        "float-undefined", "dict-view-tojson", "dict-view-slice", "dict-view-plus", "dict-view-unhashable",
        "loop-cycle-empty", "loop-call-not-recursive", "loop-tojson",
    ]

    /// One small template per construct (whitespace control, loops and scoping, namespace, macros,
    /// filters, tests, operators, Python printing and methods, undefined values, errors).
    func testSnippetsMatchJinja2() throws {
        guard case .array(let snippets)? = try Self.expected()["snippets"] else { return XCTFail("expected.json has no snippets") }
        XCTAssertGreaterThanOrEqual(snippets.count, 30)
        var checked = 0
        for c in snippets {
            guard case .string(let name)? = c["name"], case .string(let text)? = c["template"], let variables = c["variables"] else {
                return XCTFail("malformed snippet")
            }
            var context = TemplateDict()
            if case .dict(let given) = TemplateValue(json: variables) { context = given }
            if context["messages"] == nil { context["messages"] = .list([]) }
            context["tools"] = TemplateValue.none
            context["documents"] = TemplateValue.none
            context["add_generation_prompt"] = .bool(false)
            // jinja2 reports an unknown filter when compiling, unless it sits in conditional code:
            // then only when it runs ("… found.").
            if case .string(let message)? = c["error"], message.hasPrefix("No filter named"), !message.hasSuffix("found.") {
                XCTAssertThrowsError(try ChatTemplate(text, origin: name), name) { error in
                    XCTAssertEqual((error as? ChatTemplateError)?.detail, "no filter named 'nope'", name)
                }
                checked += 1
                continue
            }
            // A bad `\N{…}` escape is a syntax error (jinja2 raises it when compiling, naming the line).
            if case .string(let message)? = c["error"], message.hasPrefix("unknown Unicode character name") || message.hasPrefix("malformed \\N") {
                XCTAssertThrowsError(try ChatTemplate(text, origin: name), name) { error in
                    guard let e = error as? ChatTemplateError else { return XCTFail("\(name): \(error)") }
                    XCTAssertTrue(e.detail.hasPrefix(message), "\(name): \(e.detail)")
                    XCTAssertEqual(e.line, text.hasPrefix("ab\n") ? 2 : 1, name)
                }
                checked += 1
                continue
            }
            let template = try ChatTemplate(text, origin: name)
            if case .string(let message)? = c["error"] {
                XCTAssertThrowsError(try template.render(context: context, now: Self.frozenNow), name) { error in
                    guard let e = error as? ChatTemplateError else { return XCTFail("\(name): \(error)") }
                    XCTAssertEqual(e.line, 1, name)
                    if Self.messageChecked.contains(name) { XCTAssertTrue(e.detail.hasSuffix(message), "\(name): \(e.detail)") }
                }
                checked += 1
            } else if case .string(let want)? = c["expected"] {
                let got = try template.render(context: context, now: Self.frozenNow)
                XCTAssertTrue(got.utf8.elementsEqual(want.utf8), "\(name)\n--- got\n\(got.debugDescription)\n--- want\n\(want.debugDescription)")
                checked += 1
            }
        }
        XCTAssertEqual(checked, snippets.count)
    }

    /// `load(directory:)` finds tokenizer_config.json's template and passes its special tokens,
    /// as `apply_chat_template` does (the CLI golden's rendering).
    func testLoadedTemplateRendersLikeApplyChatTemplate() throws {
        let expected = try Self.expected()
        guard let cli = expected["cli"], case .string(let rendered)? = cli["rendered"], let config = cli["tokenizer_config"],
              case .array(let messages)? = cli["messages"] else { return XCTFail("expected.json has no cli case") }
        let folder = try makeTemporaryFolder("chat")
        try Self.write(config, to: folder.appendingPathComponent("tokenizer_config.json"))
        let template = try XCTUnwrap(try ChatTemplate.load(directory: folder))
        let chat = messages.compactMap { m -> ChatMessage? in
            guard case .string(let role)? = m["role"], case .string(let content)? = m["content"] else { return nil }
            return ChatMessage(role: role, content: content)
        }
        XCTAssertEqual(try template.render(messages: chat, addGenerationPrompt: true), rendered)
        XCTAssertEqual(template.specialTokens.map(\.name), ["bos_token", "eos_token"])
    }

    /// Writes a JSON value back to text (Foundation keeps the strings exact).
    static func write(_ value: JSONValue, to url: URL) throws {
        func object(_ v: JSONValue) -> Any {
            switch v {
            case .null: NSNull()
            case .bool(let b): b
            case .int(let i): i
            case .double(let d): d
            case .string(let s): s
            case .array(let a): a.map(object)
            case .object(let m): Dictionary(m.map { ($0.key, object($0.value)) }, uniquingKeysWith: { $1 })
            }
        }
        try JSONSerialization.data(withJSONObject: object(value)).write(to: url)
    }
}
