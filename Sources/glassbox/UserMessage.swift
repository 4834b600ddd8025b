import Foundation
import Glassbox

/// A file that cannot be read or written, with the reason in words (never Foundation's text).
struct FileProblem: Error, LocalizedError {
    let path: String
    let reason: String

    var errorDescription: String? { "\(path): \(reason)" }

    /// The reason for `errno` (or a POSIX code), reading or writing.
    static func reason(errno code: Int32, writing: Bool = false) -> String {
        switch code {
        case ENOENT: writing ? "the folder does not exist" : "no such file; check the path"
        case EACCES, EPERM: "permission denied"
        case EISDIR: "it is a folder, not a file"
        case ENOTDIR: "a part of the path is a file, not a folder"
        case EROFS: "the file system is read-only"
        case ENOSPC, EDQUOT: "the disk is full"
        case ENAMETOOLONG: "the name is too long"
        case ELOOP: "too many levels of symbolic links"
        case EFBIG: "the file is too large"
        default: String(cString: strerror(code)).lowercased()
        }
    }
}

/// The one line the user sees for an error: what is wrong and what to do.
enum UserMessage {
    static func line(for error: any Error) -> String {
        let text: String = switch error {
        case let error as ImageError: image(error)
        case is EncodingError: NonFiniteResult().errorDescription!
        case let error as DecodingError: "the JSON does not have the expected shape (\(decodingPath(error)))"
        case let error as CocoaError: cocoa(error)
        case let error as POSIXError: FileProblem.reason(errno: error.code.rawValue)
        case let error as LocalizedError: error.errorDescription ?? "\(error)"
        default: foundation(error as NSError) ?? (isFoundationJSONError(error) ? "not valid JSON" : "\(error)")
        }
        return text.split(whereSeparator: \.isNewline).joined(separator: " ")
    }

    /// Whether `error` is swift-foundation's internal `JSONError` (thrown as it is by
    /// `JSONDecoder` for a bad string or number met while decoding a value), whose description
    /// names Foundation's types; callers that have the bytes say where (`InvalidJSONText`).
    private static func isFoundationJSONError(_ error: any Error) -> Bool {
        String(reflecting: type(of: error)).hasSuffix(".JSONError")
    }

    /// The POSIX reason under a Foundation error, in words.
    static func posixReason(_ error: any Error) -> String? {
        let ns = error as NSError
        if ns.domain == NSPOSIXErrorDomain { return FileProblem.reason(errno: Int32(ns.code)) }
        if let underlying = ns.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return FileProblem.reason(errno: Int32(underlying.code))
        }
        return nil
    }

    private static func cocoa(_ error: CocoaError) -> String {
        foundation(error as NSError) ?? "a file could not be read or written"
    }

    /// Foundation file errors as `PATH: reason`; nil for other domains.
    private static func foundation(_ ns: NSError) -> String? {
        guard ns.domain == NSCocoaErrorDomain || ns.domain == NSPOSIXErrorDomain else { return nil }
        let path = (ns.userInfo[NSFilePathErrorKey] as? String) ?? (ns.userInfo[NSURLErrorKey] as? URL)?.path
        if ns.domain == NSPOSIXErrorDomain {
            let reason = FileProblem.reason(errno: Int32(ns.code))
            return path.map { "\($0): \(reason)" } ?? reason
        }
        let reason: String = switch CocoaError.Code(rawValue: ns.code) {
        case .fileNoSuchFile, .fileReadNoSuchFile: FileProblem.reason(errno: ENOENT)
        case .fileReadNoPermission, .fileWriteNoPermission: FileProblem.reason(errno: EACCES)
        case .fileReadInapplicableStringEncoding, .fileWriteInapplicableStringEncoding: "not UTF-8 text"
        case .fileWriteVolumeReadOnly: FileProblem.reason(errno: EROFS)
        case .fileWriteOutOfSpace: FileProblem.reason(errno: ENOSPC)
        case .fileReadTooLarge: "the file is too large"
        case .propertyListReadCorrupt: "not valid JSON"
        default: posixReason(ns) ?? "cannot be read or written"
        }
        return path.map { "\($0): \(reason)" } ?? reason
    }

    /// libpng's messages in words: a truncated or damaged file, or an image over the size limit.
    private static func image(_ error: ImageError) -> String {
        guard case .unreadable(let file, let reason) = error else { return error.errorDescription ?? "\(error)" }
        var info = stat()
        if stat(file, &info) != 0 { return FileProblem(path: file, reason: FileProblem.reason(errno: errno)).errorDescription! }
        if info.st_mode & S_IFMT == S_IFDIR { return "\(file): it is a folder, not a PNG file" }
        if reason.contains("bad signature") { return "\(file) is not a PNG file; --image reads PNG images" }
        if reason.contains("IHDR") || reason.contains("exceeds"), let (width, height) = pngSize(file),
           width > 1 << 15 || height > 1 << 15 {
            return "image \(width)×\(height) (\(file)) is larger than the limit of \(1 << 15) pixels a side; scale it down"
        }
        if reason.contains("out of memory") { return "\(file): not enough memory to decode the image; scale it down" }
        if reason.contains("cannot open") { return "\(file): cannot open it (\(FileProblem.reason(errno: EACCES)))" }
        return "\(file) is not a readable PNG: \(pngDamage(reason))"
    }

    /// What libpng's `reason` says is wrong, in words (libpng's own text names chunks and zlib
    /// internals); "truncated" only when the data ran out.
    private static func pngDamage(_ reason: String) -> String {
        let lower = reason.lowercased()
        if lower.contains("read error") || lower.contains("not enough image data") || lower.contains("unexpected end") {
            return "it ends early (truncated)"
        }
        if lower.contains("crc error") { return "a chunk's checksum does not match (the file is damaged)" }
        if lower.contains("plte") { return "it is a palette image without its palette, or with a broken one" }
        if lower.contains("ihdr") || lower.contains("bit depth") || lower.contains("color type") {
            return "its header is invalid (an impossible bit depth, colour type or size)"
        }
        if lower.contains("idat") || lower.contains("zlib") || lower.contains("invalid") || lower.contains("incorrect")
            || lower.contains("too far back") || lower.contains("too much") {
            return "its compressed image data is damaged"
        }
        return "it is damaged or uses a feature libpng cannot read"
    }

    /// Width and height from a PNG's IHDR chunk (bytes 16..<24).
    private static func pngSize(_ file: String) -> (Int, Int)? {
        guard let handle = FileHandle(forReadingAtPath: file), let head = try? handle.read(upToCount: 24), head.count == 24 else {
            return nil
        }
        try? handle.close()
        let bytes = Array(head)
        let number = { (i: Int) in bytes[i..<(i + 4)].reduce(0) { $0 << 8 | Int($1) } }
        return (number(16), number(20))
    }

    private static func decodingPath(_ error: DecodingError) -> String {
        let (context, what): (DecodingError.Context, String) = switch error {
        case .typeMismatch(_, let c): (c, "wrong type")
        case .valueNotFound(_, let c): (c, "missing value")
        case .keyNotFound(let key, let c): (c, "missing key '\(key.stringValue)'")
        case .dataCorrupted(let c): (c, "not valid JSON")
        @unknown default: (DecodingError.Context(codingPath: [], debugDescription: ""), "unreadable")
        }
        let path = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? "." + $0.stringValue }.joined()
        return path.isEmpty ? what : "\(what) at \(path.hasPrefix(".") ? String(path.dropFirst()) : path)"
    }
}
