import Foundation
import GlassboxTestSupport
import XCTest

/// Hostile-input cases about models whose activations are NaN (loaded with `--allow-nonfinite`):
/// every command shows NaN or says why it cannot, in one line; none traps.
final class HostileNonFiniteTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-hostile-nan-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func path(_ name: String) -> String { folder.appendingPathComponent(name).path }

    /// A gpt2-tiny copy whose embedding row 100 starts with a NaN: any input holding token 100 has
    /// NaN hidden states from there on, so every logit of that position (and later ones) is NaN.
    private func nanModel() throws -> String {
        let model = folder.appendingPathComponent("nan-model")
        try FileManager.default.createDirectory(at: model, withIntermediateDirectories: true)
        let source = URL(fileURLWithPath: "Tests/Fixtures/models/gpt2-tiny", relativeTo: Fixtures.root)
        for name in ["config.json", "tokenizer.json"] where FileManager.default.fileExists(atPath: source.appendingPathComponent(name).path) {
            try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: model.appendingPathComponent(name))
        }
        var weights = try Data(contentsOf: source.appendingPathComponent("model.safetensors"))
        let headerLength = Int(weights.prefix(8).withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) })
        let header = try XCTUnwrap(JSONSerialization.jsonObject(with: weights.subdata(in: 8..<(8 + headerLength))) as? [String: Any])
        let wte = try XCTUnwrap((header["transformer.wte.weight"] as? [String: Any])?["data_offsets"] as? [Int])
        let nan = withUnsafeBytes(of: Float.nan.bitPattern.littleEndian) { Data($0) }
        let at = 8 + headerLength + wte[0] + 100 * 32 * 4
        weights.replaceSubrange(at..<(at + 4), with: nan)
        try weights.write(to: model.appendingPathComponent("model.safetensors"))
        return model.path
    }

    /// `lens` on a position whose final logits are all NaN draws its table with NaN cells (it
    /// trapped on an empty top-1 before); `neurons` with an input says why nothing can be ranked
    /// instead of "a bar chart needs at least one value".
    func testAllNaNLogitsAreShownNotTrapped() throws {
        let model = try nanModel()
        let lens = try runGlassbox(["lens", "--model", model, "--ids", "1,2,100", "--allow-nonfinite", "--out", path("lens.png")])
        XCTAssertEqual(lens.status, 0, lens.stderr)
        XCTAssertTrue(lens.stdout.contains("nan"), lens.stdout)
        XCTAssertTrue(FileManager.default.fileExists(atPath: path("lens.png")))

        let predict = try runGlassbox(["predict", "--model", model, "--ids", "1,2,100", "--allow-nonfinite"])
        XCTAssertEqual(predict.status, 0, predict.stderr)
        XCTAssertTrue(predict.stdout.contains("nan"), predict.stdout)

        let neurons = try runGlassbox(["neurons", "--model", model, "--layer", "0", "--ids", "1,2,100", "--allow-nonfinite",
                                       "--out", path("neurons.png")])
        XCTAssertEqual(neurons.status, 1, neurons.stderr)
        XCTAssertEqual(neurons.stderrLines.filter { $0.hasPrefix("glassbox: error:") }.count, 1, neurons.stderr)
        XCTAssertTrue(neurons.stderr.contains("all NaN"), neurons.stderr)
        XCTAssertFalse(neurons.stderr.contains("bar chart"), neurons.stderr)
    }
}
