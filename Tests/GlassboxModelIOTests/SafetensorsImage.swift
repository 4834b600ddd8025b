import Foundation
import XCTest
@testable import GlassboxModelIO

/// Builds safetensors byte images by hand, so tests control every header byte (including hostile
/// ones) without going through the writer under test.
enum SafetensorsImage {
    /// One entry's JSON text; pass raw JSON fragments to make it hostile.
    static func entry(_ dtype: String, _ shape: [Int], _ begin: Int, _ end: Int) -> String {
        entry(dtype: "\"\(dtype)\"", shape: "\(shape)", offsets: "[\(begin), \(end)]")
    }

    /// An entry from raw JSON fragments; `nil` omits the field.
    static func entry(dtype: String?, shape: String?, offsets: String?) -> String {
        var fields: [String] = []
        if let dtype { fields.append("\"dtype\": \(dtype)") }
        if let shape { fields.append("\"shape\": \(shape)") }
        if let offsets { fields.append("\"data_offsets\": \(offsets)") }
        return "{" + fields.joined(separator: ", ") + "}"
    }

    /// `{"name": entry, …}` in the given order.
    static func header(_ entries: [(String, String)]) -> String {
        "{" + entries.map { "\"\($0.0)\": \($0.1)" }.joined(separator: ", ") + "}"
    }

    /// 8-byte length (the header's byte count unless `declaredLength` is given) + header padded
    /// with spaces to a multiple of `padTo` + data.
    static func file(header: String, data: [UInt8] = [], padTo multiple: Int = 8,
                     declaredLength: UInt64? = nil) -> [UInt8] {
        var headerBytes = Array(header.utf8)
        headerBytes += [UInt8](repeating: 0x20, count: (multiple - headerBytes.count % multiple) % multiple)
        let length = declaredLength ?? UInt64(headerBytes.count)
        return withUnsafeBytes(of: length.littleEndian, Array.init) + headerBytes + data
    }

    static func bytes(_ values: [Float]) -> [UInt8] { values.withUnsafeBytes(Array.init) }
    static func bytes<T: BitwiseCopyable>(of values: [T]) -> [UInt8] { values.withUnsafeBytes(Array.init) }
}

/// A fresh temporary folder per test, removed afterwards.
class TemporaryFolderTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("glassbox-modelio-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws {
        if let folder { try? FileManager.default.removeItem(at: folder) }
    }

    /// Writes `bytes` to `name` in the temporary folder.
    @discardableResult
    func write(_ bytes: [UInt8], to name: String = "model.safetensors") throws -> URL {
        let url = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(bytes).write(to: url)
        return url
    }

    /// The `ModelIOError` thrown by `body`; fails the test if it returns or throws something else.
    func modelIOError<T>(file: StaticString = #filePath, line: UInt = #line,
                         _ body: () throws -> T) -> ModelIOError? {
        do {
            _ = try body()
            XCTFail("expected a ModelIOError, got success", file: file, line: line)
        } catch let error as ModelIOError {
            return error
        } catch {
            XCTFail("expected a ModelIOError, got \(error)", file: file, line: line)
        }
        return nil
    }

    /// Asserts that `body` throws exactly `expected` and that its message mentions each of `mentions`.
    func assertThrows<T>(_ expected: ModelIOError, mentions: [String] = [],
                         file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T) {
        guard let error = modelIOError(file: file, line: line, body) else { return }
        XCTAssertEqual(error, expected, file: file, line: line)
        assertMessage(error, mentions: mentions, file: file, line: line)
    }

    /// Asserts the description is one line and contains each of `mentions`.
    func assertMessage(_ error: ModelIOError, mentions: [String],
                       file: StaticString = #filePath, line: UInt = #line) {
        let message = error.errorDescription ?? ""
        XCTAssertFalse(message.isEmpty, file: file, line: line)
        XCTAssertFalse(message.contains("\n"), "message spans lines: \(message)", file: file, line: line)
        for word in mentions {
            XCTAssertTrue(message.contains(word), "'\(message)' does not mention '\(word)'", file: file, line: line)
        }
    }
}
