import Foundation
import GlassboxFiles
import GlassboxTestSupport
import XCTest
@testable import GlassboxModelIO

/// A key repeated in the JSON files of a model folder that Python reads with `json.load` keeps
/// its last value, as in Python (`json.loads('{"a": 1, "a": 2}') == {"a": 2}`); Foundation alone
/// keeps the first. config.json has its own test (`DuplicateConfigKeyTests`), generation_config.json
/// goes through `glassbox generate` (`GenerateCommandTests`).
final class DuplicateKeyFilesTests: XCTestCase {
    private func folder() throws -> URL {
        let url = try makeTemporaryFolder("dupkeys")
        return url
    }

    /// `"size": 8, …, "size": 4`: Python's json (and so ViTImageProcessor) reads size 4, a 4 × 4 resize;
    /// `"rescale_factor"` likewise ends as 0.5.
    func testPreprocessorConfigKeepsTheLastValue() throws {
        let dir = try folder()
        let text = #"{"size": 8, "rescale_factor": 0.25, "do_normalize": false, "size": 4, "rescale_factor": 0.5}"#
        try Data(text.utf8).write(to: dir.appendingPathComponent("preprocessor_config.json"))
        let processor = try ImagePreprocessor.load(directory: dir)
        XCTAssertEqual(processor.resize?.height, 4)
        XCTAssertEqual(processor.resize?.width, 4)
        XCTAssertEqual(processor.rescaleFactor, 0.5)
    }

    /// A sharded index whose `weight_map` is given twice, a wrong one first: Python's json (and so
    /// transformers' sharded loading) reads the second, the fixture's real map, so the checkpoint
    /// opens with every tensor of gpt2-sharded.
    func testShardIndexKeepsTheLastValue() throws {
        let source = Fixtures.model("gpt2-sharded"), dir = try folder()
        for file in try FileManager.default.contentsOfDirectory(atPath: source.path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: dir.appendingPathComponent(file))
        }
        let index = dir.appendingPathComponent(Checkpoint.indexFileName)
        let text = try String(contentsOf: index, encoding: .utf8)
        XCTAssertTrue(text.contains("\"weight_map\": {"), "the fixture's index changed")
        let edited = text.replacingOccurrences(of: "\"weight_map\": {",
                                               with: "\"weight_map\": {\"wte.weight\": \"absent.safetensors\"}, \"weight_map\": {")
        try Data(edited.utf8).write(to: index)
        let checkpoint = try Checkpoint(directory: dir)
        XCTAssertEqual(checkpoint.tensorNames.sorted(), try Checkpoint(directory: source).tensorNames.sorted())
        XCTAssertFalse(checkpoint.tensorNames.contains("wte.weight"))
    }
}
