import Foundation
import XCTest
@testable import GlassboxModelIO

/// A header of more tensors than ``SafetensorsFile/maxTensorCount`` is refused before its entries
/// are parsed (before the JSON is, past one object more than the limit); bytes after the last tensor are refused, as the reference library does.
final class SafetensorsLimitsTests: TemporaryFolderTestCase {
    func testTooManyTensorsAreRefusedBeforeParsing() throws {
        let count = SafetensorsFile.maxTensorCount + 1
        let entries = (0..<count).map { ("t\($0)", SafetensorsImage.entry("F32", [1], 4 * $0, 4 * $0 + 4)) }
        let url = try write(SafetensorsImage.file(header: SafetensorsImage.header(entries),
                                                  data: [UInt8](repeating: 0, count: 4 * count)))
        assertThrows(.tooManyTensors(file: url.path, count: count), mentions: ["\(count) tensors"]) {
            try SafetensorsFile(url: url)
        }
    }

    /// The header `text` parsed with a limit of `limit` tensors.
    private func header(_ text: String, dataSize: Int, limit: Int) throws -> SafetensorsHeader {
        try Array(text.utf8).withUnsafeBytes {
            try SafetensorsHeader(bytes: $0, dataSize: dataSize, file: "h", maxTensorCount: limit)
        }
    }

    /// Entries `t0`… of one F32 each, `key` spelling their offsets' key.
    private func entries(_ count: Int, key: String = "data_offsets") -> [(String, String)] {
        (0..<count).map { ("t\($0)", #"{"dtype": "F32", "shape": [1], "\#(key)": [\#(4 * $0), \#(4 * $0 + 4)]}"#) }
    }

    /// At the limit (5 here, ``SafetensorsFile/maxTensorCount`` in use) a header loads, with
    /// `__metadata__` too; one tensor more is refused, whichever way the keys are spelled.
    func testAtTheLimitItLoadsAndOneMoreIsRefused() throws {
        let limit = 5
        XCTAssertEqual(try header(SafetensorsImage.header(entries(limit)), dataSize: 4 * limit, limit: limit).entries.count, limit)
        let withMetadata = [("__metadata__", #"{"format": "pt"}"#)] + entries(limit)
        XCTAssertEqual(try header(SafetensorsImage.header(withMetadata), dataSize: 4 * limit, limit: limit).entries.count, limit)
        for key in ["data_offsets", #"data\u005foffsets"#] {
            assertThrows(.tooManyTensors(file: "h", count: limit + 1), mentions: ["\(limit + 1) tensors"]) {
                try header(SafetensorsImage.header(entries(limit + 1, key: key)), dataSize: 4 * (limit + 1), limit: limit)
            }
        }
        // Two objects more are refused before parsing: the broken end is never read.
        assertThrows(.tooManyTensors(file: "h", count: limit + 2)) {
            try header(SafetensorsImage.header(entries(limit + 2, key: #"data\u005foffsets"#)) + ",,", dataSize: 0, limit: limit)
        }
        // A `{` inside a string (a name, an escaped quote before it) is no object.
        let braces = [(#"{\"{"#, SafetensorsImage.entry("F32", [1], 0, 4))]
        XCTAssertEqual(Array(SafetensorsImage.header(braces).utf8).withUnsafeBytes(SafetensorsHeader.nestedObjectCount), 1)
    }

    /// The count does not look for the key's text: `data\u005foffsets` is `data_offsets` once
    /// decoded, and the entries spelled so are refused too.
    func testTooManyTensorsWithEscapedKeysAreRefused() throws {
        let count = SafetensorsFile.maxTensorCount + 1
        let entries = (0..<count).map { ("t\($0)", #"{"dtype": "F32", "shape": [1], "data\u005foffsets": [\#(4 * $0), \#(4 * $0 + 4)]}"#) }
        let url = try write(SafetensorsImage.file(header: SafetensorsImage.header(entries),
                                                  data: [UInt8](repeating: 0, count: 4 * count)))
        assertThrows(.tooManyTensors(file: url.path, count: count), mentions: ["\(count) tensors"]) {
            try SafetensorsFile(url: url)
        }
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

    /// Bytes between tensors, or before the first, belong to no tensor: the `safetensors` library
    /// refuses such a file ("invalid offset", its `validate` wants each tensor to start where the
    /// previous one ends), and so does Glassbox; an empty tensor inside another's bytes too.
    func testBytesBetweenTensorsAreRefused() throws {
        let gap = SafetensorsImage.header([("a", SafetensorsImage.entry("F32", [2], 0, 8)), ("b", SafetensorsImage.entry("F32", [1], 16, 20))])
        let url = try write(SafetensorsImage.file(header: gap, data: [UInt8](repeating: 0, count: 20)))
        assertThrows(.gapBeforeTensor(file: url.path, tensor: "b", start: 16, previousEnd: 8, previous: "a"),
                     mentions: ["8 byte(s) at data offsets 8..<16 belong to no tensor (between 'a' and 'b')"]) {
            try SafetensorsFile(url: url)
        }
        let leading = SafetensorsImage.header([("a", SafetensorsImage.entry("F32", [1], 4, 8))])
        let first = try write(SafetensorsImage.file(header: leading, data: [UInt8](repeating: 0, count: 8)), to: "leading.safetensors")
        assertThrows(.gapBeforeTensor(file: first.path, tensor: "a", start: 4, previousEnd: 0, previous: nil), mentions: ["before the first tensor"]) {
            try SafetensorsFile(url: first)
        }
        let inside = SafetensorsImage.header([("a", SafetensorsImage.entry("F32", [2], 0, 8)), ("e", SafetensorsImage.entry("F32", [0], 4, 4))])
        let empty = try write(SafetensorsImage.file(header: inside, data: [UInt8](repeating: 0, count: 8)), to: "empty.safetensors")
        XCTAssertThrowsError(try SafetensorsFile(url: empty))
        // Out of order in the header but end to end in the data: loads (sorted by offset, as the library does).
        let shuffled = SafetensorsImage.header([("z", SafetensorsImage.entry("F32", [1], 0, 4)), ("a", SafetensorsImage.entry("F32", [1], 4, 8)),
                                                ("e", SafetensorsImage.entry("F32", [0], 8, 8))])
        let fine = try write(SafetensorsImage.file(header: shuffled, data: [UInt8](repeating: 0, count: 8)), to: "fine.safetensors")
        XCTAssertEqual(try SafetensorsFile(url: fine).tensorNames.sorted(), ["a", "e", "z"])
    }
}
