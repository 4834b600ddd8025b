import Foundation
import Glassbox
#if canImport(Glibc)
import Glibc
#endif

/// A corpus file read paragraph by paragraph (blank-line separated) in bounded memory, whatever
/// its line structure: the file is read in 64 KiB blocks and a paragraph is handed out in pieces of
/// at most ``InputLimits/corpusWindowBytes`` bytes (cut at a character boundary), so a file with no
/// blank lines, or no newlines at all, never sits in memory whole.
struct CorpusReader {
    let path: String
    /// Replace invalid UTF-8 with U+FFFD instead of stopping at the first bad byte.
    let replaceInvalidUTF8: Bool
    /// Paragraphs longer than ``InputLimits/corpusWindowBytes`` (handed out in several pieces).
    private(set) var longParagraphs = 0

    private let fd: Int32
    private var block = [UInt8](repeating: 0, count: 64 << 10)
    private var blockCount = 0, blockIndex = 0
    private var fileOffset = 0              // file offset of block[blockIndex]
    private var atEnd = false

    init(path: String, replaceInvalidUTF8: Bool) throws {
        self.path = path
        self.replaceInvalidUTF8 = replaceInvalidUTF8
        fd = try InputFile.openChecked(path)
        CommandInputs.record(path, as: "--corpus file")
    }

    func close() { _ = Glibc.close(fd) }

    /// The next non-empty paragraph (or piece of a long one), whitespace trimmed; nil at the end.
    mutating func next() throws -> String? {
        while true {
            guard let (bytes, start, _) = try nextPiece() else { return nil }
            if let bad = UTF8Validation.firstInvalidOffset(bytes), !replaceInvalidUTF8 {
                throw InvalidUTF8.file(path: path, offset: start + bad, byte: bytes[bad])
            }
            let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            if !text.isEmpty { return text }
        }
    }

    /// Bytes up to the next blank line ("\n\n") or the window size, with their file offset.
    private mutating func nextPiece() throws -> (bytes: [UInt8], start: Int, cut: Bool)? {
        let limit = InputLimits.corpusWindowBytes
        var piece = carry
        carry.removeAll()
        let start = fileOffset - piece.count
        var previous: UInt8 = piece.last ?? 0
        while let byte = try nextByte() {
            if byte == 0x0A && previous == 0x0A {
                piece.removeLast()                      // the first newline of the separator
                paragraphContinues = false
                return (piece, start, false)
            }
            piece.append(byte)
            previous = byte
            if piece.count >= limit {
                // Cut before a character that may be incomplete: carry it into the next piece.
                var keep = piece.count, back = 0
                while back < 3, keep > 0, piece[keep - 1] & 0xC0 == 0x80 { keep -= 1; back += 1 }
                if keep > 0, piece[keep - 1] >= 0xC0 { keep -= 1 } else { keep = piece.count }
                carry = Array(piece[keep...])
                piece.removeSubrange(keep...)
                if !paragraphContinues { longParagraphs += 1 }
                paragraphContinues = true
                return (piece, start, true)
            }
        }
        paragraphContinues = false
        return piece.isEmpty ? nil : (piece, start, false)
    }

    /// Bytes of a cut paragraph that belong to its next piece (an incomplete character).
    private var carry: [UInt8] = []
    /// The last piece was cut inside a paragraph.
    private var paragraphContinues = false

    private mutating func nextByte() throws -> UInt8? {
        if blockIndex == blockCount {
            if atEnd { return nil }
            let n = block.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { return try nextByte() }
                throw InputFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
            }
            if n == 0 { atEnd = true; return nil }
            (blockCount, blockIndex) = (n, 0)
        }
        defer { blockIndex += 1; fileOffset += 1 }
        return block[blockIndex]
    }
}
