import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the GLM fixtures (`model_type` "glm": GQA, interleaved rotary
/// on half of each head, q/k/v biases, untied; "glm4": sandwich norms, head_dim ≠ d/H, rotary on 12 of
/// 16 dims, multi-query, linear rope scaling, tied) through the built executable, against the committed
/// references (FamilyReferenceChecks): the logits `GlmForCausalLM` / `Glm4ForCausalLM` gave
/// (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4) and LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|).
final class GlmCommandTests: XCTestCase {
    let models = [("glm-tiny", "glm"), ("glm4-tiny", "glm4")]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, type) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: type) }
    }

    /// `info` names the block, the partial interleaved rotation and counts num_parameters() (22112, 30400).
    func testInfoNamesTheBlockShapes() throws {
        let glm = try runGlassbox(["info", "--model", "Tests/Fixtures/models/glm-tiny"])
        XCTAssertEqual(glm.status, 0, glm.stderr)
        XCTAssertTrue(glm.stdout.contains("architecture glm (pre-RMSNorm, causal)"), glm.stdout)
        XCTAssertTrue(glm.stdout.contains("heads        4 query / 2 kv × 8"), glm.stdout)
        XCTAssertTrue(glm.stdout.contains("rotary (4 dims, interleaved pairs, θ 10000.0)"), glm.stdout)
        XCTAssertTrue(glm.stdout.contains("parameters   22.1k"), glm.stdout)
        let glm4 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/glm4-tiny"])
        XCTAssertEqual(glm4.status, 0, glm4.stderr)
        XCTAssertTrue(glm4.stdout.contains("architecture glm4 (sandwich-RMSNorm, causal)"), glm4.stdout)
        XCTAssertTrue(glm4.stdout.contains("norms before and after attention and MLP"), glm4.stdout)
        XCTAssertTrue(glm4.stdout.contains("heads        4 query / 1 kv × 16"), glm4.stdout)
        XCTAssertTrue(glm4.stdout.contains("rotary (12 dims, interleaved pairs, θ 500.0, linear scaling ×2.0)"), glm4.stdout)
        XCTAssertTrue(glm4.stdout.contains("parameters   30.4k"), glm4.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
