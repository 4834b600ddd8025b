import Foundation
import XCTest

/// `glassbox predict` and `explain` on the Cohere fixtures (`model_type` "cohere": cohere-tiny tied
/// with logit_scale 0.0625, cohere-qknorm with the per-head QK-norm and logit_scale 0.3) through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `CohereForCausalLM` gave, logit_scale included (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4),
/// and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// ≤ 1e-3 of the largest |score|).
final class CohereCommandTests: XCTestCase {
    let models = ["cohere-tiny", "cohere-qknorm"]

    func testPredictJSONMatchesTransformersLogits() throws {
        // No vocabulary size given: the logits are counted against the reference row's width.
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "cohere") }
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
