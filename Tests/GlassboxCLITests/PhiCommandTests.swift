import Foundation
import XCTest

/// `glassbox predict` and `explain` on the Phi fixture (`model_type` "phi") through the built
/// executable, against the committed references (FamilyReferenceChecks): the logits
/// `PhiForCausalLM` gave (Tests/Fixtures/goldens/phi-tiny, ≤ 1e-4) and LXT's relevances on the same
/// input and target (Tests/Fixtures/relevance/phi-tiny/full, ≤ 1e-3 of the largest |score|).
final class PhiCommandTests: XCTestCase {
    func testPredictJSONMatchesTransformersLogits() throws {
        try assertPredictMatchesTransformersLogits("phi-tiny", vocabulary: 103, architecture: "phi")
    }

    func testExplainJSONMatchesLXT() throws {
        try assertExplainMatchesLXT("phi-tiny")
    }
}
