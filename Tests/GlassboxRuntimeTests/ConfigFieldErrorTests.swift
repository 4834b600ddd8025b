import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// config.json errors name the field that is wrong, with the value as written, and are found
/// quickly however many other numbers the config holds.
final class ConfigFieldErrorTests: XCTestCase {
    /// A copy of fixture `model` (symbolic links) whose config.json is `edit` of its own text.
    private func model(_ model: String, _ edit: (String) -> String) throws -> URL {
        let source = Fixtures.model(model)
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-fields-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) where name != "config.json" {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name),
                                                       withDestinationURL: source.appendingPathComponent(name))
        }
        let text = try String(contentsOf: source.appendingPathComponent("config.json"), encoding: .utf8)
        let edited = edit(text)
        XCTAssertNotEqual(edited, text, "the edit of \(model)'s config.json changed nothing")
        try Data(edited.utf8).write(to: folder.appendingPathComponent("config.json"))
        return folder
    }

    /// The load error's text, or a failure when the load succeeds.
    private func loadError(_ folder: URL, line: UInt = #line) -> String {
        do {
            _ = try TransformerModel.load(directory: folder)
            XCTFail("loaded", line: line)
            return ""
        } catch {
            return error.localizedDescription
        }
    }

    /// One integer field holding 1.5 among 20,000 fractional numbers: the field is found in a few
    /// decodes (before, one decode per fractional number: 2,000 took 14 s, 20,000 minutes).
    func testABadIntegerAmongManyFractionsIsFoundQuickly() throws {
        let fractions = (0..<20_000).map { "\"f\($0)\": 0.5, " }.joined()
        let folder = try model("gpt2-tiny") {
            $0.replacingOccurrences(of: "{", with: "{" + fractions).replacingOccurrences(of: "\"n_layer\": 2", with: "\"n_layer\": 1.5")
        }
        let start = Date()
        let message = loadError(folder)
        let seconds = Date().timeIntervalSince(start)
        XCTAssertTrue(message.hasSuffix("config.json is not a valid config: 'n_layer' should be an integer, got 1.5"), message)
        XCTAssertLessThan(seconds, 1.0, "finding the field took \(seconds) s")
    }

    /// A number that rounds to 0 is named with its own field (before: 'attn_pdrop', whose
    /// replacement happened to let the decode pass).
    func testAnUnderflowingNumberNamesItsField() throws {
        let folder = try model("gpt2-tiny") { $0.replacingOccurrences(of: "\"layer_norm_epsilon\": 1e-05", with: "\"layer_norm_epsilon\": 1e-400") }
        let message = loadError(folder)
        XCTAssertTrue(message.hasSuffix("config.json is not a valid config: 'layer_norm_epsilon' is 1e-400, which rounds to 0 in a 32-bit float"),
                      message)
    }

    /// An odd head width is blamed on head_dim (given, or derived from hidden_size and
    /// num_attention_heads), not on partial_rotary_factor, which the file does not hold.
    func testAnOddHeadDimNamesHeadDim() throws {
        for value in ["7", "2147483647"] {
            let folder = try model("llama-gqa") { $0.replacingOccurrences(of: "\"head_dim\": 8", with: "\"head_dim\": \(value)") }
            let message = loadError(folder)
            XCTAssertTrue(message.hasSuffix("config.json: 'head_dim' is \(value), an odd number: rotary embeddings turn pairs of dimensions, so it must be even"),
                          message)
        }
        let derived = try model("llama-gqa") {
            $0.replacingOccurrences(of: "\"head_dim\": 8,", with: "").replacingOccurrences(of: "\"hidden_size\": 32", with: "\"hidden_size\": 28")
        }
        let message = loadError(derived)
        XCTAssertTrue(message.hasSuffix("'head_dim' (hidden_size / num_attention_heads = 28 / 4) is 7, an odd number: rotary embeddings turn pairs of dimensions, so it must be even"),
                      message)
    }
}
