import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict`, `info` and `explain` on the OLMo fixtures (`model_type` "olmo": parameter-free
/// LayerNorms; olmo-clip clamps q, k, v to ±1.5) through the built executable, against the committed
/// references (FamilyReferenceChecks): the logits `OlmoForCausalLM` gave
/// (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4) and LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|; on olmo-clip the clamp's
/// gradient is autograd's, 0 where clipped).
final class OLMoCommandTests: XCTestCase {
    let models = ["olmo-tiny", "olmo-clip"]

    func testPredictJSONMatchesTransformersLogits() throws {
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "olmo") }
    }

    /// `info` says the LayerNorms have no weight or bias and names olmo-clip's clamp, and counts
    /// num_parameters() (35040, 28448): the held γ = 1 are not parameters.
    func testInfoNamesNormsClampAndCounts() throws {
        let clip = try runGlassbox(["info", "--model", "Tests/Fixtures/models/olmo-clip"])
        XCTAssertEqual(clip.status, 0, clip.stderr)
        XCTAssertTrue(clip.stdout.contains("architecture olmo (pre-LayerNorm, causal)"), clip.stdout)
        XCTAssertTrue(clip.stdout.contains("LayerNorms without weight or bias (no norm tensors)"), clip.stdout)
        XCTAssertTrue(clip.stdout.contains("q, k, v clamped to ±1.5 (clip_qkv)"), clip.stdout)
        XCTAssertTrue(clip.stdout.contains("parameters   28.4k"), clip.stdout)
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/olmo-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertFalse(tiny.stdout.contains("clip_qkv"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("parameters   35.0k"), tiny.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }

    /// Chefer's relprop has no rule for a clamp: `chefer` on olmo-clip is refused naming it; olmo-tiny runs.
    func testCheferRefusesTheClamp() throws {
        let clip = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/olmo-clip", "--ids", "5,17,3,44", "--method", "chefer", "--json"])
        XCTAssertEqual(clip.status, 1, clip.stdout)
        XCTAssertTrue(clip.stderr.contains("not defined here for olmo (clipped q, k, v (clip_qkv))"), clip.stderr)
        let tiny = try runGlassbox(["explain", "--model", "Tests/Fixtures/models/olmo-tiny", "--ids", "5,17,3,44", "--method", "chefer", "--json"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
    }

    /// `project` reads weights outside the forward pass: OV and QK are refused on a clipped model in
    /// one line naming the clamp (W_V·W_O is not the map a clamped head applies); FFN keys still run,
    /// and OV runs on olmo-tiny.
    func testProjectRefusesHeadMatricesUnderTheClamp() throws {
        for what in ["ov", "qk"] {
            let clip = try runGlassbox(["project", "--model", "Tests/Fixtures/models/olmo-clip", "--layer", "0", "--head", "1",
                                        "--what", what, "--json"])
            XCTAssertEqual(clip.status, 1, clip.stdout)
            XCTAssertTrue(clip.stderr.contains("projection is not defined for olmo with clip_qkv 1.5"), clip.stderr)
            XCTAssertEqual(clip.stderr.split(separator: "\n").count, 1, clip.stderr)
        }
        let key = try runGlassbox(["project", "--model", "Tests/Fixtures/models/olmo-clip", "--layer", "0", "--neuron", "1",
                                   "--what", "ffn-key", "--json"])
        XCTAssertEqual(key.status, 0, key.stderr)
        let tiny = try runGlassbox(["project", "--model", "Tests/Fixtures/models/olmo-tiny", "--layer", "0", "--head", "1",
                                    "--what", "ov", "--json"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
    }
}
