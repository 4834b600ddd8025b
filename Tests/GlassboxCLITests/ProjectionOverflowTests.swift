import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// `project` and `neurons` on finite weights whose products overflow Float32: the text, the
/// picture and the JSON all refuse the result (exit 1, one line naming what overflowed and its
/// first bad value) unless `--allow-nonfinite`; they printed `inf` / `nan` rows and drew blank
/// bars with exit 0, and only `--json` refused.
final class ProjectionOverflowTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("overflow") }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A gpt2-tiny copy with each named tensor multiplied by its factor (every value stays finite).
    private func scaled(_ factors: [String: Float]) throws -> String {
        try Fixtures.editedCopy(of: "gpt2-tiny", test: self) { name, tensor in
            if let factor = factors[name] { tensor.storage = tensor.storage.map { $0 * factor } }
        }.path
    }

    /// Exit 1, nothing on stdout, no picture, one error line holding every fragment.
    private func assertRefused(_ arguments: [String], picture: String, _ fragments: [String],
                               file: StaticString = #filePath, line: UInt = #line) throws {
        let run = try runGlassbox(arguments + ["--out", picture])
        XCTAssertEqual(run.status, 1, run.stderr, file: file, line: line)
        XCTAssertEqual(run.stdout, "", file: file, line: line)
        XCTAssertEqual(run.stderrLines.count, 1, run.stderr, file: file, line: line)
        for fragment in fragments { XCTAssertTrue(run.stderr.contains(fragment), "\(fragment): \(run.stderr)", file: file, line: line) }
        XCTAssertFalse(FileManager.default.fileExists(atPath: picture), file: file, line: line)
    }

    /// Layer 0's attention output × 1e37: head 0's OV pair scores overflow to +inf.
    func testProjectOVOverflowIsRefusedByTextPictureAndJSON() throws {
        let model = try scaled(["transformer.h.0.attn.c_proj.weight": 1e37])
        let arguments = ["project", "--model", model, "--layer", "0", "--head", "0", "--top-k", "5"]
        try assertRefused(arguments, picture: path("ov.png"),
                          ["layer 0 head 0's OV token-pair scores hold values that are not finite", "(first: pairs[0].score = inf)",
                           "--allow-nonfinite prints and draws them anyway"])
        try assertRefused(arguments + ["--json"], picture: path("ov-json.png"),
                          ["layer 0 head 0's OV token-pair scores", "which JSON cannot represent"])
        // --allow-nonfinite: the text and the picture show them; JSON still cannot.
        let allowed = try runGlassbox(arguments + ["--allow-nonfinite", "--out", path("ov-allowed.png")])
        XCTAssertEqual(allowed.status, 0, allowed.stderr)
        XCTAssertTrue(allowed.stdout.contains("       inf  "), allowed.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("ov-allowed.png")))
        try assertRefused(arguments + ["--allow-nonfinite", "--json"], picture: path("ov-allowed-json.png"), ["which JSON cannot represent"])
    }

    /// Layer 0's MLP output × 1e38 and the embeddings × 1e5: neuron 1's value-token scores are
    /// ±inf and NaN (`project --neuron` and `neurons --neuron` ranked by them).
    func testFFNValueOverflowIsRefused() throws {
        let model = try scaled(["transformer.h.0.mlp.c_proj.weight": 1e38, "transformer.wte.weight": 1e5])
        try assertRefused(["project", "--model", model, "--layer", "0", "--neuron", "1", "--top-k", "4"], picture: path("v.png"),
                          ["layer 0 neuron 1's ffn-value token scores hold values that are not finite", "(first: projections[0]."])
        try assertRefused(["neurons", "--model", model, "--layer", "0", "--neuron", "1"], picture: path("n.png"),
                          ["layer 0 neuron 1's value-token scores hold values that are not finite", "(first: value.top["])
        try assertRefused(["neurons", "--model", model, "--layer", "0", "--neuron", "1", "--json"], picture: path("nj.png"),
                          ["value-token scores", "which JSON cannot represent"])
    }

    /// The last layer's MLP output × 1e37 and the embeddings × 100: the forward pass stays finite
    /// (the final layer norm rescales), but the sub-updates' token scores m·v·Eᵀ overflow.
    func testSubUpdateOverflowIsRefused() throws {
        let model = try scaled(["transformer.h.1.mlp.c_proj.weight": 1e37, "transformer.wte.weight": 100])
        try assertRefused(["neurons", "--model", model, "--layer", "1", "--ids", "1,2,3", "--top-k", "2"], picture: path("s.png"),
                          ["layer 1's sub-update scores at position 2 hold values that are not finite", "(first: subUpdates.updates[0]."])
    }
}
