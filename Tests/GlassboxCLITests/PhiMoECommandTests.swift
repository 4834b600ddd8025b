import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the PhiMoE fixtures (`model_type` "phimoe": phimoe-tiny with
/// every bias, LongRoPE with short/long mscale and a sliding window; phimoe-plain without biases or
/// rope scaling, tied) through the built executable, against the committed references
/// (FamilyReferenceChecks): the logits `PhimoeForCausalLM` gave (Tests/Fixtures/goldens/<model>/full,
/// ≤ 1e-4) and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// ≤ 1e-3 of the largest |score|; generate_lrp.py's phimoe_sparse_map).
final class PhiMoECommandTests: XCTestCase {
    let models = [("phimoe-tiny", 98), ("phimoe-plain", 97)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocabulary) in models {
            try assertPredictMatchesTransformersLogits(name, vocabulary: vocabulary, architecture: "phimoe")
        }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }

    /// `info` names the sparsemixer routing and the mscales.
    func testInfoDescribesTheMixture() throws {
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/phimoe-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("sparse mixture of 4 gated-MLP experts, top-2 routing (sparsemixer, jitter 0.3)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("cos/sin × 1.1, × 1.25 past 8"), tiny.stdout)
    }
}
