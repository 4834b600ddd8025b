import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `glassbox predict` and `explain` on the Granite fixtures (`model_type` "granite") through the
/// built executable, against the committed references (FamilyReferenceChecks): the logits
/// `GraniteForCausalLM` gave, divided by logits_scaling as transformers returns them
/// (Tests/Fixtures/goldens/granite-*/full, ≤ 1e-4), and LXT's relevances on the same input and
/// target (Tests/Fixtures/relevance/granite-*/full, ≤ 1e-3 of the largest |score|): LXT's Llama rules
/// on Granite's classes, with the multipliers as transformers applies them.
final class GraniteCommandTests: XCTestCase {
    /// Fixture name and vocabulary size.
    let models = [("granite-tiny", 113), ("granite-bias", 109)]

    func testPredictJSONMatchesTransformersLogits() throws {
        for (name, vocab) in models { try assertPredictMatchesTransformersLogits(name, vocabulary: vocab, architecture: "granite") }
    }

    /// `info` counts GraniteForCausalLM.num_parameters(): the tied head divided by logits_scaling is
    /// a copy Glassbox holds, counted once (19136).
    func testInfoCountsTheCheckpoint() throws {
        let info = try runGlassbox(["info", "--model", "Tests/Fixtures/models/granite-tiny"])
        XCTAssertEqual(info.status, 0, info.stderr)
        XCTAssertTrue(info.stdout.contains("architecture granite"), info.stdout)
        XCTAssertTrue(info.stdout.contains("parameters   19.1k"), info.stdout)
    }

    /// A BF16 save of granite-tiny: `info` says which matrices are held in F32 (red-team 24: it said
    /// "BF16 on disk and in memory"): o_proj and down_proj times residual_multiplier (2 · 32·32 and
    /// 2 · 32·48) and the tied head divided by logits_scaling (113·32), 8,736 floats = 34,944 bytes.
    /// gpt2-tiny saved so folds nothing and keeps the plain line.
    func testInfoSaysWhichMatricesAreHeldInFloat32() throws {
        for (name, expected) in [("granite-tiny", "BF16 on disk; in memory too, except 34944 bytes of matrices held in F32 (a constant folded into them at load)"),
                                 ("gpt2-tiny", "BF16 on disk and in memory (products accumulate in F32)")] {
            let folder = try makeTemporaryFolder("info-bf16")
            let source = Fixtures.model(name)
            for file in try FileManager.default.contentsOfDirectory(atPath: source.path) where file != "model.safetensors" {
                try FileManager.default.copyItem(at: source.appendingPathComponent(file), to: folder.appendingPathComponent(file))
            }
            let weights = try SafetensorsFile(url: source.appendingPathComponent("model.safetensors"))
            try SafetensorsFile.write(try weights.tensorNames.sorted().map { ($0, try weights.tensor($0)) }, dtype: .bf16,
                                      to: folder.appendingPathComponent("model.safetensors"))
            let info = try runGlassbox(["info", "--model", folder.path])
            XCTAssertEqual(info.status, 0, info.stderr)
            XCTAssertTrue(info.stdout.contains("dtype        " + expected), "\(name): \(info.stdout)")
        }
    }

    func testExplainJSONMatchesLXT() throws {
        for (name, _) in models { try assertExplainMatchesLXT(name) }
    }
}
