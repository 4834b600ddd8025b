import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

#if canImport(Glibc)
private let systemRead = Glibc.read
#elseif canImport(Darwin)
private let systemRead = Darwin.read
#endif

/// The one gate every file the tools read goes through: the path must name a regular file
/// (symbolic links followed) before it is opened, so a FIFO, a device, a socket or a folder is a
/// clear error instead of a hang or a read of endless data; and what is read in whole has a
/// stated size limit.
///
/// ```swift
/// let data = try InputFile.read(url, limit: InputLimits.configFileBytes)   // checked, bounded
/// try InputFile.requireRegularFile(path)                                     // before a C reader opens it
/// ```
public enum InputFile {
    /// Checks that `path` exists and is a regular file (after following symbolic links) and
    /// returns its size in bytes. Throws ``InputFileError/notFound(path:)`` or
    /// ``InputFileError/notRegularFile(path:kind:)``; never opens the file.
    @discardableResult
    public static func requireRegularFile(_ path: String) throws -> Int {
        var info = stat()
        guard stat(path, &info) == 0 else {
            let code = errno
            if code == ENOENT || code == ENOTDIR { throw InputFileError.notFound(path: path) }
            throw InputFileError.unreadable(path: path, reason: String(cString: strerror(code)))
        }
        guard (info.st_mode & S_IFMT) == S_IFREG else {
            throw InputFileError.notRegularFile(path: path, kind: kind(of: info.st_mode))
        }
        return Int(info.st_size)
    }

    /// The whole contents of the regular file at `url`, at most `limit` bytes (a larger file is
    /// ``InputFileError/tooLarge(path:size:limit:)`` before anything is read). The file is
    /// opened non-blocking and checked again after opening, so a file swapped for a FIFO between
    /// the check and the open cannot hang the reader.
    public static func read(_ url: URL, limit: Int) throws -> Data {
        try read(path: url.path, limit: limit)
    }

    /// ``read(_:limit:)`` for a path.
    public static func read(path: String, limit: Int) throws -> Data {
        let size = try requireRegularFile(path)
        guard size <= limit else { throw InputFileError.tooLarge(path: path, size: size, limit: limit) }
        let fd = try openChecked(path)
        defer { close(fd) }
        var data = Data(count: size)
        var filled = 0
        let failure: Int32? = data.withUnsafeMutableBytes { raw -> Int32? in
            while filled < size {
                let n = systemRead(fd, raw.baseAddress! + filled, size - filled)
                if n < 0 { if errno == EINTR { continue }; return errno }
                if n == 0 { break }
                filled += n
            }
            return nil
        }
        if let failure { throw InputFileError.unreadable(path: path, reason: String(cString: strerror(failure))) }
        data.count = filled
        return data
    }

    /// ``read(_:limit:)`` for a JSON document: also refuses nesting deeper than
    /// ``InputLimits/jsonDepth`` (with ``InputFileError/jsonTooDeep(path:limit:)``), so no parser
    /// recurses without bound, and, for a file Python's `json` reads (`pythonSyntax`), what it
    /// refuses and a lenient reader would accept (``PythonJSONSyntax``). The bytes are returned
    /// unparsed.
    public static func readJSON(_ url: URL, limit: Int, pythonSyntax: Bool = false) throws -> Data {
        let data = try read(url, limit: limit)
        try checkJSONText(data, path: url.path, pythonSyntax: pythonSyntax)
        return data
    }

    /// Throws ``InputFileError/jsonTooDeep(path:limit:)`` when arrays and objects in `data` nest
    /// deeper than `limit` (brackets inside strings are not counted) and, with `pythonSyntax`,
    /// ``InputFileError/pythonRefuses(path:line:column:problem:)`` at the first construct
    /// ``PythonJSONSyntax`` refuses. One pass over ``JSONLexer``'s tokens.
    public static func checkJSONText(_ data: Data, path: String, limit: Int = InputLimits.jsonDepth,
                                     pythonSyntax: Bool = false) throws {
        let bytes = [UInt8](data)
        var lexer = JSONLexer(bytes)
        var rule = PythonJSONSyntax.Rule()
        var depth = 0
        while case let token = lexer.next(), token.kind != .end {
            switch token.kind {
            case .beginArray, .beginObject:
                depth += 1
                if depth > limit { throw InputFileError.jsonTooDeep(path: path, limit: limit) }
            case .endArray, .endObject: depth -= 1
            default: break
            }
            if pythonSyntax, let refusal = rule.check(token) { throw PythonJSONSyntax.error(refusal, path: path, in: bytes) }
        }
    }

    /// Opens `path` for reading (after ``requireRegularFile(_:)``), non-blocking, and checks the
    /// opened descriptor is a regular file too; returns a blocking descriptor the caller closes.
    public static func openChecked(_ path: String) throws -> Int32 {
        try requireRegularFile(path)
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else {
            throw InputFileError.unreadable(path: path, reason: String(cString: strerror(errno)))
        }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            let mode = info.st_mode
            close(fd)
            throw InputFileError.notRegularFile(path: path, kind: kind(of: mode))
        }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        return fd
    }

    /// What a file type is, in words: `"a folder"`, `"a FIFO (named pipe)"`, ….
    static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFDIR: "a folder"
        case S_IFIFO: "a FIFO (named pipe)"
        case S_IFCHR: "a character device"
        case S_IFBLK: "a block device"
        case S_IFSOCK: "a socket"
        case S_IFLNK: "a symbolic link"
        default: "not a regular file"
        }
    }
}

/// Why an input file was refused. Every case names the path.
public enum InputFileError: Error, LocalizedError, Equatable, Sendable {
    /// Nothing at the path.
    case notFound(path: String)
    /// The path is a folder, FIFO, device or socket, not a regular file (`kind` says which).
    case notRegularFile(path: String, kind: String)
    /// The file is larger than what this kind of file may be.
    case tooLarge(path: String, size: Int, limit: Int)
    /// A JSON document nests arrays and objects deeper than `limit`.
    case jsonTooDeep(path: String, limit: Int)
    /// Opening or reading failed (`reason` is the system's message).
    case unreadable(path: String, reason: String)
    /// A JSON file Python reads is not plain UTF-8 (`problem` from ``PythonJSONEncoding``).
    case notPlainUTF8(path: String, problem: String)
    /// A JSON file Python reads holds what Python's `json` refuses (`problem`: "trailing comma",
    /// "comment"; ``PythonJSONSyntax``), at `line`:`column` (1-based, columns in bytes).
    case pythonRefuses(path: String, line: Int, column: Int, problem: String)

    /// One line naming the path and the limit or file type.
    public var errorDescription: String? {
        switch self {
        case .notFound(let path):
            "\(path): no such file; check the path"
        case .notRegularFile(let path, let kind):
            "'\(path)' is \(kind), not a regular file; Glassbox reads inputs only from regular files"
        case .tooLarge(let path, let size, let limit):
            "'\(path)' is \(size) bytes, over the limit of \(limit) bytes (\(InputLimits.describe(bytes: limit))) for this kind of file"
        case .jsonTooDeep(let path, let limit):
            "'\(path)': JSON nests deeper than the limit of \(limit) levels"
        case .unreadable(let path, let reason):
            "cannot read '\(path)': \(reason)"
        case .notPlainUTF8(let path, let problem):
            "\(path) \(problem)"
        case .pythonRefuses(let path, let line, let column, let problem):
            "\(path):\(line):\(column): \(problem) (Python's json refuses it)"
        }
    }
}
