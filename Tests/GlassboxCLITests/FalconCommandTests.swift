import Foundation
import XCTest

/// `glassbox predict` and `explain` on the Falcon fixtures (`model_type` "falcon": one per fused
/// layout and block shape) through the built executable, against the committed references
/// (FamilyReferenceChecks): the logits `FalconForCausalLM` gave (Tests/Fixtures/goldens/<model>/full,
/// ≤ 1e-4) and LXT's relevances on the same input and target (Tests/Fixtures/relevance/<model>/full,
/// ≤ 1e-3 of the largest |score|).
final class FalconCommandTests: XCTestCase {
    let models = ["falcon-mq", "falcon-newarch", "falcon-seq"]

    func testPredictJSONMatchesTransformersLogits() throws {
        // No vocabulary size given: the logits are counted against the reference row's width.
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "falcon") }
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
