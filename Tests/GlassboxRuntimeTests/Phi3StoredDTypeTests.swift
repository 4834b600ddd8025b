import Foundation
import Glassbox
import GlassboxTestSupport
import XCTest

/// Phi-3's fused `qkv_proj` / `gate_up_proj` stored as F64 are converted to Float32 at load like
/// every other family's weights (integers are refused, as transformers refuses them); the rows of the converted matrix must then be split,
/// not the whole matrix taken for its first block (a hostile-input finding: a trap in reshape).
final class Phi3StoredDTypeTests: XCTestCase {
    /// Writes phi3-longrope's tensors into a temporary folder, `transform` choosing each tensor's
    /// dtype and (Float) values; F64 and I32 are written from those values.
    private func rewrite(_ transform: (String, [Float]) -> (dtype: String, values: [Float])) throws -> URL {
        let source = Fixtures.model("phi3-longrope")
        let folder = try makeTemporaryFolder("phi3-dtype")
        try FileManager.default.copyItem(at: source.appendingPathComponent("config.json"),
                                         to: folder.appendingPathComponent("config.json"))
        let checkpoint = try Checkpoint(directory: source)
        var header: [String: Any] = [:], data = Data()
        for name in checkpoint.tensorNames.sorted() {
            let tensor = try checkpoint.tensor(name)
            let (dtype, values) = transform(name, tensor.storage)
            var bytes = Data()
            switch dtype {
            case "F64": values.map(Double.init).withUnsafeBytes { bytes.append(contentsOf: $0) }
            case "I32": values.map { Int32($0) }.withUnsafeBytes { bytes.append(contentsOf: $0) }
            default: values.withUnsafeBytes { bytes.append(contentsOf: $0) }
            }
            header[name] = ["dtype": dtype, "shape": tensor.shape, "data_offsets": [data.count, data.count + bytes.count]]
            data.append(bytes)
        }
        var headerBytes = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        headerBytes.append(contentsOf: [UInt8](repeating: 0x20, count: (8 - headerBytes.count % 8) % 8))
        var file = Data()
        withUnsafeBytes(of: UInt64(headerBytes.count).littleEndian) { file.append(contentsOf: $0) }
        file.append(headerBytes)
        file.append(data)
        try file.write(to: folder.appendingPathComponent("model.safetensors"))
        return folder
    }

    private func logits(_ folder: URL) throws -> Tensor {
        try TransformerModel.load(directory: folder).forward([1, 50, 7, 9, 3]).logits!
    }

    func testF64CheckpointGivesTheFloat32Logits() throws {
        // F64 from F32 values is exact, so the logits are the F32 model's bit for bit.
        let reference = try logits(Fixtures.model("phi3-longrope"))
        let f64 = try logits(try rewrite { _, v in ("F64", v) })
        XCTAssertEqual(f64.shape, reference.shape)
        XCTAssertEqual(f64.storage, reference.storage)
    }

    func testIntegerFusedProjectionsMatchTheSameValuesInF32() throws {
        // The fused weights scaled and rounded to integers, stored as F64 against an F32 checkpoint
        // holding the same integers: conversion is exact, so the logits are equal. Stored as I32 they
        // are refused at load, as transformers 4.53.3 refuses an integer parameter
        // (StoredWeightDTypeTests, Tests/Fixtures/stored-dtypes.json); they used to load.
        func fusedAsIntegers(_ dtype: String) -> (String, [Float]) -> (dtype: String, values: [Float]) {
            { name, v in
                guard name.hasSuffix("qkv_proj.weight") || name.hasSuffix("gate_up_proj.weight") else { return ("F32", v) }
                return (dtype, v.map { ($0 * 8).rounded() })
            }
        }
        let reference = try logits(try rewrite(fusedAsIntegers("F32")))
        XCTAssertThrowsError(try logits(try rewrite(fusedAsIntegers("I32")))) { error in
            guard case LoadError.nonFloatingWeight(let name, .i32, _) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(name, "model.layers.0.self_attn.qkv_proj.weight")
        }
        let f64 = try logits(try rewrite(fusedAsIntegers("F64")))
        XCTAssertEqual(f64.storage, reference.storage)
        XCTAssertTrue(reference.storage.allSatisfy(\.isFinite))
    }
}
