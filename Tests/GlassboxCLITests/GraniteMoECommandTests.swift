import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict`, `explain` and `info` on the GraniteMoE fixtures (`model_type` "granitemoe",
/// "granitemoeshared") through the built executable, against the committed references
/// (FamilyReferenceChecks): the logits GraniteMoeForCausalLM / GraniteMoeSharedForCausalLM gave,
/// divided by logits_scaling as transformers returns them (Tests/Fixtures/goldens/granitemoe-*/full,
/// ≤ 1e-4), and LXT's relevances on the same input and target (Tests/Fixtures/relevance/granitemoe-*/full,
/// ≤ 1e-3 of the largest |score|): generate_lrp.py's granitemoe_map, LXT 2.1's rules on the stacked
/// experts, the routing and the ungated shared MLP.
final class GraniteMoECommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("granitemoe-tiny", 113), ("granitemoe-shared", 109)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: name == "granitemoe-tiny" ? "granitemoe" : "granitemoeshared") }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }

    /// `info` counts num_parameters() (the tied head divided by logits_scaling once: 25,600; 25,176)
    /// and names the routing and the ungated shared expert.
    func testInfoCountsTheCheckpointAndNamesTheRouting() throws {
        for (name, count, shared) in [("granitemoe-tiny", "25.6k", ""), ("granitemoe-shared", "25.2k", " plus an ungated shared expert")] {
            let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/" + name])
            XCTAssertEqual(info.status, 0, info.stderr)
            XCTAssertTrue(info.stdout.contains("parameters   " + count), info.stdout)
            XCTAssertTrue(info.stdout.contains("top-\(name == "granitemoe-tiny" ? 2 : 3) routing (softmax, top-k, renormalised)" + shared), info.stdout)
        }
    }
}
