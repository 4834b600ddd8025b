import Foundation
import XCTest

/// `glassbox predict` and `explain` on the Cohere2 fixtures (`model_type` "cohere2": cohere2-tiny tied
/// with logit_scale 0.0625 and sliding layers 0-2, cohere2-types with full layers 0 and 2, biases and logit_scale 0.25) through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `Cohere2ForCausalLM` gave, logit_scale included (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4),
/// and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// ≤ 1e-3 of the largest |score|).
final class Cohere2CommandTests: XCTestCase {
    let models = ["cohere2-tiny", "cohere2-types"]

    func testPredictJSONMatchesTransformersLogits() throws {
        // No vocabulary size given: the logits are counted against the reference row's width.
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "cohere2") }
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
