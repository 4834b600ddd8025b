import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the GPT-BigCode fixtures (`model_type` "gpt_bigcode") through
/// the built executable, against the committed references (FamilyReferenceChecks): the logits
/// `GPTBigCodeForCausalLM` gave (Tests/Fixtures/goldens/bigcode-*/full, ≤ 1e-4) and LXT's relevances
/// on the same input and target (Tests/Fixtures/relevance/bigcode-*/full, ≤ 1e-3 of the largest
/// |score|): multi-query attention (one key/value head) and per-head keys and values without 1/√dh.
final class GPTBigCodeCommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("bigcode-mq", 101), ("bigcode-mha", 97)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "gpt_bigcode") }
    }

    /// `info` names the one key/value head and counts the checkpoint's parameters
    /// (GPTBigCodeForCausalLM.num_parameters(): 16160).
    func testInfoNamesMultiQueryHeadsAndCountsTheCheckpoint() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/bigcode-mq"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("architecture gpt_bigcode (pre-LayerNorm, causal)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("heads        4 query / 1 kv × 8"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   16.2k"), info.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
