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
}
