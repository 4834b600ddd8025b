import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `explain --compare` pools as the checkpoint's sentence-transformers files say (`modules.json`,
/// `1_Pooling/config.json`): the cosine equals scripts/fixtures/generate_pooling.py's (1e-5), and a
/// module after pooling other than Normalize is refused with one line naming `modules.json`.
final class ComparePoolingTests: XCTestCase {
    /// generate_pooling.py's inputs: the goldens `full` (explained) and `short` (compared).
    let input = "2,56,71,88,12,41,5,33,16,20,67,3", other = "2,81,23,37,3"
    static let transformer = #"{"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"}"#
    static let pooling = #"{"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"}"#

    /// bert-odd's files linked into a temporary folder, plus `files` (relative path → text).
    func checkpoint(_ files: [String: String]) throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-st-\(UUID().uuidString)")
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let source = Fixtures.model("bert-odd")
        for name in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.createSymbolicLink(at: folder.appendingPathComponent(name), withDestinationURL: source.appendingPathComponent(name))
        }
        for (path, text) in files {
            let url = folder.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try Data(text.utf8).write(to: url)
        }
        return folder
    }

    func explain(_ folder: URL, method: String) throws -> CommandOutput {
        try runGlassbox(["explain", "--model", folder.path, "--ids", input, "--compare-ids", other, "--method", method, "--json",
                         "--out", folder.appendingPathComponent("p.png").path])
    }

    func testCLSPoolingFromTheCheckpointFiles() throws {
        let normalize = #"{"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"}"#
        let folder = try checkpoint(["modules.json": "[\(Self.transformer), \(Self.pooling), \(normalize)]",
                                     "1_Pooling/config.json": #"{"word_embedding_dimension": 30, "pooling_mode_cls_token": true, "pooling_mode_mean_tokens": false}"#])
        for method in ["grad-input", "attnlrp", "chefer"] {
            let json = try jsonObject(try explain(folder, method: method))
            let parameters = try XCTUnwrap(json["parameters"] as? [String: String])
            XCTAssertEqual(parameters["pooling"], "cls", method)
            if method != "chefer" {
                XCTAssertEqual(Double(try XCTUnwrap(parameters["value"])) ?? .nan, 0.939632, accuracy: 1e-5, "\(method): generate_pooling.py's cls cosine")
            }
        }
        // Without modules.json: mean pooling, as before.
        let plain = try jsonObject(try explain(try checkpoint([:]), method: "grad-input"))
        let parameters = try XCTUnwrap(plain["parameters"] as? [String: String])
        XCTAssertEqual(parameters["pooling"], "mean")
        XCTAssertEqual(Double(try XCTUnwrap(parameters["value"])) ?? .nan, 0.961036, accuracy: 1e-5)
    }

    func testDenseAfterPoolingIsRefused() throws {
        let dense = #"{"idx": 2, "name": "2", "path": "2_Dense", "type": "sentence_transformers.models.Dense"}"#
        let folder = try checkpoint(["modules.json": "[\(Self.transformer), \(Self.pooling), \(dense)]",
                                     "1_Pooling/config.json": #"{"pooling_mode_mean_tokens": true}"#])
        let output = try explain(folder, method: "attnlrp")
        XCTAssertEqual(output.status, 1, output.stderr)
        let lines = output.stderr.split(separator: "\n")
        XCTAssertEqual(lines.count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains(folder.appendingPathComponent("modules.json").path + ": module 2 (sentence_transformers.models.Dense"),
                      output.stderr)
    }

    /// `evaluate --compare` reads the similarity with the same pooling: its unperturbed reading is
    /// the library's CLS cosine (checked against generate_pooling.py above), not the mean one.
    func testEvaluatePoolsTheSameWay() throws {
        let folder = try checkpoint(["modules.json": "[\(Self.transformer), \(Self.pooling)]",
                                     "1_Pooling/config.json": #"{"pooling_mode": "cls"}"#])
        try Data("the cat sat on the mat\n".utf8).write(to: folder.appendingPathComponent("prompts.txt"))
        let output = try runGlassbox(["evaluate", "--model", folder.path, "--prompts", folder.appendingPathComponent("prompts.txt").path,
                                      "--compare", "the dog", "--methods", "grad-input", "--steps", "2", "--json",
                                      "--out", folder.appendingPathComponent("e.png").path])
        let json = try jsonObject(output)
        let methods = try XCTUnwrap(json["methods"] as? [[String: Any]])
        let first = try XCTUnwrap((methods.first?["morf"] as? [Double])?.first)
        let tokenizer = try Tokenizer.load(directory: Fixtures.model("bert-odd"))
        let model = try TransformerModel.load(directory: Fixtures.model("bert-odd"))
        let prompt = try tokenizer.encode("the cat sat on the mat"), other = try tokenizer.encode("the dog")
        func cosine(_ pooling: EmbeddingPooling) throws -> Double {
            Double(try Relevance.explain(model, .tokens(prompt.ids, types: prompt.typeIDs),
                                         target: .similarity(to: .tokens(other.ids, types: other.typeIDs), pooling: pooling)).target.value)
        }
        XCTAssertEqual(first, try cosine(try XCTUnwrap(EmbeddingPooling(modes: [.cls]))), accuracy: 1e-5)
        XCTAssertGreaterThan(abs(first - (try cosine(.mean))), 1e-3, "CLS and mean pooling should differ here")
    }
}
