import Foundation
@testable import GlassboxTokenizers
import XCTest

/// 97 chat templates as shipped in GGUF files of Ollama's library models
/// (Tests/Fixtures/chat-templates/corpus-templates.json, with its source), each rendered for four
/// conversations: every rendering must equal transformers 4.53.3's byte for byte, and where the
/// template raises (roles that must alternate, variables the template needs) the interpreter must
/// fail too (corpus-expected.json, written by scripts/fixtures/generate_chat_templates.py).
final class ChatTemplateCorpusTests: XCTestCase {
    func testCorpusRendersLikeTransformers() throws {
        let folder = ChatTemplateGoldenTests.folder
        let templatesURL = folder.appendingPathComponent("corpus-templates.json")
        let expectedURL = folder.appendingPathComponent("corpus-expected.json")
        let templates = try JSONValue.parse(try Data(contentsOf: templatesURL), file: templatesURL.path)
        let expected = try JSONValue.parse(try Data(contentsOf: expectedURL), file: expectedURL.path)
        let conversations = try XCTUnwrap(try ChatTemplateGoldenTests.expected()["conversations"])
        guard case .array(let sources)? = templates["templates"], case .array(let entries)? = expected["entries"],
              case .object(let specials)? = expected["special_tokens"] else { return XCTFail("malformed corpus") }
        XCTAssertEqual(sources.count, 97)
        XCTAssertEqual(entries.count, sources.count)
        var same = 0, raised = 0
        for (source, entry) in zip(sources, entries) {
            guard case .string(let model)? = source["model"], case .string(let text)? = source["template"],
                  case .array(let cases)? = entry["cases"] else { return XCTFail("malformed corpus entry") }
            let template: ChatTemplate
            do {
                template = try ChatTemplate(text, origin: model)
            } catch {
                XCTFail("\(model): \(error.localizedDescription)")
                continue
            }
            for c in cases {
                guard case .string(let name)? = c["conversation"], case .bool(let agp)? = c["add_generation_prompt"],
                      let messages = conversations[name] else { return XCTFail("malformed case of \(model)") }
                let context = ChatTemplateGoldenTests.context(specials: specials, messages: messages, addGenerationPrompt: agp)
                let label = "\(model) / \(name) / add_generation_prompt=\(agp)"
                if case .string(let message)? = c["error"] {
                    XCTAssertThrowsError(try template.render(context: context, now: ChatTemplateGoldenTests.frozenNow),
                                         "\(label) (transformers: \(message))") { error in
                        // The same reason: jinja2's undefined and attribute messages, or the template's own.
                        let detail = (error as? ChatTemplateError)?.detail ?? "\(error)"
                        XCTAssertTrue(detail.hasSuffix(message), "\(label): \(detail) (transformers: \(message))")
                    }
                    raised += 1
                } else if case .string(let want)? = c["expected"] {
                    do {
                        let got = try template.render(context: context, now: ChatTemplateGoldenTests.frozenNow)
                        XCTAssertTrue(got.utf8.elementsEqual(want.utf8), "\(label)\n--- got\n\(got.debugDescription)\n--- want\n\(want.debugDescription)")
                        if got.utf8.elementsEqual(want.utf8) { same += 1 }
                    } catch {
                        XCTFail("\(label): \(error.localizedDescription)")
                    }
                }
            }
        }
        XCTAssertEqual(same + raised, 4 * 97)
        print("corpus: \(same) identical, \(raised) refusals")
    }
}
