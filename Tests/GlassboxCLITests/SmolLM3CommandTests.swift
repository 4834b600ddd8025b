import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the SmolLM3 fixtures (`model_type` "smollm3") through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `SmolLM3ForCausalLM` gave (Tests/Fixtures/goldens/smollm3-*/full, ≤ 1e-4), and LXT's relevances on
/// the same input and target (Tests/Fixtures/relevance/smollm3-*/full, ≤ 1e-3 of the largest |score|):
/// LXT's Llama rules on SmolLM3's classes, NoPE layers included.
final class SmolLM3CommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("smollm3-tiny", 101), ("smollm3-swa", 103)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "smollm3") }
    }

    /// `info` counts SmolLM3ForCausalLM.num_parameters() (26496, the tied head once) and names the
    /// NoPE and sliding layers.
    func testInfoCountsTheCheckpointAndNamesTheNoPELayers() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/smollm3-tiny"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("architecture smollm3"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   26.5k"), info.stdout)
        XCTAssertTrue(info.stdout.contains("no rotary (NoPE) in layer 1; sliding windows layer 1: 5"), info.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
