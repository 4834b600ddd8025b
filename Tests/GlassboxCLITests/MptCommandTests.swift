import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on mpt-tiny (`model_type` "mpt": 4 heads, ALiBi, tied) and
/// mpt-bias (6 heads, clip_qkv, softmax_scale, max_seq_len 14, untied) through the built executable,
/// against the committed references (FamilyReferenceChecks): the logits `MptForCausalLM` gave
/// (Tests/Fixtures/goldens/<name>/full, ≤ 1e-4) and LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/<name>/full, ≤ 1e-3 of the largest |score|).
final class MptCommandTests: XCTestCase {
    private let models = ["mpt-tiny", "mpt-bias"]

    func testPredictJSONMatchesTransformersLogits() throws {
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "mpt") }
    }

    /// `info` names ALiBi, the clamp, the context max_seq_len gives, and num_parameters() (27968, 53892).
    func testInfoNamesTheBlockShapes() throws {
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/mpt-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("architecture mpt (pre-LayerNorm, causal)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("positions    ALiBi"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("context      16 positions"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("parameters   28.0k"), tiny.stdout)
        let bias = try runGlassbox(["info", "--model", "Tests/Fixtures/models/mpt-bias"])
        XCTAssertEqual(bias.status, 0, bias.stderr)
        XCTAssertTrue(bias.stdout.contains("q, k, v clamped to ±1.5 (clip_qkv)"), bias.stdout)
        XCTAssertTrue(bias.stdout.contains("heads        6 × 6"), bias.stdout)
        XCTAssertTrue(bias.stdout.contains("parameters   53.9k"), bias.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
