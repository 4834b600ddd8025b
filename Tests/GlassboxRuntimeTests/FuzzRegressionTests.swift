import Foundation
@testable import GlassboxModelIO
@testable import GlassboxRuntime
import GlassboxTestSupport
import XCTest

/// Inputs that once crashed a fuzzing harness (Tests/Fuzz/corpus/*/crash-*, scripts/fuzz.sh) are
/// now clean errors.
final class FuzzRegressionTests: XCTestCase {
    private func corpusFile(_ target: String, _ name: String) throws -> Data {
        let url = Fixtures.root.appendingPathComponent("Tests/Fuzz/corpus/\(target)/\(name)")
        return try Data(contentsOf: url)
    }

    /// `Int(Float)` trapped on an `original_max_position_embeddings` beyond Int's range.
    func testAHugeLlama3OriginalContextIsAConfigError() throws {
        let data = try corpusFile("config", "crash-llama3-huge-original-max-positions.json")
        XCTAssertThrowsError(try ConfigDecoding.decode(LlamaConfig.self, from: data, file: URL(fileURLWithPath: "config.json"))) { error in
            let message = (error as? LocalizedError)?.errorDescription ?? "\(error)"
            XCTAssertTrue(message.contains("original_max_position_embeddings"), message)
        }
        for value in ["1e40", "-3", "0", "2.5"] {
            let json = #"{"rope_scaling": {"rope_type": "llama3", "factor": 8, "low_freq_factor": 1, "high_freq_factor": 4, "#
                + #""original_max_position_embeddings": \#(value)}}"#
            XCTAssertThrowsError(try ConfigDecoding.decode(LlamaConfig.self, from: Data(json.utf8), file: URL(fileURLWithPath: "config.json")), value)
        }
    }

    /// A `size` of 10⁸ (or one overflowing height × width) was allocated as asked.
    func testAHugePreprocessorSizeIsAnError() throws {
        for name in ["crash-huge-size.json", "crash-overflowing-size.json"] {
            let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: try corpusFile("preprocessor", name)) as? [String: Any])
            XCTAssertThrowsError(try ImagePreprocessor(json: object, file: name)) { error in
                XCTAssertTrue((error as? ImageError)?.errorDescription?.contains("from 1 to \(ImagePreprocessor.maxSide)") ?? false, "\(error)")
            }
        }
    }
}
