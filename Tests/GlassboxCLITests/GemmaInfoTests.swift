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

    /// Gemma 3's sliding layers rotate with `rope_local_base_freq` (50 in the fixture) and without the
    /// global table's linear scaling: `info` names that table beside the windows, not only the global θ.
    func testInfoNamesTheLocalRotaryTable() throws {
        let gemma3 = try runGlassbox(["info", "--model", "Tests/Fixtures/models/gemma3-text"])
        XCTAssertEqual(gemma3.status, 0, gemma3.stderr)
        XCTAssertTrue(gemma3.stdout.contains("positions    rotary (8 dims, θ 1000.0, linear scaling ×2.0); sliding windows layer 0: 3, layer 2: 3, rotated there by rotary (8 dims, θ 50.0)\n"),
                      gemma3.stdout)
    }
}
