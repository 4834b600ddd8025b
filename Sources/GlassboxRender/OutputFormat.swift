import Foundation

/// Picture formats, chosen by the output file's extension.
public enum OutputFormat: String, Sendable, CaseIterable {
    /// PNG raster (at a scale in pixels per point), SVG or PDF vector.
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
    /// The path's extension is not `.png`, `.svg` or `.pdf`.
    case unsupportedExtension(String)
    /// The file cannot be created or written.
    case unwritable(path: String, reason: String)
    /// Cairo reported an error while drawing; `status` is its message.
    case cairo(status: String)
    /// The picture's size in points is outside 1…8,000,000 a side (`Canvas.maximumVectorSide`;
    /// a PNG is further bounded in pixels: `tooLargeAtScale`).
    case invalidSize(width: Double, height: Double)
    /// The PNG scale is outside 0 < scale ≤ 16.
    case invalidScale(Double)
    /// A picture of `width`×`height` points has a side of more than 32767 pixels at `scale`
    /// pixels per point: the picture is too big (whatever chose the scale).
    case tooLargeAtScale(width: Double, height: Double, scale: Double)
    /// The figure's input is inconsistent (shapes, counts, empty data); the text says how.
    case invalidInput(String)
    /// A PNG of this many pixels would need more memory than `Canvas.maximumPixels` allows.
    case tooManyPixels(width: Int, height: Int)

    /// One readable line saying what to change.
    public var errorDescription: String? {
        switch self {
        case .unsupportedExtension(let path):
            "cannot tell the picture format of '\(path)'; use a .png, .svg or .pdf file name (or .html for an interactive page)"
        case .unwritable(let path, let reason):
            "cannot write \(path): \(reason)"
        case .cairo(let status):
            "drawing failed: \(status)"
        case .invalidSize(let w, let h):
            String(format: "a picture of %.0f×%.0f points cannot be drawn (1…8000000 points a side, and at most 32767 pixels a side in a PNG); draw fewer items (--top K), or write a .pdf", w, h)
        case .invalidScale(let s):
            "a PNG scale of \(s) pixels per point cannot be used (0 < scale ≤ 16)"
        case .tooLargeAtScale(let w, let h, let s):
            String(format: "the picture is %.0f×%.0f points, %.0f×%.0f pixels at %g pixels per point: more than a PNG's 32767 pixels a side; draw fewer items, or write a .pdf or .svg file",
                   w, h, (w * s).rounded(.up), (h * s).rounded(.up), s)
        case .invalidInput(let why):
            "cannot draw this figure: \(why)"
        case .tooManyPixels(let w, let h):
            String(format: "a PNG of %d×%d pixels would take %.1f GB of memory to draw (at most %d million pixels); use a smaller --scale, a .pdf or .svg file, or fewer items (--top K for long explanations)",
                   w, h, Double(w) * Double(h) * 4 / 1e9, Canvas.maximumPixels / 1_000_000)
        }
    }
}
