import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the Granite fixtures (`model_type` "granite") through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `GraniteForCausalLM` gave, divided by logits_scaling as transformers returns them
/// (Tests/Fixtures/goldens/granite-*/full, ≤ 1e-4), and LXT's relevances on the same input and
/// target (Tests/Fixtures/relevance/granite-*/full, ≤ 1e-3 of the largest |score|): LXT's Llama rules
/// on Granite's classes, with the multipliers as transformers applies them.
final class GraniteCommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("granite-tiny", 113), ("granite-bias", 109)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "granite") }
    }

    /// `info` counts GraniteForCausalLM.num_parameters(): the tied head divided by logits_scaling is
    /// a copy Glassbox holds, counted once (19136).
    func testInfoCountsTheCheckpoint() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/granite-tiny"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("architecture granite"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   19.1k"), info.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
