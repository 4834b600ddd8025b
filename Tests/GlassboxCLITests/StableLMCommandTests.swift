import Foundation
import XCTest

/// `glassbox predict` and `explain` on the StableLM fixtures (`model_type` "stablelm": the sequential
/// block and the parallel one with per-head QK LayerNorms) through the built executable, against the
/// committed references (FamilyReferenceChecks): the logits `StableLmForCausalLM` gave
/// (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4) and LXT's relevances on the same input and target
/// (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|).
final class StableLMCommandTests: XCTestCase {
    let models = ["stablelm-tiny", "stablelm-par"]

    func testPredictJSONMatchesTransformersLogits() throws {
        // No vocabulary size given: the logits are counted against the reference row's width.
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "stablelm") }
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name) }
    }
}
