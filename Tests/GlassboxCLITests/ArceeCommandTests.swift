import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on arcee-tiny (`model_type` "arcee": GQA 4:2, head_dim 12 ≠ d/H, an
/// MLP without a gate with relu2, YaRN rope scaling, q/k/v/o and up/down biases, untied) through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `ArceeForCausalLM` gave (Tests/Fixtures/goldens/arcee-tiny/full, ≤ 1e-4) and LXT's relevances on the
/// same input and target (Tests/Fixtures/relevance/arcee-tiny/full, ≤ 1e-3 of the largest |score|).
final class ArceeCommandTests: XCTestCase {
    func testPredictJSONMatchesTransformersLogits() throws {
        try assertPredictMatchesTransformersLogits("arcee-tiny", vocabulary: nil, architecture: "arcee")
    }

    /// `info` names the block, relu2, the YaRN rotary on the whole head and counts num_parameters() (22528).
    func testInfoNamesTheBlockShapes() throws {
        let r = try runGlassbox(["info", "--model", "Tests/Fixtures/models/arcee-tiny"])
        XCTAssertEqual(r.status, 0, r.stderr)
        XCTAssertTrue(r.stdout.contains("architecture arcee (pre-RMSNorm, causal)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("d 32, mlp 48 (relu2)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("heads        4 query / 2 kv × 12"), r.stdout)
        XCTAssertTrue(r.stdout.contains("rotary (12 dims, θ 10000.0, YaRN ×4.0 from 16, attention factor 1.1386294)"), r.stdout)
        XCTAssertTrue(r.stdout.contains("parameters   22.5k"), r.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        try assertExplainMatchesLXT("arcee-tiny")
    }
}
