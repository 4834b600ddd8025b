import Foundation
import XCTest

/// `glassbox predict` and `explain` on the CodeGen fixtures (`model_type` "codegen") through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `CodeGenForCausalLM` gave (Tests/Fixtures/goldens/<model>, ≤ 1e-4) and LXT's relevances on the
/// same input and target (Tests/Fixtures/relevance/<model>/full, ≤ 1e-3 of the largest |score|).
final class CodeGenCommandTests: XCTestCase {
    /// One head per qkv shard with partial rotary and an untied head; two heads per shard with the
    /// whole head rotated and a tied head (name, vocabulary size).
    let models = [("codegen-tiny", 101), ("codegen-wide", 89)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "codegen") }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
