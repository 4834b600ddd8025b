import Foundation
import GlassboxFiles
import GlassboxTensor
@testable import GlassboxModelIO
import XCTest

/// The one gate for input files, the UTF-8 check and the NaN/Inf count.
final class InputFileTests: TemporaryFolderTestCase {
    func testOnlyRegularFilesAreRead() throws {
        let file = try write(Array("{}".utf8), to: "ok.json")
        XCTAssertEqual(try InputFile.read(file, limit: 16), Data("{}".utf8))
        XCTAssertThrowsError(try InputFile.read(folder, limit: 16)) { error in
            XCTAssertEqual(error as? InputFileError, .notRegularFile(path: folder.path, kind: "a folder"))
        }
        let fifo = folder.appendingPathComponent("pipe")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try InputFile.read(fifo, limit: 16)) { error in
            XCTAssertEqual(error as? InputFileError, .notRegularFile(path: fifo.path, kind: "a FIFO (named pipe)"))
        }
        XCTAssertThrowsError(try InputFile.requireRegularFile("/dev/zero")) { error in
            XCTAssertEqual(error as? InputFileError, .notRegularFile(path: "/dev/zero", kind: "a character device"))
        }
        let missing = folder.appendingPathComponent("none")
        XCTAssertThrowsError(try InputFile.read(missing, limit: 16)) { error in
            XCTAssertEqual(error as? InputFileError, .notFound(path: missing.path))
        }
    }

    func testSizeAndDepthLimitsAreNamed() throws {
        let file = try write([UInt8](repeating: 0x20, count: 100), to: "big.json")
        XCTAssertThrowsError(try InputFile.read(file, limit: 64)) { error in
            XCTAssertEqual(error as? InputFileError, .tooLarge(path: file.path, size: 100, limit: 64))
            XCTAssertTrue(error.localizedDescription.contains("over the limit of 64 bytes"), error.localizedDescription)
        }
        let deep = try write(Array((String(repeating: "[", count: 513) + String(repeating: "]", count: 513)).utf8), to: "deep.json")
        XCTAssertThrowsError(try InputFile.readJSON(deep, limit: 1 << 20)) { error in
            XCTAssertEqual(error as? InputFileError, .jsonTooDeep(path: deep.path, limit: 512))
        }
        // Brackets inside strings do not count; 512 levels are fine.
        let fine = try write(Array(("[\"" + String(repeating: "[", count: 600) + "\"]").utf8), to: "s.json")
        XCTAssertNoThrow(try InputFile.readJSON(fine, limit: 1 << 20))
        let edge = try write(Array((String(repeating: "[", count: 512) + String(repeating: "]", count: 512)).utf8), to: "e.json")
        XCTAssertNoThrow(try InputFile.readJSON(edge, limit: 1 << 20))
    }

    func testFirstInvalidUTF8Offset() {
        XCTAssertNil(UTF8Validation.firstInvalidOffset(Array("Grüße, 日本 🎭".utf8)))
        XCTAssertEqual(UTF8Validation.firstInvalidOffset([0x41, 0xFF, 0x42]), 1)
        XCTAssertEqual(UTF8Validation.firstInvalidOffset([0x41, 0x42, 0xC3]), 2)              // cut short
        XCTAssertEqual(UTF8Validation.firstInvalidOffset([0x41, 0xC0, 0xAF]), 1)              // overlong
        XCTAssertEqual(UTF8Validation.firstInvalidOffset([0xED, 0xA0, 0x80]), 0)              // surrogate
        XCTAssertEqual(UTF8Validation.firstInvalidOffset(Array("é".utf8) + [0x80]), 2)         // stray continuation
    }

    func testNonFiniteCount() {
        var values = [Float](repeating: 1, count: 10_000)
        XCTAssertEqual(values.withUnsafeBufferPointer { NonFinite.count($0) }, 0)
        values[0] = .nan; values[4097] = .infinity; values[9999] = -.infinity
        values[5] = .greatestFiniteMagnitude; values[6] = -0.0; values[7] = .leastNonzeroMagnitude
        XCTAssertEqual(values.withUnsafeBufferPointer { NonFinite.count($0) }, 3)
        let t = Tensor(shape: [2, 5000], storage: values)
        XCTAssertEqual(NonFinite.count(t), 3)
        XCTAssertEqual(NonFinite.countExceptNegativeInfinity(t), 2)
    }

    func testCheckpointRefusesNonFiniteTensorsUnlessAllowed() throws {
        let dir = folder.appendingPathComponent("model")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("model.safetensors")
        try SafetensorsFile.write([("a", Tensor(shape: [3], storage: [1, .nan, .infinity])),
                                   ("b", Tensor(shape: [2], storage: [1, 2]))], to: url)
        let strict = try Checkpoint(directory: dir)
        XCTAssertEqual(try strict.tensor("b").storage, [1, 2])
        XCTAssertThrowsError(try strict.tensor("a")) { error in
            XCTAssertEqual(error as? ModelIOError, .nonFiniteValues(file: url.path, tensor: "a", count: 2, total: 3))
            XCTAssertTrue(error.localizedDescription.contains("tensor 'a': 2 of its 3 values are NaN or ±Inf"),
                          error.localizedDescription)
        }
        let lenient = try Checkpoint(directory: dir, allowNonFinite: true)
        XCTAssertEqual(try lenient.tensor("a").count, 3)
        XCTAssertEqual(lenient.nonFiniteTensors.map(\.tensor), ["a"])
        XCTAssertEqual(lenient.nonFiniteTensors.map(\.count), [2])
    }

    func testMatricesAreReadInPlaceInTheirDTypeAndScannedUnlessAsked() throws {
        let dir = folder.appendingPathComponent("matrices")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let url = dir.appendingPathComponent("model.safetensors")
        let values: [Float] = [1, -2.5, 0.15625, 3, .nan, 6]
        try SafetensorsFile.write([("w", Tensor(shape: [2, 3], storage: values))], dtype: .bf16, to: url)
        let mapped = try Checkpoint(directory: dir, allowNonFinite: false, scanMatrices: false).matrix("w")
        XCTAssertEqual(mapped.format, .bf16)
        XCTAssertEqual(mapped.shape, [2, 3])
        XCTAssertEqual(Array(mapped.row(0).storage), [1, -2.5, 0.15625])   // exact in bf16
        XCTAssertTrue(mapped[1, 1].isNaN)
        // Strict: the check is deferred (methods §0.7); a product over the whole matrix settles it,
        // and verifying names the tensor with its count.
        let strict = try Checkpoint(directory: dir)
        let deferred = try strict.matrix("w")
        XCTAssertEqual(strict.deferredChecks?.pendingCount, 1)
        _ = matmul(Tensor(shape: [1, 3], storage: [1, 1, 1]), deferred, transposeB: true)
        XCTAssertEqual(strict.deferredChecks?.pendingCount, 0)
        XCTAssertThrowsError(try XCTUnwrap(strict.deferredChecks).verify()) { error in
            XCTAssertEqual(error as? ModelIOError, .nonFiniteValues(file: url.path, tensor: "w", count: 1, total: 6))
        }
        // Without a product, verifying scans it.
        let unread = try Checkpoint(directory: dir)
        _ = try unread.matrix("w")
        XCTAssertThrowsError(try XCTUnwrap(unread.deferredChecks).verify()) { error in
            XCTAssertEqual(error as? ModelIOError, .nonFiniteValues(file: url.path, tensor: "w", count: 1, total: 6))
        }
        // Permissive: scanned at load, as before.
        let lenient = try Checkpoint(directory: dir, allowNonFinite: true)
        _ = try lenient.matrix("w")
        XCTAssertNil(lenient.deferredChecks)
        XCTAssertEqual(lenient.nonFiniteTensors.map(\.count), [1])
        // F32 data after a header padded to 8 bytes is read in place, aligned.
        let f32 = dir.appendingPathComponent("f32")
        try FileManager.default.createDirectory(at: f32, withIntermediateDirectories: true)
        try SafetensorsFile.write([("w", Tensor(shape: [2, 2], storage: [1, 2, 3, 4]))],
                                  to: f32.appendingPathComponent("model.safetensors"))
        let inPlace = try Checkpoint(directory: f32).matrix("w")
        XCTAssertEqual(inPlace.format, .f32)
        XCTAssertEqual(inPlace.float32().storage, [1, 2, 3, 4])
    }
}
