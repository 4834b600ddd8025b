import Foundation
import XCTest

/// `glassbox predict` and `explain` on the GPT-J fixtures (`model_type` "gptj") through the built
/// executable, against the committed references (FamilyReferenceChecks): the logits
/// `GPTJForCausalLM` gave (Tests/Fixtures/goldens/<model>, ≤ 1e-4) and LXT's relevances on the same
/// input and target (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|).
final class GPTJCommandTests: XCTestCase {
    /// Both fixtures: partial interleaved rotary with an untied head, and the whole head rotated
    /// with a tied head (name, vocabulary size).
    let models = [("gptj-tiny", 101), ("gptj-whole", 89)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "gptj") }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
