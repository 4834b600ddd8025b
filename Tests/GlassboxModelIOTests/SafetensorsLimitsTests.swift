import Foundation
import XCTest
@testable import GlassboxModelIO

/// A header of more tensors than ``SafetensorsFile/maxTensorCount`` is refused before it is
/// parsed; bytes after the last tensor are refused, as the reference library does.
final class SafetensorsLimitsTests: TemporaryFolderTestCase {
    func testTooManyTensorsAreRefusedBeforeParsing() throws {
        let count = SafetensorsFile.maxTensorCount + 1
        let entries = (0..<count).map { ("t\($0)", SafetensorsImage.entry("F32", [1], 4 * $0, 4 * $0 + 4)) }
        let url = try write(SafetensorsImage.file(header: SafetensorsImage.header(entries),
                                                  data: [UInt8](repeating: 0, count: 4 * count)))
        assertThrows(.tooManyTensors(file: url.path, count: count), mentions: ["\(count) tensors"]) {
            try SafetensorsFile(url: url)
        }
        // At the limit it loads.
        let fewer = Array(entries.prefix(1000))
        let ok = try write(SafetensorsImage.file(header: SafetensorsImage.header(fewer), data: [UInt8](repeating: 0, count: 4000)),
                           to: "ok.safetensors")
        XCTAssertEqual(try SafetensorsFile(url: ok).tensorNames.count, 1000)
    }

    func testBytesAfterTheLastTensorAreRefused() throws {
        let header = SafetensorsImage.header([("a", SafetensorsImage.entry("F32", [2], 0, 8))])
        let url = try write(SafetensorsImage.file(header: header, data: [UInt8](repeating: 0, count: 12)))
        assertThrows(.trailingBytes(file: url.path, dataEnd: 8, dataSize: 12), mentions: ["4 byte(s) after the last tensor"]) {
            try SafetensorsFile(url: url)
        }
        let exact = try write(SafetensorsImage.file(header: header, data: [UInt8](repeating: 0, count: 8)), to: "exact.safetensors")
        XCTAssertEqual(try SafetensorsFile(url: exact).tensorNames, ["a"])
    }
}
