import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the StableLM fixtures (`model_type` "stablelm": the sequential
/// block and the parallel one with per-head QK LayerNorms) through the built executable, against the
/// committed references (FamilyReferenceChecks): the logits `StableLmForCausalLM` gave
/// (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4) and LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|).
final class StableLMCommandTests: XCTestCase {
    let models = ["stablelm-tiny", "stablelm-par"]

    func testPredictJSONMatchesTransformersLogits() throws {
        // No vocabulary size given: the logits are counted against the reference row's width.
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "stablelm") }
    }

    /// `info` names the parallel block on one norm and the per-head QK LayerNorms of stablelm-par,
    /// the sequential block of stablelm-tiny, and counts num_parameters() (17984, 34144).
    func testInfoNamesTheBlockShapes() throws {
        let par = try runGlassbox(["info", "--model", "Tests/Fixtures/models/stablelm-par"])
        XCTAssertEqual(par.status, 0, par.stderr)
        XCTAssertTrue(par.stdout.contains("architecture stablelm (pre-LayerNorm, causal)"), par.stdout)
        XCTAssertTrue(par.stdout.contains("parallel attention and MLP on one norm"), par.stdout)
        XCTAssertTrue(par.stdout.contains("QK-norm (LayerNorm per query and key head)"), par.stdout)
        XCTAssertTrue(par.stdout.contains("parameters   18.0k"), par.stdout)
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/stablelm-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("sequential attention then MLP"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("parameters   34.1k"), tiny.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
