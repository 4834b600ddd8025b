import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Fixture models rewritten in f16 and bf16 run with their matrices in that format (read in place
/// from the mapping) and give the bits of the same model with Float32 copies of those matrices
/// (every fixture matrix fits one panel, so each product is the same sgemm call on the same
/// numbers); and they stay near the f32 original (the weights were rounded).
final class StoredFormatTests: XCTestCase {
    /// Writes `model`'s checkpoint with every tensor in `dtype` into a temporary folder.
    func rewrite(_ model: String, as dtype: DType) throws -> URL {
        let source = Fixtures.model(model)
        let folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("glassbox-stored-\(model)-\(dtype.rawValue)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        let checkpoint = try Checkpoint(directory: source)
        let tensors = try checkpoint.tensorNames.sorted().map { ($0, try checkpoint.tensor($0)) }
        try SafetensorsFile.write(tensors, dtype: dtype, to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }

    func testHalfCheckpointsMatchTheirFloat32CopiesBitwise() throws {
        for name in ["gpt2-tiny", "llama-gqa", "bert-tiny-mlm", "neox-parallel", "qwen3-qknorm"] {
            guard FileManager.default.fileExists(atPath: Fixtures.model(name).path) else {
                XCTFail("fixture \(name) missing"); continue
            }
            let original = try TransformerModel.load(directory: Fixtures.model(name))
            let ids = Array(0..<min(12, original.architecture.vocabSize))
            let reference = try original.forward(ids).logits!
            for dtype in [DType.f16, .bf16] {
                let model = try TransformerModel.load(directory: try rewrite(name, as: dtype))
                let format = model.weights.blocks[0].mlp.input.weight.format
                XCTAssertEqual(format.rawValue, dtype.rawValue.lowercased(), "\(name) \(dtype): matrices kept as stored")
                let stored = try model.forward(ids).logits!
                let copy = try model.widenedToFloat32().forward(ids).logits!
                XCTAssertEqual(stored, copy, "\(name) \(dtype): stored-format products vs Float32 copies")
                // Rounding the weights (2⁻¹¹ relative for f16, 2⁻⁸ for bf16) moves the logits a little,
                // relative to their range; a decoding error would move them by their whole range.
                let worst = zip(stored.storage, reference.storage).map { abs($0 - $1) }.max()!
                let range = reference.storage.map(abs).max()!
                print("\(name) \(dtype): max |Δlogit| \(worst) of max |logit| \(range)")
                XCTAssertLessThan(worst / range, dtype == .bf16 ? 0.1 : 0.01, "\(name) \(dtype) vs the f32 checkpoint")
                XCTAssertGreaterThan(worst, 0, "\(name) \(dtype): the rewrite rounded nothing?")
            }
        }
    }
}
