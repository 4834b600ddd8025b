import Foundation
import Glassbox
#if canImport(Glibc)
import Glibc
#endif

/// A JSONL file read line by line in bounded memory: 64 KiB blocks, and a line longer than
/// `maxLineBytes` is not kept (its bytes are skipped up to the next newline and it is reported as
/// too long), so neither a huge file nor a file without newlines ever sits in memory whole.
struct JSONLReader {
    /// One line of the file.
    enum Line {
        /// The line's bytes (without the newline; a final line without one counts too).
        case bytes([UInt8])
        /// A line over the limit, with its length.
        case tooLong(bytes: Int)
    }

    let path: String
    let maxLineBytes: Int
    /// 1-based number of the line last returned.
    private(set) var lineNumber = 0

    private let fd: Int32
    private var block = [UInt8](repeating: 0, count: 64 << 10)
    private var blockCount = 0, blockIndex = 0
    private var atEnd = false

    init(path: String, maxLineBytes: Int) throws {
        self.path = path
        self.maxLineBytes = maxLineBytes
        fd = try InputFile.openChecked(path)
    }

    func close() { _ = Glibc.close(fd) }

    /// The next line, or nil at the end of the file.
    mutating func next() throws -> Line? {
        var line: [UInt8] = []
        var length = 0
        var sawByte = false
        while true {
            if blockIndex == blockCount {
                if atEnd { break }
                try refill()
                if blockCount == 0 { atEnd = true; break }
            }
            sawByte = true
            let end = block[blockIndex..<blockCount].firstIndex(of: 0x0A)
            let stop = end ?? blockCount
            let count = stop - blockIndex
            if length + count <= maxLineBytes { line.append(contentsOf: block[blockIndex..<stop]) } else { line = [] }
            length += count
            blockIndex = end.map { $0 + 1 } ?? blockCount
            if end != nil { break }
        }
        guard sawByte else { return nil }
        lineNumber += 1
        return length > maxLineBytes ? .tooLong(bytes: length) : .bytes(line)
    }

    private mutating func refill() throws {
        blockIndex = 0
        blockCount = 0
        while true {
            let n = block.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw InputFileError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            blockCount = n
            return
        }
    }
}
