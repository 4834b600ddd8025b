import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on helium-tiny (`model_type` "helium": GQA 4:2, interleaved rotary
/// pairs on the whole head, untied) and helium-bias (q/k/v and MLP biases, multi-query, linear rope
/// scaling, tied) through the built executable, against the committed references
/// (FamilyReferenceChecks): the logits `HeliumForCausalLM` gave (Tests/Fixtures/goldens/<name>/full,
/// ≤ 1e-4) and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<name>/full,
/// ≤ 1e-3 of the largest |score|).
final class HeliumCommandTests: XCTestCase {
    private let models = ["helium-tiny", "helium-bias"]

    func testPredictJSONMatchesTransformersLogits() throws {
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "helium") }
    }

    /// `info` names the block, the interleaved rotation on the whole head and counts num_parameters()
    /// (21984, 24592).
    func testInfoNamesTheBlockShapes() throws {
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/helium-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("architecture helium (pre-RMSNorm, causal)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("heads        4 query / 2 kv × 8"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("rotary (8 dims, interleaved pairs, θ 100000.0)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("parameters   22.0k"), tiny.stdout)
        let bias = try runGlassbox(["info", "--model", "Tests/Fixtures/models/helium-bias"])
        XCTAssertEqual(bias.status, 0, bias.stderr)
        XCTAssertTrue(bias.stdout.contains("heads        2 query / 1 kv × 16"), bias.stdout)
        XCTAssertTrue(bias.stdout.contains("rotary (16 dims, interleaved pairs, θ 500.0, linear scaling ×2.0)"), bias.stdout)
        XCTAssertTrue(bias.stdout.contains("parameters   24.6k"), bias.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
