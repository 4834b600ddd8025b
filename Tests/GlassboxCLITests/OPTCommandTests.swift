import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the OPT fixtures (`model_type` "opt") through the built
/// executable, against the committed references (FamilyReferenceChecks): the logits
/// `OPTForCausalLM` gave (Tests/Fixtures/goldens/opt-*/full, ≤ 1e-4) and LXT's relevances on the
/// same input and target (Tests/Fixtures/relevance/opt-*/full, ≤ 1e-3 of the largest |score|):
/// pre-LN, post-LN with project_in / project_out, and a wider untied token table.
final class OPTCommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("opt-tiny", 101), ("opt-post", 97), ("opt-proj", 99)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "opt") }
    }

    /// `info` names the post-LayerNorm block and counts the checkpoint's parameters
    /// (OPTForCausalLM.num_parameters(): 11904, with project_in / project_out folded).
    func testInfoNamesPostLayerNormAndCountsTheCheckpoint() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/opt-post"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("architecture opt (post-LayerNorm, causal)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   11.9k"), info.stdout)
        XCTAssertFalse(info.stdout.contains("ln_final"), info.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
