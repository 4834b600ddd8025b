import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the GPT-Neo fixtures (`model_type` "gpt_neo") through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `GPTNeoForCausalLM` gave (Tests/Fixtures/goldens/gptneo-*/full, ≤ 1e-4) and LXT's relevances on
/// the same input and target (Tests/Fixtures/relevance/gptneo-*/full, ≤ 1e-3 of the largest
/// |score|). The 12- and 11-token inputs cross the local windows (3, 4).
final class GPTNeoCommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("gptneo-tiny", 101), ("gptneo-local", 97)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "gpt_neo") }
    }

    /// `info` names the unscaled scores, the local layers' windows and the parameter count
    /// (GPTNeoForCausalLM.num_parameters(): 26736).
    func testInfoNamesUnscaledScoresAndLocalWindows() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/gptneo-local"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("block        sequential attention then MLP; scores not scaled by 1/√dh"), info.stdout)
        XCTAssertTrue(info.stdout.contains("positions    learned; sliding windows layer 0: 4, layer 1: 4\n"), info.stdout)
        XCTAssertTrue(info.stdout.contains("width        d 24, mlp 96 (gelu)"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   26.7k"), info.stdout)
        let gpt2 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/gpt2-tiny"])
        XCTAssertFalse(gpt2.stdout.contains("not scaled"), gpt2.stdout)
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
