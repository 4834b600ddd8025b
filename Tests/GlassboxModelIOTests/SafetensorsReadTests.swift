import Foundation
import XCTest
import GlassboxTensor
@testable import GlassboxModelIO

final class SafetensorsReadTests: TemporaryFolderTestCase {
    // Known binary16 / bfloat16 encodings: 1, -2.5, 65504 (F16 max), smallest subnormal, +inf, NaN.
    static let f16Bits: [UInt16] = [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x7C00, 0x7E00, 0xFC00, 0x8000]
    static let f16Values: [Float] = [1, -2.5, 65504, 0x1p-24, .infinity, .nan, -.infinity, -0.0]
    static let bf16Bits: [UInt16] = [0x3F80, 0xC020, 0x477F, 0x0001, 0x7F80, 0x7FC0, 0xFF80, 0x8000]
    static let bf16Values: [Float] = [1, -2.5, 65280, 0x1p-133, .infinity, .nan, -.infinity, -0.0]

    /// Bitwise equality, except that any NaN matches any NaN.
    func assertSameFloats(_ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            let same = (a.isNaN && e.isNaN) || a.bitPattern == e.bitPattern
            XCTAssertTrue(same, "element \(i): got \(a), expected \(e)", file: file, line: line)
        }
    }

    func testReadsHandBuiltF32F16BF16WithKnownBitPatterns() throws {
        let f32: [Float] = [1, -2.5, 65504, .leastNonzeroMagnitude, .infinity, .nan, 3.25, -0.0]
        let data = SafetensorsImage.bytes(f32) + SafetensorsImage.bytes(of: Self.f16Bits) + SafetensorsImage.bytes(of: Self.bf16Bits)
        let header = SafetensorsImage.header([
            ("a.f32", SafetensorsImage.entry("F32", [2, 4], 0, 32)),
            ("b.f16", SafetensorsImage.entry("F16", [8], 32, 48)),
            ("c.bf16", SafetensorsImage.entry("BF16", [4, 2], 48, 64)),
        ])
        let file = try SafetensorsFile(url: write(SafetensorsImage.file(header: header, data: data)))
        XCTAssertEqual(file.tensorNames, ["a.f32", "b.f16", "c.bf16"])
        XCTAssertEqual(file.entry("b.f16"), TensorEntry(name: "b.f16", dtype: .f16, shape: [8], byteRange: 32..<48))
        XCTAssertEqual(file.dataSize, 64)
        assertSameFloats(try file.tensor("a.f32").storage, f32)
        XCTAssertEqual(try file.tensor("a.f32").shape, [2, 4])
        assertSameFloats(try file.tensor("b.f16").storage, Self.f16Values)
        assertSameFloats(try file.tensor("c.bf16").storage, Self.bf16Values)
        XCTAssertEqual(try file.tensor("c.bf16").shape, [4, 2])
        XCTAssertNil(file.entry("missing"))
    }

    func testWriterRoundTripsF32AndProducesKnownHalfBitPatterns() throws {
        let values: [Float] = [1, -2.5, 65504, 0x1p-24, .infinity, .nan]
        let tensor = Tensor(shape: [2, 3], storage: values)
        for dtype in DType.writable {
            let url = folder.appendingPathComponent("\(dtype.rawValue).safetensors")
            try SafetensorsFile.write([("t", tensor)], metadata: [:], dtype: dtype, to: url)
            let file = try SafetensorsFile(url: url)
            XCTAssertEqual(file.entry("t")?.dtype, dtype)
            XCTAssertEqual(file.headerLength % 8, 0, "header padded to 8 bytes like the Python library")
            let bits: [UInt16] = try file.withUnsafeBytes(of: "t") { raw in
                (0..<raw.count / 2).map { raw.loadUnaligned(fromByteOffset: $0 * 2, as: UInt16.self) }
            }
            switch dtype {
            case .f32:
                assertSameFloats(try file.tensor("t").storage, values)
            case .f16:
                XCTAssertEqual(Array(bits.prefix(5)), [0x3C00, 0xC100, 0x7BFF, 0x0001, 0x7C00])
                XCTAssertTrue(bits[5] & 0x7C00 == 0x7C00 && bits[5] & 0x03FF != 0, "NaN stays NaN")
                assertSameFloats(try file.tensor("t").storage, values)
            case .bf16:
                // 65504 rounds to 65536 (0x4780); 2^-24 is 0x3380 in bfloat16.
                XCTAssertEqual(Array(bits.prefix(5)), [0x3F80, 0xC020, 0x4780, 0x3380, 0x7F80])
                XCTAssertTrue(bits[5] & 0x7F80 == 0x7F80 && bits[5] & 0x007F != 0, "NaN stays NaN")
                assertSameFloats(try file.tensor("t").storage, [1, -2.5, 65536, 0x1p-24, .infinity, .nan])
            default:
                XCTFail("unexpected writable dtype \(dtype)")
            }
        }
    }

    func testBF16WriterRoundsToNearestEven() {
        // 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to the even 1.0; 1 + 3·2^-8 ties up.
        XCTAssertEqual(Float32Conversion.bf16Bits(1 + 0x1p-8), 0x3F80)
        XCTAssertEqual(Float32Conversion.bf16Bits(1 + 3 * 0x1p-8), 0x3F82)
        XCTAssertEqual(Float32Conversion.bf16Bits(1 + 0x1p-8 + 0x1p-20), 0x3F81)
        XCTAssertEqual(Float32Conversion.bf16Bits(.greatestFiniteMagnitude), 0x7F80, "overflow rounds to inf")
        XCTAssertEqual(Float32Conversion.bf16Bits(0x1p-133), 0x0001, "smallest bf16 subnormal")
    }

    func testHalfConversionsMatchNaiveReferenceOnAllBitPatternsAtOddAddresses() {
        let all = (0...UInt16.max).map { $0 }
        var raw = [UInt8](repeating: 0, count: 1) + SafetensorsImage.bytes(of: all)  // source at odd address
        for (dtype, naive) in [(DType.f16, Float32Conversion.naiveF16), (.bf16, Float32Conversion.naiveBF16)] {
            var fast = [Float](repeating: 0, count: all.count)
            raw.withUnsafeMutableBytes { bytes in
                fast.withUnsafeMutableBufferPointer { out in
                    guard let base = bytes.baseAddress, let destination = out.baseAddress else { return }
                    XCTAssertTrue(Float32Conversion.convert(dtype, from: base + 1, count: all.count, into: destination))
                }
            }
            var mismatches = 0
            for (bits, value) in zip(all, fast) {
                let expected = naive(bits)
                if !((value.isNaN && expected.isNaN) || value.bitPattern == expected.bitPattern) {
                    if mismatches < 5 { XCTFail("\(dtype) 0x\(String(bits, radix: 16)): \(value) vs \(expected)") }
                    mismatches += 1
                }
            }
            XCTAssertEqual(mismatches, 0, "\(dtype)")
        }
    }

    func testMetadataIsRead() throws {
        let url = folder.appendingPathComponent("m.safetensors")
        try SafetensorsFile.write([("x", Tensor(shape: [1], storage: [7]))],
                                  metadata: ["format": "pt", "note": "a/b \"quoted\""], to: url)
        let file = try SafetensorsFile(url: url)
        XCTAssertEqual(file.metadata, ["format": "pt", "note": "a/b \"quoted\""])
        XCTAssertEqual(file.tensorNames, ["x"], "__metadata__ is not a tensor")
        XCTAssertEqual(file.url, url)

        let bare = try SafetensorsFile(url: write(SafetensorsImage.file(header: "{}"), to: "bare.safetensors"))
        XCTAssertEqual(bare.metadata, [:])
    }

    func testZeroSizeAndScalarTensors() throws {
        let header = SafetensorsImage.header([
            ("empty", SafetensorsImage.entry("F32", [0, 5], 4, 4)),
            ("empty_f16", SafetensorsImage.entry("F16", [3, 0], 0, 0)),
            ("scalar", SafetensorsImage.entry("F32", [], 0, 4)),
        ])
        let file = try SafetensorsFile(url: write(SafetensorsImage.file(header: header, data: SafetensorsImage.bytes([4.5]))))
        XCTAssertEqual(try file.tensor("empty"), Tensor(shape: [0, 5], storage: []))
        XCTAssertEqual(try file.tensor("empty_f16").shape, [3, 0])
        XCTAssertEqual(try file.tensor("scalar"), Tensor(shape: [], storage: [4.5]))

        let url = folder.appendingPathComponent("written.safetensors")
        try SafetensorsFile.write([("e", Tensor(shape: [0], storage: [])), ("s", Tensor(shape: [], storage: [1]))], to: url)
        XCTAssertEqual(try SafetensorsFile(url: url).tensor("e").shape, [0])
    }

    func testUnalignedHeaderLength() throws {
        // A 13-byte header ("{}" + 11 spaces): no tensors, an empty data section at byte 21 (bytes
        // after the last tensor, here after none, are refused: SafetensorsLimitsTests).
        let empty = SafetensorsImage.file(header: "{}", data: [], padTo: 13)
        XCTAssertEqual(empty.count, 8 + 13)
        let file = try SafetensorsFile(url: write(empty, to: "empty.safetensors"))
        XCTAssertEqual(file.headerLength, 13)
        XCTAssertEqual(file.dataSize, 0)
        XCTAssertEqual(file.tensorNames, [])

        // Tensors behind a header whose length is 5 mod 8: every element is misaligned.
        let header = SafetensorsImage.header([
            ("f32", SafetensorsImage.entry("F32", [3], 0, 12)),
            ("f16", SafetensorsImage.entry("F16", [2], 12, 16)),  // (a byte between them would be refused: SafetensorsLimitsTests)
        ])
        var length = header.utf8.count
        while length % 8 != 5 { length += 1 }
        let data = SafetensorsImage.bytes([1.5, -2, 3]) + SafetensorsImage.bytes(of: [UInt16(0x3C00), 0xC100])
        let misaligned = try SafetensorsFile(url: write(SafetensorsImage.file(header: header, data: data, padTo: length)))
        XCTAssertEqual(misaligned.headerLength % 8, 5)
        XCTAssertEqual(try misaligned.tensor("f32").storage, [1.5, -2, 3])
        XCTAssertEqual(try misaligned.tensor("f16").storage, [1, -2.5])
    }

    /// Entries out of offset order and a header padded with NULs load (bytes between tensors are
    /// refused, as the `safetensors` library does: SafetensorsLimitsTests).
    func testOutOfOrderEntriesAndNulPaddingAreAllowed() throws {
        let header = SafetensorsImage.header([
            ("late", SafetensorsImage.entry("F32", [1], 4, 8)),
            ("early", SafetensorsImage.entry("F32", [1], 0, 4)),
        ])
        var bytes = SafetensorsImage.file(header: header, data: SafetensorsImage.bytes([1, 2]))
        // Replace the space padding with NULs (some writers do this); keep the length.
        let headerEnd = 8 + header.utf8.count
        let dataStart = bytes.count - 8
        for i in headerEnd..<dataStart { bytes[i] = 0 }
        let file = try SafetensorsFile(url: write(bytes))
        XCTAssertEqual(try file.tensor("early").storage, [1])
        XCTAssertEqual(try file.tensor("late").storage, [2])
    }

    func testIntegerAndF64TensorsConvert() throws {
        let data = SafetensorsImage.bytes(of: [Int8(-128), 0, 127]) + SafetensorsImage.bytes(of: [UInt8(0), 255])
            + SafetensorsImage.bytes(of: [Int32(-70000), 5]) + SafetensorsImage.bytes(of: [Int64(-3), 1 << 40])
            + SafetensorsImage.bytes(of: [0.1, -1e300])
            + SafetensorsImage.bytes(of: [UInt16(65535)]) + SafetensorsImage.bytes(of: [Int16(-300)])
            + SafetensorsImage.bytes(of: [UInt32(4_000_000_000)]) + SafetensorsImage.bytes(of: [UInt64(7)])
        let header = SafetensorsImage.header([
            ("i8", SafetensorsImage.entry("I8", [3], 0, 3)),
            ("u8", SafetensorsImage.entry("U8", [2], 3, 5)),
            ("i32", SafetensorsImage.entry("I32", [2], 5, 13)),
            ("i64", SafetensorsImage.entry("I64", [2], 13, 29)),
            ("f64", SafetensorsImage.entry("F64", [2], 29, 45)),
            ("u16", SafetensorsImage.entry("U16", [1], 45, 47)),
            ("i16", SafetensorsImage.entry("I16", [1], 47, 49)),
            ("u32", SafetensorsImage.entry("U32", [1], 49, 53)),
            ("u64", SafetensorsImage.entry("U64", [1], 53, 61)),
        ])
        let file = try SafetensorsFile(url: write(SafetensorsImage.file(header: header, data: data)))
        XCTAssertEqual(try file.tensor("i8").storage, [-128, 0, 127])
        XCTAssertEqual(try file.tensor("u8").storage, [0, 255])
        XCTAssertEqual(try file.tensor("i32").storage, [-70000, 5])
        XCTAssertEqual(try file.tensor("i64").storage, [-3, 0x1p40])
        XCTAssertEqual(try file.tensor("f64").storage, [Float(0.1), -.infinity])
        XCTAssertEqual(try file.tensor("u16").storage, [65535])
        XCTAssertEqual(try file.tensor("i16").storage, [-300])
        XCTAssertEqual(try file.tensor("u32").storage, [4e9])
        XCTAssertEqual(try file.tensor("u64").storage, [7])
    }

    func testLargeF16TensorConvertsIncludingVectorTail() throws {
        // Not a multiple of any vector width, so the vectorized loop's remainder runs too.
        let count = 10_003
        let values = (0..<count).map { Float($0 % 2048) - 1024 }
        let url = folder.appendingPathComponent("big.safetensors")
        try SafetensorsFile.write([("w", Tensor(shape: [count], storage: values))], dtype: .f16, to: url)
        XCTAssertEqual(try SafetensorsFile(url: url).tensor("w").storage, values)
    }

    func testWriteIsAtomicAndReplacesExistingFile() throws {
        let url = folder.appendingPathComponent("w.safetensors")
        try SafetensorsFile.write([("a", Tensor(shape: [1], storage: [1]))], to: url)
        try SafetensorsFile.write([("b", Tensor(shape: [1], storage: [2]))], to: url)
        XCTAssertEqual(try SafetensorsFile(url: url).tensorNames, ["b"])
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        XCTAssertEqual(leftovers, ["w.safetensors"], "no temporary files left behind")
    }

    func testDTypeParsingAndSizes() throws {
        XCTAssertEqual(DType.allCases.count, 15)
        for dtype in DType.allCases { XCTAssertEqual(try DType(parsing: dtype.rawValue), dtype) }
        XCTAssertEqual(DType.allCases.map(\.byteSize), [8, 4, 2, 2, 8, 4, 2, 1, 1, 2, 4, 8, 1, 1, 1])
        assertThrows(.unknownDType(file: "", tensor: "", dtype: "f32"), mentions: ["'f32'", "F32"]) {
            try DType(parsing: "f32")
        }
    }
}
