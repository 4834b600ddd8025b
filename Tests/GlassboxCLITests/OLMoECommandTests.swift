import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the OLMoE fixtures (`model_type` "olmoe": olmoe-tiny with
/// routing not renormalised, olmoe-norm renormalised with attention_bias, linear rope scaling and a
/// tied head, olmoe-clip with clip_qkv 2.5 after the QK-norm) through the built executable, against the committed references
/// (FamilyReferenceChecks): the logits `OlmoeForCausalLM` gave (Tests/Fixtures/goldens/<model>/full,
/// ≤ 1e-4) and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// ≤ 1e-3 of the largest |score|).
final class OLMoECommandTests: XCTestCase {
    let models = [("olmoe-tiny", 101), ("olmoe-norm", 97), ("olmoe-clip", 97)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocabulary) in models {
            try assertPredictMatchesTransformersLogits(name, vocabulary: vocabulary, architecture: "olmoe")
        }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }

    /// `info` names the QK-norm's scope and the routing (not renormalised / renormalised, no shared
    /// expert, no dense layer).
    func testInfoDescribesTheMixture() throws {
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/olmoe-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("sparse mixture of 6 gated-MLP experts, top-2 routing (softmax, top-k, not renormalised)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("QK-norm (") && tiny.stdout.contains("over the whole q and k projections)"), tiny.stdout)
        XCTAssertFalse(tiny.stdout.contains("shared expert") || tiny.stdout.contains("dense MLP in layers"), tiny.stdout)
        let norm = try runGlassbox(["info", "--model", "Tests/Fixtures/models/olmoe-norm"])
        XCTAssertTrue(norm.stdout.contains("sparse mixture of 5 gated-MLP experts, top-3 routing (softmax, top-k, renormalised)"), norm.stdout)
        XCTAssertFalse(norm.stdout.contains("clip_qkv"), norm.stdout)
        let clip = try runGlassbox(["info", "--model", "Tests/Fixtures/models/olmoe-clip"])
        XCTAssertEqual(clip.status, 0, clip.stderr)
        XCTAssertTrue(clip.stdout.contains("q, k, v clamped to ±2.5 (clip_qkv; q, k after the QK-norm)"), clip.stdout)
    }
}
