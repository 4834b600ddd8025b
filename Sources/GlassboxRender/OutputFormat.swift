import Foundation

/// Picture formats, chosen by the output file's extension.
public enum OutputFormat: String, Sendable, CaseIterable {
    case png, svg, pdf

    /// The format a path's extension names (any case); any other extension is an error.
    public init(path: String) throws {
        let ext = (path as NSString).pathExtension.lowercased()
        guard let format = OutputFormat(rawValue: ext) else { throw RenderError.unsupportedExtension(path) }
        self = format
    }
}

/// Why a picture could not be drawn or written.
public enum RenderError: Error, LocalizedError, Equatable {
    case unsupportedExtension(String)
    case unwritable(path: String, reason: String)
    case cairo(status: String)
    case invalidSize(width: Double, height: Double)
    case invalidScale(Double)
    /// The figure's input is inconsistent (shapes, counts, empty data); the text says how.
    case invalidInput(String)

    public var errorDescription: String? {
        switch self {
        case .unsupportedExtension(let path):
            "cannot tell the picture format of '\(path)'; use a .png, .svg or .pdf file name"
        case .unwritable(let path, let reason):
            "cannot write \(path): \(reason)"
        case .cairo(let status):
            "drawing failed: \(status)"
        case .invalidSize(let w, let h):
            "a picture of \(w)×\(h) points cannot be drawn (1…32767 points a side)"
        case .invalidScale(let s):
            "a PNG scale of \(s) pixels per point cannot be used (0 < scale ≤ 16, at most 32767 pixels a side)"
        case .invalidInput(let why):
            "cannot draw this figure: \(why)"
        }
    }
}
