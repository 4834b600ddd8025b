import Foundation
import XCTest

/// `glassbox predict` and `explain` on the BLOOM fixtures (`model_type` "bloom": 4 heads, and 6
/// heads with the extra ALiBi slopes) through the built executable, against the committed
/// references (FamilyReferenceChecks): the logits `BloomForCausalLM` gave
/// (Tests/Fixtures/goldens/<model>/full, ≤ 1e-4) and LXT's AttnLRP and CP-LRP relevances on the same
/// input and target (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|).
/// grad-input's token scores are zero but for rounding behind BLOOM's embedding LayerNorm (fed by
/// the token rows alone), so a relative comparison would measure noise; RelevanceParityTests checks
/// them as rounding.
final class BloomCommandTests: XCTestCase {
    let models = ["bloom-tiny", "bloom-odd"]

    func testPredictJSONMatchesTransformersLogits() throws {
        // No vocabulary size given: the logits are counted against the reference row's width.
        for name in models { try assertPredictMatchesTransformersLogits(name, vocabulary: nil, architecture: "bloom") }
    }

    func testExplainJSONMatchesLXT() throws {
        for name in models { try assertExplainMatchesLXT(name, methods: [("attnlrp", "attnlrp"), ("cp-lrp", "cplrp")]) }
    }
}
