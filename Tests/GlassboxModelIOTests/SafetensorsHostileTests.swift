import Foundation
import XCTest
import GlassboxFiles
import GlassboxTensor
@testable import GlassboxModelIO

/// One test per malformed-file case: each must throw the specific error, naming file and tensor.
final class SafetensorsHostileTests: TemporaryFolderTestCase {
    /// A valid entry to sit beside the hostile one.
    let good = ("good", SafetensorsImage.entry("F32", [1], 0, 4))

    /// Writes a file whose header has `good` plus `("bad", badEntry)` and 64 data bytes.
    func hostile(_ badEntry: String, data: [UInt8] = [UInt8](repeating: 0, count: 64)) throws -> URL {
        try write(SafetensorsImage.file(header: SafetensorsImage.header([good, ("bad", badEntry)]), data: data),
                  to: "hostile.safetensors")
    }

    func testFileShorterThanEightBytes() throws {
        for size in [0, 5, 7] {
            let url = try write([UInt8](repeating: 1, count: size), to: "short\(size).safetensors")
            assertThrows(.fileTooShort(file: url.path, size: size), mentions: [url.lastPathComponent, "\(size) bytes"]) {
                try SafetensorsFile(url: url)
            }
        }
    }

    func testMissingFileAndFolder() throws {
        let missing = folder.appendingPathComponent("nope.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(url: missing)) { error in
            XCTAssertEqual(error as? InputFileError, .notFound(path: missing.path))
            XCTAssertTrue(error.localizedDescription.contains("nope.safetensors"), error.localizedDescription)
        }
        XCTAssertThrowsError(try SafetensorsFile(url: folder)) { error in
            XCTAssertEqual(error as? InputFileError, .notRegularFile(path: folder.path, kind: "a folder"))
        }
    }

    /// A FIFO is refused before it is opened (opening one for reading would block for ever).
    func testFIFOIsRefusedWithoutBlocking() throws {
        let fifo = folder.appendingPathComponent("pipe.safetensors")
        XCTAssertEqual(mkfifo(fifo.path, 0o600), 0)
        XCTAssertThrowsError(try SafetensorsFile(url: fifo)) { error in
            XCTAssertEqual(error as? InputFileError, .notRegularFile(path: fifo.path, kind: "a FIFO (named pipe)"))
            XCTAssertTrue(error.localizedDescription.contains("pipe.safetensors"), error.localizedDescription)
        }
    }

    func testHeaderLengthPastEndOfFile() throws {
        let bytes = SafetensorsImage.file(header: "{}", declaredLength: 100)
        let url = try write(bytes)
        assertThrows(.headerLengthOutOfRange(file: url.path, headerLength: 100, fileSize: bytes.count),
                     mentions: [url.lastPathComponent, "100", "\(bytes.count)-byte"]) { try SafetensorsFile(url: url) }
    }

    func testAbsurdHeaderLength() throws {
        for declared in [UInt64(200_000_000), .max, 1 << 63] {
            let bytes = SafetensorsImage.file(header: "{}", declaredLength: declared)
            let url = try write(bytes)
            assertThrows(.headerLengthOutOfRange(file: url.path, headerLength: declared, fileSize: bytes.count),
                         mentions: [url.lastPathComponent, "\(declared)"]) { try SafetensorsFile(url: url) }
        }
    }

    func testHeaderNotJSON() throws {
        let deep = String(repeating: "[", count: 10_000) + String(repeating: "]", count: 10_000)
        for text in ["{\"a\": ", "not json at all", "{\"a\": [1, 2}", "\u{FEFF}{}x", deep] {
            let url = try write(SafetensorsImage.file(header: text))
            guard let error = modelIOError({ try SafetensorsFile(url: url) }) else { continue }
            guard case .headerNotJSON(let file, _) = error else { XCTFail("\(text.prefix(20)): \(error)"); continue }
            XCTAssertEqual(file, url.path)
            assertMessage(error, mentions: [url.lastPathComponent, "not valid JSON"])
        }
        // Invalid UTF-8 inside a string.
        var bytes = SafetensorsImage.file(header: "{\"aZ\": 1}")
        bytes[8 + 3] = 0xFF  // the "Z"
        let url = try write(bytes)
        guard let error = modelIOError({ try SafetensorsFile(url: url) }) else { return }
        guard case .headerNotJSON = error else { return XCTFail("\(error)") }
    }

    func testHeaderNotAnObject() throws {
        for (text, kind) in [("[1, 2]", "array"), ("42", "number"), ("\"s\"", "string"), ("null", "null")] {
            let url = try write(SafetensorsImage.file(header: text))
            assertThrows(.headerNotObject(file: url.path, found: kind), mentions: [url.lastPathComponent, kind]) {
                try SafetensorsFile(url: url)
            }
        }
    }

    func testEntryNotAnObject() throws {
        for (text, kind) in [("[0, 4]", "array"), ("\"F32\"", "string"), ("null", "null"), ("true", "boolean")] {
            let url = try hostile(text)
            assertThrows(.entryNotObject(file: url.path, tensor: "bad", found: kind),
                         mentions: [url.lastPathComponent, "'bad'", kind]) { try SafetensorsFile(url: url) }
        }
    }

    func testMissingDTypeShapeOrOffsets() throws {
        let cases: [(String, String)] = [
            ("dtype", SafetensorsImage.entry(dtype: nil, shape: "[1]", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: nil, offsets: "[4, 8]")),
            ("data_offsets", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1]", offsets: nil)),
        ]
        for (field, entry) in cases {
            let url = try hostile(entry)
            assertThrows(.missingField(file: url.path, tensor: "bad", field: field),
                         mentions: [url.lastPathComponent, "'bad'", "'\(field)'"]) { try SafetensorsFile(url: url) }
        }
    }

    func testIllTypedDTypeShapeOrOffsets() throws {
        let cases: [(String, String)] = [
            ("dtype", SafetensorsImage.entry(dtype: "4", shape: "[1]", offsets: "[4, 8]")),
            ("dtype", SafetensorsImage.entry(dtype: "[\"F32\"]", shape: "[1]", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: "\"[1]\"", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1.5]", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[true]", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[\"1\"]", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1e30]", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[99999999999999999999999]", offsets: "[4, 8]")),
            ("shape", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[[1]]", offsets: "[4, 8]")),
            ("data_offsets", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1]", offsets: "[4]")),
            ("data_offsets", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1]", offsets: "[4, 8, 12]")),
            ("data_offsets", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1]", offsets: "{\"begin\": 4}")),
            ("data_offsets", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1]", offsets: "[4, 8.5]")),
            ("data_offsets", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1]", offsets: "[-4, 0]")),
            ("data_offsets", SafetensorsImage.entry(dtype: "\"F32\"", shape: "[1]", offsets: "[4, null]")),
        ]
        for (field, entry) in cases {
            let url = try hostile(entry)
            guard let error = modelIOError({ try SafetensorsFile(url: url) }) else { continue }
            guard case .invalidField(let file, let tensor, let actualField, _) = error else {
                XCTFail("\(entry): \(error)"); continue
            }
            XCTAssertEqual([file, tensor, actualField], [url.path, "bad", field], entry)
            assertMessage(error, mentions: [url.lastPathComponent, "'bad'", "'\(field)'"])
        }
    }

    func testNegativeDimension() throws {
        let url = try hostile(SafetensorsImage.entry("F32", [2, -2], 4, 20))
        assertThrows(.negativeDimension(file: url.path, tensor: "bad", shape: [2, -2]),
                     mentions: [url.lastPathComponent, "'bad'", "[2, -2]"]) { try SafetensorsFile(url: url) }
        // Two negatives whose product is positive are still rejected.
        let twice = try hostile(SafetensorsImage.entry("F32", [-1, -1], 4, 8))
        assertThrows(.negativeDimension(file: twice.path, tensor: "bad", shape: [-1, -1])) { try SafetensorsFile(url: twice) }
    }

    func testShapeProductOverflow() throws {
        for shape in [[1 << 32, 1 << 32], [Int.max, 2], [1 << 62, 1], [1 << 61]] {
            let url = try hostile(SafetensorsImage.entry("F32", shape, 4, 8))
            assertThrows(.shapeOverflow(file: url.path, tensor: "bad", shape: shape),
                         mentions: [url.lastPathComponent, "'bad'", "too large"]) { try SafetensorsFile(url: url) }
        }
        // The running byte count is checked dimension by dimension (as the reference does), so a
        // later zero does not rescue an earlier overflow: 4 bytes × 2^62 already overflows.
        let url = try hostile(SafetensorsImage.entry("F32", [1 << 62, 4, 0], 4, 4))
        assertThrows(.shapeOverflow(file: url.path, tensor: "bad", shape: [1 << 62, 4, 0])) { try SafetensorsFile(url: url) }
    }

    func testUnknownDType() throws {
        for name in ["F128", "float32", "", "f32"] {
            let url = try hostile(SafetensorsImage.entry(name, [1], 4, 8))
            assertThrows(.unknownDType(file: url.path, tensor: "bad", dtype: name),
                         mentions: [url.lastPathComponent, "'bad'", "'\(name)'", "BF16"]) { try SafetensorsFile(url: url) }
        }
    }

    func testOffsetsOutOfRange() throws {
        let url = try hostile(SafetensorsImage.entry("F32", [4], 60, 76))
        assertThrows(.offsetsOutOfRange(file: url.path, tensor: "bad", begin: 60, end: 76, dataSize: 64),
                     mentions: [url.lastPathComponent, "'bad'", "[60, 76]", "64-byte"]) { try SafetensorsFile(url: url) }
        let huge = try hostile(SafetensorsImage.entry("F32", [1], Int.max - 3, Int.max))
        assertThrows(.offsetsOutOfRange(file: huge.path, tensor: "bad", begin: Int.max - 3, end: Int.max, dataSize: 64)) {
            try SafetensorsFile(url: huge)
        }
    }

    func testOffsetsBeginAfterEnd() throws {
        let url = try hostile(SafetensorsImage.entry("F32", [1], 12, 8))
        assertThrows(.offsetsReversed(file: url.path, tensor: "bad", begin: 12, end: 8),
                     mentions: [url.lastPathComponent, "'bad'", "[12, 8]"]) { try SafetensorsFile(url: url) }
    }

    func testByteSizeNotMatchingShape() throws {
        let url = try hostile(SafetensorsImage.entry("F32", [2, 3], 4, 24))
        assertThrows(.byteSizeMismatch(file: url.path, tensor: "bad", dtype: .f32, shape: [2, 3], expected: 24, actual: 20),
                     mentions: [url.lastPathComponent, "'bad'", "[2, 3]", "24 bytes", "20"]) { try SafetensorsFile(url: url) }
        let half = try hostile(SafetensorsImage.entry("BF16", [3], 4, 16))
        assertThrows(.byteSizeMismatch(file: half.path, tensor: "bad", dtype: .bf16, shape: [3], expected: 6, actual: 12)) {
            try SafetensorsFile(url: half)
        }
    }

    func testOverlappingTensors() throws {
        let url = try hostile(SafetensorsImage.entry("F32", [2], 2, 10))
        assertThrows(.overlappingTensors(file: url.path, tensor: "good", range: 0..<4, other: "bad", otherRange: 2..<10),
                     mentions: [url.lastPathComponent, "'good'", "'bad'", "overlap"]) { try SafetensorsFile(url: url) }
        // Identical ranges, and a tensor nested inside a longer earlier one, overlap too.
        let same = try hostile(SafetensorsImage.entry("F32", [1], 0, 4))
        assertThrows(.overlappingTensors(file: same.path, tensor: "bad", range: 0..<4, other: "good", otherRange: 0..<4)) {
            try SafetensorsFile(url: same)
        }
        let header = SafetensorsImage.header([
            ("long", SafetensorsImage.entry("F32", [8], 0, 32)),
            ("mid", SafetensorsImage.entry("F32", [1], 8, 12)),
            ("inner", SafetensorsImage.entry("F32", [1], 20, 24)),
        ])
        let nested = try write(SafetensorsImage.file(header: header, data: [UInt8](repeating: 0, count: 32)))
        assertThrows(.overlappingTensors(file: nested.path, tensor: "long", range: 0..<32, other: "mid", otherRange: 8..<12)) {
            try SafetensorsFile(url: nested)
        }
        // A zero-size tensor inside another tensor's range is refused too, as the `safetensors`
        // library does ("invalid offset for tensor `bad`": each tensor must start where the
        // previous one, in offset order, ends); at the end of the data it is fine.
        let zero = try hostile(SafetensorsImage.entry("F32", [0], 2, 2), data: [UInt8](repeating: 0, count: 4))
        XCTAssertThrowsError(try SafetensorsFile(url: zero))
        let atEnd = try hostile(SafetensorsImage.entry("F32", [0], 4, 4), data: [UInt8](repeating: 0, count: 4))
        XCTAssertNoThrow(try SafetensorsFile(url: atEnd))
    }

    func testMetadataNotAStringMap() throws {
        for (text, detail) in [("[1]", "is a JSON array"), ("{\"n\": 3}", "value of 'n' is a JSON number")] {
            let url = try write(SafetensorsImage.file(header: SafetensorsImage.header([("__metadata__", text), good]),
                                                      data: [0, 0, 0, 0]))
            assertThrows(.invalidMetadata(file: url.path, detail: detail), mentions: [url.lastPathComponent, "__metadata__"]) {
                try SafetensorsFile(url: url)
            }
        }
    }

    func testUnsupportedDTypesThrowWhenRead() throws {
        let header = SafetensorsImage.header([
            ("fp8", SafetensorsImage.entry("F8_E4M3", [2], 0, 2)),
            ("fp8b", SafetensorsImage.entry("F8_E5M2", [2], 2, 4)),
            ("mask", SafetensorsImage.entry("BOOL", [2], 4, 6)),
        ])
        let url = try write(SafetensorsImage.file(header: header, data: [1, 2, 3, 4, 1, 0]))
        let file = try SafetensorsFile(url: url)  // the header itself is valid
        // F8_E5M2 converts exactly, as transformers 4.53.3 upcasts it (Tests/Fixtures/stored-dtypes.json):
        // 3 is the subnormal 3/4 · 2^-14, 4 the smallest normal 2^-14.
        XCTAssertEqual(try file.tensor("fp8b").storage, [0.75 * 0x1p-14, 0x1p-14])
        for (name, dtype) in [("fp8", DType.f8E4M3), ("mask", .bool)] {
            assertThrows(.unsupportedDType(file: url.path, tensor: name, dtype: dtype),
                         mentions: [url.lastPathComponent, "'\(name)'", dtype.rawValue, "F16"]) { try file.tensor(name) }
            XCTAssertEqual(try file.withUnsafeBytes(of: name) { $0.count }, 2, "raw bytes stay reachable")
        }
    }

    func testMissingTensorSuggestsSimilarNames() throws {
        let header = SafetensorsImage.header([
            ("transformer.h.0.ln_1.weight", SafetensorsImage.entry("F32", [1], 0, 4)),
            ("transformer.h.0.ln_1.bias", SafetensorsImage.entry("F32", [1], 4, 8)),
        ])
        let url = try write(SafetensorsImage.file(header: header, data: [UInt8](repeating: 0, count: 8)))
        let file = try SafetensorsFile(url: url)
        assertThrows(.tensorNotFound(file: url.path, tensor: "h.0.ln_1.weight", available: 2,
                                     similar: ["transformer.h.0.ln_1.weight"]),
                     mentions: [url.lastPathComponent, "'h.0.ln_1.weight'", "transformer.h.0.ln_1.weight"]) {
            try file.tensor("h.0.ln_1.weight")
        }
        assertThrows(.tensorNotFound(file: url.path, tensor: "wte", available: 2, similar: [])) { try file.tensor("wte") }
    }

    func testWriterRejectsBadNamesAndDTypes() throws {
        let url = folder.appendingPathComponent("out.safetensors")
        let t = Tensor(shape: [1], storage: [1])
        assertThrows(.invalidTensorName(file: url.path, tensor: "a", reason: "appears twice"), mentions: ["'a'"]) {
            try SafetensorsFile.write([("a", t), ("a", t)], to: url)
        }
        assertThrows(.invalidTensorName(file: url.path, tensor: "__metadata__", reason: "is reserved for metadata")) {
            try SafetensorsFile.write([("__metadata__", t)], to: url)
        }
        assertThrows(.unsupportedDType(file: url.path, tensor: "a", dtype: .i8)) {
            try SafetensorsFile.write([("a", t)], dtype: .i8, to: url)
        }
        let missingFolder = folder.appendingPathComponent("no/such/dir/out.safetensors")
        guard let error = modelIOError({ try SafetensorsFile.write([("a", t)], to: missingFolder) }) else { return }
        guard case .writeFailed(let file, _) = error else { return XCTFail("\(error)") }
        XCTAssertEqual(file, missingFolder.path)
        XCTAssertFalse(FileManager.default.fileExists(atPath: url.path))
    }
}
