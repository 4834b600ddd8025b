import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the Qwen MoE fixtures (`qwen2_moe`: shared expert, routing
/// not renormalised, a dense layer; `qwen3_moe`: QK-norm, renormalised routing, a dense layer)
/// through the built executable, against the committed references (FamilyReferenceChecks): the
/// logits `Qwen2MoeForCausalLM` / `Qwen3MoeForCausalLM` gave (Tests/Fixtures/goldens/<model>/full,
/// ≤ 1e-4) and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// ≤ 1e-3 of the largest |score|).
final class QwenMoECommandTests: XCTestCase {
    let models = [("qwen2moe-tiny", "qwen2_moe", 101), ("qwen3moe-tiny", "qwen3_moe", 103)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, type, vocabulary) in models {
            try assertPredictMatchesTransformersLogits(name, vocabulary: vocabulary, architecture: type)
        }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _, _) in models { try assertExplainMatchesLXT(name) }
    }

    /// `info` names the routing: not renormalised with a shared expert and a dense layer (Qwen2-MoE),
    /// renormalised with a dense layer (Qwen3-MoE); the shared expert's hook points are listed.
    func testInfoDescribesTheMixture() throws {
        let q2 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/qwen2moe-tiny"])
        XCTAssertEqual(q2.status, 0, q2.stderr)
        XCTAssertTrue(q2.stdout.contains("sparse mixture of 5 gated-MLP experts, top-2 routing (softmax, top-k, not renormalised) "
                                         + "plus a sigmoid-gated shared expert; dense MLP in layers 1"), q2.stdout)
        XCTAssertTrue(q2.stdout.contains("blocks.0.mlp.hook_shared_expert_gate"), q2.stdout)
        let q3 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/qwen3moe-tiny"])
        XCTAssertTrue(q3.stdout.contains("sparse mixture of 6 gated-MLP experts, top-3 routing (softmax, top-k, renormalised); dense MLP in layers 0"),
                      q3.stdout)
    }
}
