import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the StarCoder2 fixtures (`model_type` "starcoder2": biases and
/// a sliding window shorter than the input; no biases, multi-query, linear rope scaling) through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `Starcoder2ForCausalLM` gave (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4) and LXT's relevances
/// on the same input and target (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|).
final class Starcoder2CommandTests: XCTestCase {
    let models = ["starcoder2-tiny", "starcoder2-nobias"]

    func testPredictJSONMatchesTransformersLogits() throws {
        // No vocabulary size given: the logits are counted against the reference row's width.
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "starcoder2") }
    }

    /// `info` names the sequential pre-LayerNorm block, the window of starcoder2-tiny, the scaling of
    /// starcoder2-nobias, and counts num_parameters() (16192, 26496).
    func testInfoNamesTheBlockShapes() throws {
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/starcoder2-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("architecture starcoder2 (pre-LayerNorm, causal)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("sequential attention then MLP"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("heads        4 query / 2 kv × 8"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("sliding window 4 in every layer"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("parameters   16.2k"), tiny.stdout)
        let nobias = try runGlassbox(["info", "--model", "Tests/Fixtures/models/starcoder2-nobias"])
        XCTAssertEqual(nobias.status, 0, nobias.stderr)
        XCTAssertTrue(nobias.stdout.contains("heads        3 query / 1 kv × 12"), nobias.stdout)
        XCTAssertTrue(nobias.stdout.contains("linear scaling ×2.0"), nobias.stdout)
        XCTAssertFalse(nobias.stdout.contains("sliding window"), nobias.stdout)
        XCTAssertTrue(nobias.stdout.contains("parameters   26.5k"), nobias.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
