import Foundation
import XCTest
import GlassboxTensor
@testable import GlassboxModelIO

/// `WeightMatrix.float32Replacing()`: the copy a folded constant needs at load. Its source's file
/// pages leave the resident set (read here from the mapping's own `Rss` line in /proc/self/smaps),
/// the values read again afterwards are the file's, owned (anonymous) bytes are never advised away
/// (they would come back as zeros), and the source's NaN/±Inf check is settled by the copy.
final class ReplacedMatrixTests: TemporaryFolderTestCase {
    /// Resident kilobytes of this process's mappings of `path` (the smaps `Rss:` lines).
    private func residentKilobytes(of path: String) throws -> Int {
        // (read through a handle: /proc files report size 0, so whole-file reads come back empty)
        let handle = try XCTUnwrap(FileHandle(forReadingAtPath: "/proc/self/smaps"))
        defer { try? handle.close() }
        let smaps = String(decoding: try handle.readToEnd() ?? Data(), as: UTF8.self)
        var total = 0, inside = false
        for line in smaps.split(separator: "\n") {
            if let first = line.first, first.isHexDigit, line.contains("-") {
                inside = line.hasSuffix(path)
            } else if inside, line.hasPrefix("Rss:") {
                total += Int(line.split(separator: " ")[1]) ?? 0
            }
        }
        return total
    }

    func testReplacingGivesBackTheFilePagesAndKeepsTheValues() throws {
        let (rows, columns) = (1024, 2048)                                   // 8 MiB of F32
        let values = (0..<(rows * columns)).map { Float($0 % 1000) - 500 }
        let url = folder.appendingPathComponent("big.safetensors")
        try SafetensorsFile.write([("w", Tensor(shape: [rows, columns], storage: values))], to: url)
        let file = try SafetensorsFile(url: url)
        let matrix = try file.matrix("w")
        let path = url.resolvingSymlinksInPath().path
        XCTAssertEqual(matrix.float32().storage, values)                     // every page touched
        let before = try residentKilobytes(of: path)
        XCTAssertGreaterThan(before, 7 * 1024, "the touched matrix should be resident")
        let copy = matrix.float32Replacing()
        let after = try residentKilobytes(of: path)
        XCTAssertLessThan(after, 64, "\(before) kB resident before, \(after) kB after")
        XCTAssertEqual(copy.storage, values)
        XCTAssertEqual(matrix.float32().storage, values, "the pages read again are the file's")
    }

    func testOwnedBytesAreNotAdvisedAway() throws {
        let values = (0..<(512 * 1024)).map { Float($0 % 977) + 1 }
        let owned = values.withUnsafeBytes { WeightMatrix(rows: 512, columns: 1024, format: .f32, copying: $0) }
        XCTAssertEqual(owned.float32Replacing().storage, values)
        XCTAssertEqual(owned.float32().storage, values, "owned bytes must keep their values")
    }

    func testReplacingSettlesThePendingCheck() throws {
        var values = [Float](repeating: 1, count: 64)
        values[5] = .nan
        values[9] = .infinity
        let url = try write(SafetensorsImage.file(header: SafetensorsImage.header([("w", SafetensorsImage.entry("F32", [8, 8], 0, 256))]),
                                                  data: SafetensorsImage.bytes(values)))
        let file = try SafetensorsFile(url: url)
        let check = WeightCheck(name: "w", file: url.path)
        let matrix = try file.matrix("w").deferringCheck(check)
        XCTAssertTrue(check.isPending)
        _ = matrix.float32Replacing()
        XCTAssertEqual(check.nonFiniteCount, 2)
    }
}
