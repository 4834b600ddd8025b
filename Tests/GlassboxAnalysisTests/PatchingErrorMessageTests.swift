import GlassboxAnalysis
import XCTest

/// The one-line messages of `PatchingError` fit the metric: kl reads no answer tokens, so its
/// undefined-effect message must not ask for other ones.
final class PatchingErrorMessageTests: XCTestCase {
    func testUndefinedKLEffectAsksForAnotherCorruptionNotOtherAnswers() throws {
        let kl = try XCTUnwrap(PatchingError.noMetricDifference(metric: "kl", value: 0).errorDescription)
        XCTAssertFalse(kl.contains("answer"), kl)
        XCTAssertTrue(kl.contains("the corruption leaves the output distribution unchanged"), kl)
        XCTAssertTrue(kl.contains("change the corrupted input"), kl)
        let logitDiff = try XCTUnwrap(PatchingError.noMetricDifference(metric: "logit-diff", value: 1.5).errorDescription)
        XCTAssertTrue(logitDiff.contains("pick answer tokens the corruption changes"), logitDiff)
    }
}
