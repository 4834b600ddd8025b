import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the Nemotron fixtures (`model_type` "nemotron":
/// NemotronLayerNorm1P, ungated relu2 MLP, GQA with half of each head rotated, no biases, untied;
/// nemotron-bias: q/k/v/o and MLP biases, head_dim ≠ d/H, 12 of 16 dims rotated, multi-query, tied, an
/// ignored rope_scaling) through the built executable, against the committed references
/// (FamilyReferenceChecks): the logits `NemotronForCausalLM` gave (Tests/Fixtures/goldens/<model>/full,
/// ≤ 1e-4) and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// ≤ 1e-3 of the largest |score|; generate_lrp.py's nemotron rules).
final class NemotronCommandTests: XCTestCase {
    let models = [("nemotron-tiny", "nemotron"), ("nemotron-bias", "nemotron")]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, type) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: type) }
    }

    /// `info` names the block, the partial rotation without scaling and counts num_parameters() (19072, 27192).
    func testInfoNamesTheBlockShapes() throws {
        let tiny = try runGlassbox(["info", "--model", "Tests/Fixtures/models/nemotron-tiny"])
        XCTAssertEqual(tiny.status, 0, tiny.stderr)
        XCTAssertTrue(tiny.stdout.contains("architecture nemotron (pre-LayerNorm, causal)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("width        d 32, mlp 48 (relu2)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("heads        4 query / 2 kv × 8"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("rotary (4 dims, θ 10000.0)"), tiny.stdout)
        XCTAssertTrue(tiny.stdout.contains("parameters   19.1k"), tiny.stdout)
        let bias = try runGlassbox(["info", "--model", "Tests/Fixtures/models/nemotron-bias"])
        XCTAssertEqual(bias.status, 0, bias.stderr)
        XCTAssertTrue(bias.stdout.contains("heads        4 query / 1 kv × 16"), bias.stdout)
        XCTAssertTrue(bias.stdout.contains("rotary (12 dims, θ 500.0)\n"), bias.stdout)   // rope_scaling not read
        XCTAssertTrue(bias.stdout.contains("parameters   27.2k"), bias.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
