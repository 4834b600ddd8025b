import Foundation
import Glassbox

/// `--prompt-file FILE`: a prompt read from a text file, for prompts longer than one command-line
/// argument may be (Linux caps a single argument at 128 KiB) or awkward to quote.
enum PromptFile {
    /// The largest prompt file read: 16 MiB (millions of tokens, far beyond any model's context).
    static let limitBytes = 16 << 20

    /// The file's text with its trailing line breaks (`\n` or `\r\n`) dropped, as the shell's
    /// `"$(cat FILE)"` drops trailing `\n`s, so `--prompt-file FILE` and `--prompt "$(cat FILE)"` give
    /// the same tokens — except that the `\r` of a trailing `\r\n` goes too, where the shell keeps it. Bytes that are
    /// not valid UTF-8 are an error naming the offset, or U+FFFD with `replaceInvalid`.
    static func read(_ path: String, replaceInvalid: Bool) throws -> String {
        let expanded = (path as NSString).expandingTildeInPath
        let data = try InputFile.read(path: expanded, limit: limitBytes)
        CommandInputs.record(expanded, as: "--prompt-file")
        let bytes = [UInt8](data)
        if !replaceInvalid, let bad = UTF8Validation.firstInvalidOffset(bytes) {
            throw InvalidUTF8.file(path: path, offset: bad, byte: bytes[bad])
        }
        var end = bytes.count
        while end > 0, bytes[end - 1] == UInt8(ascii: "\n") {
            end -= 1
            if end > 0, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        }
        return String(decoding: bytes[..<end], as: UTF8.self)
    }
}
