import Foundation
import GlassboxTestSupport
import XCTest

/// `glassbox predict` on a checkpoint with an int8 weight (helium-tiny's
/// `model.layers.1.mlp.up_proj.weight` stored as I8; transformers 4.53.3 refuses it:
/// Tests/Fixtures/stored-dtypes.json) exits 1 with one line naming the tensor and its dtype, and
/// prints nothing on stdout (it used to exit 0 with predictions).
final class StoredWeightDTypeCommandTests: XCTestCase {
    func testInt8WeightIsOneLineAndExitOne() throws {
        let tensor = "model.layers.1.mlp.up_proj.weight"
        let stored = SafetensorsEdit.Stored(dtype: "I8", shape: [48, 32], bytes: Data(repeating: 1, count: 48 * 32))
        let folder = try Fixtures.linkedCopy(of: "helium-tiny", test: self, replacing: "model.safetensors") { data in
            try SafetensorsEdit.setting([tensor: stored], in: data)
        }
        let output = try runGlassbox(["predict", "--model", folder.path, "--ids", "1,2,3"])
        XCTAssertEqual(output.status, 1, output.stderr)
        XCTAssertEqual(output.stdout, "")
        XCTAssertEqual(output.stderrLines.count, 1, output.stderr)
        XCTAssertTrue(output.stderr.contains("weight '\(tensor)'") && output.stderr.contains("stored as I8"), output.stderr)
    }
}
