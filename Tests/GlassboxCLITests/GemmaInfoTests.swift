import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox info` on the Gemma 2 and OLMo 2 fixtures: the block line names the norms after the
/// branches, the QK-norm scope and the soft-caps, and the hook list has the `ln1_post` / `ln2_post`
/// points (GoldenTests checks the points themselves).
final class GemmaInfoTests: XCTestCase {
    func testInfoDescribesSandwichAndBranchOutputBlocks() throws {
        let gemma2 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/gemma2-softcap", "--json"])
        XCTAssertEqual(gemma2.status, 0, gemma2.stderr)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(gemma2.stdout.utf8)) as? [String: Any])
        let model = try XCTUnwrap(object["model"] as? [String: Any])
        let block = try XCTUnwrap(model["block"] as? String)
        XCTAssertTrue(block.contains("norms before and after attention and MLP"), block)
        XCTAssertTrue(block.contains("scores soft-capped at 3.0") && block.contains("logits soft-capped at 20.0"), block)
        let hooks = try XCTUnwrap(object["hooks"] as? [String])
        XCTAssertTrue(hooks.contains("blocks.2.ln1_post.hook_normalized") && hooks.contains("blocks.0.ln2_post.hook_scale"))
        XCTAssertTrue((model["supportedModelTypes"] as? [String])?.contains("gemma3_text") ?? false)

        let olmo = try runGlassbox(["info", "--model", "Tests/Fixtures/models/olmo2-postnorm"])
        XCTAssertEqual(olmo.status, 0, olmo.stderr)
        XCTAssertTrue(olmo.stdout.contains("QK-norm (RMSNorm over the whole q and k projections)"), olmo.stdout)
        XCTAssertTrue(olmo.stdout.contains("norms on the attention and MLP outputs only"), olmo.stdout)
        XCTAssertFalse(olmo.stdout.contains("blocks.0.ln1.hook_scale"), olmo.stdout)
    }
}
