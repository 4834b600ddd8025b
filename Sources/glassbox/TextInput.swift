import Foundation
import Glassbox

/// Text the user gives that is not valid UTF-8: an error at the first bad byte, unless
/// `--replace-invalid-utf8` asks for U+FFFD in its place.
enum InvalidUTF8: Error, LocalizedError {
    /// Command-line argument `index` (1 = the first after `glassbox`).
    case argument(index: Int, offset: Int, byte: UInt8, preview: String)
    /// A file, at byte `offset`; `replaceable` when the command has `--replace-invalid-utf8` for it
    /// (a corpus), else the message only asks to fix the file (`evaluate --prompts`).
    case file(path: String, offset: Int, byte: UInt8, replaceable: Bool = true)

    var errorDescription: String? {
        switch self {
        case let .argument(index, offset, byte, preview):
            "argument \(index) (\(preview.debugDescription)) is not valid UTF-8: byte \(String(format: "0x%02X", byte)) at byte offset \(offset); fix the text or pass --replace-invalid-utf8 to replace invalid bytes with U+FFFD"
        case let .file(path, offset, byte, replaceable):
            "'\(path)' is not valid UTF-8: byte \(String(format: "0x%02X", byte)) at byte offset \(offset); fix the file"
                + (replaceable ? " or pass --replace-invalid-utf8 to replace invalid bytes with U+FFFD" : "")
        }
    }

    /// The option that turns the check off.
    static let replaceOption = "--replace-invalid-utf8"

    /// Checks the raw bytes of every command-line argument (Swift's `CommandLine.arguments` has
    /// already replaced invalid bytes with U+FFFD, so the check reads `argv` itself). Skipped when
    /// `--replace-invalid-utf8` is among the arguments.
    static func checkArguments() throws {
        let count = Int(CommandLine.argc)
        let raw: [[UInt8]] = (1..<max(count, 1)).map { i in
            guard let pointer = CommandLine.unsafeArgv[i] else { return [] }
            return Array(UnsafeBufferPointer(start: UnsafeRawPointer(pointer).assumingMemoryBound(to: UInt8.self),
                                             count: strlen(pointer)))
        }
        if raw.contains(where: { $0 == Array(replaceOption.utf8) }) { return }
        for (i, bytes) in raw.enumerated() {
            guard let offset = UTF8Validation.firstInvalidOffset(bytes) else { continue }
            let preview = String(decoding: bytes.prefix(40), as: UTF8.self) + (bytes.count > 40 ? "…" : "")
            throw InvalidUTF8.argument(index: i + 1, offset: offset, byte: bytes[offset], preview: preview)
        }
    }
}
