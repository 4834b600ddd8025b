import Foundation
import XCTest
import GlassboxTensor
@testable import GlassboxModelIO

/// Corrupted and truncated files must load or throw, never crash or read out of bounds.
final class SafetensorsFuzzTests: TemporaryFolderTestCase {
    /// A valid file with three dtypes, a metadata map and a zero-size tensor.
    func validImage() -> (bytes: [UInt8], headerEnd: Int) {
        let header = SafetensorsImage.header([
            ("__metadata__", "{\"format\": \"pt\"}"),
            ("a", SafetensorsImage.entry("F32", [2, 2], 0, 16)),
            ("b", SafetensorsImage.entry("F16", [3], 16, 22)),
            ("c", SafetensorsImage.entry("BF16", [1, 1], 22, 24)),
            ("z", SafetensorsImage.entry("F32", [0], 24, 24)),
        ])
        let data = SafetensorsImage.bytes([1, 2, 3, 4]) + SafetensorsImage.bytes(of: [UInt16(0x3C00), 0x7C00, 0x0001, 0x3F80])
        let bytes = SafetensorsImage.file(header: header, data: data)
        return (bytes, bytes.count - data.count)
    }

    /// Opens `bytes` and reads every tensor; returns whether it opened. Any error must be a
    /// `ModelIOError` with a one-line message.
    func attempt(_ bytes: [UInt8], _ url: URL) throws -> Bool {
        try Data(bytes).write(to: url)
        do {
            let file = try SafetensorsFile(url: url)
            for name in file.tensorNames {
                do {
                    let tensor = try file.tensor(name)
                    XCTAssertEqual(tensor.count, file.entry(name)?.elementCount)
                } catch let error as ModelIOError {
                    assertMessage(error, mentions: [url.lastPathComponent])
                }
            }
            return true
        } catch let error as ModelIOError {
            assertMessage(error, mentions: [url.lastPathComponent])
            return false
        }
    }

    func testValidImageLoads() throws {
        let url = folder.appendingPathComponent("valid.safetensors")
        XCTAssertTrue(try attempt(validImage().bytes, url))
        XCTAssertEqual(try SafetensorsFile(url: url).tensor("b").storage, [1, .infinity, 0x1p-24])
    }

    func testTruncationAtEveryLengthThroughTheHeader() throws {
        let (bytes, headerEnd) = validImage()
        let url = folder.appendingPathComponent("truncated.safetensors")
        var loaded = 0
        for length in 0..<bytes.count {
            if try attempt(Array(bytes.prefix(length)), url) { loaded += 1 }
            if length < headerEnd { XCTAssertEqual(loaded, 0, "a file cut inside its header must not load") }
        }
        XCTAssertEqual(loaded, 0, "every truncation loses data some tensor needs")
    }

    func testRandomByteCorruption() throws {
        let (bytes, headerEnd) = validImage()
        let url = folder.appendingPathComponent("corrupt.safetensors")
        var generator = SplitMix64(seed: 0x5AFE_7E45)
        var outcomes = (loaded: 0, rejected: 0)
        for round in 0..<400 {
            var corrupt = bytes
            for _ in 0..<(1 + round % 3) {
                // Mostly the header (where parsing happens), sometimes the length or the data.
                let index = Int.random(in: 0..<(round % 5 == 0 ? corrupt.count : headerEnd), using: &generator)
                let interesting: [UInt8] = [0, 0x20, 0x22, 0x2C, 0x2D, 0x30, 0x39, 0x5B, 0x5D, 0x7B, 0x7D, 0xFF]
                corrupt[index] = round % 2 == 0 ? UInt8.random(in: 0...255, using: &generator)
                                                : interesting[Int.random(in: 0..<interesting.count, using: &generator)]
            }
            if try attempt(corrupt, url) { outcomes.loaded += 1 } else { outcomes.rejected += 1 }
        }
        XCTAssertGreaterThan(outcomes.rejected, 0)
        XCTAssertGreaterThan(outcomes.loaded, 0, "some corruptions (e.g. in data or whitespace) still load")
    }
}
