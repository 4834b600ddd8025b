import CGlassboxCairo
import Foundation
import GlassboxFiles

extension Canvas {
    /// The most pixels a PNG may have (2²⁸, a 1 GiB ARGB surface; a 16,384-token strip at scale 2
    /// is 70 million): checked before the surface is allocated, so a huge picture is a clear error,
    /// not gigabytes of memory.
    public static let maximumPixels = 1 << 28

    /// The longest side of a PNG, in points and in pixels at its scale: pixman's image limit.
    public static let maximumRasterSide = 32_767

    /// The memory of a PNG's drawing surface for a picture of `points` square points at `scale`
    /// pixels per point (4 bytes a pixel), at most that of the largest surface drawn
    /// (`maximumPixels`; larger pictures are refused before drawing).
    public static func pngSurfaceBytes(points: Double, scale: Double) -> Int {
        4 * Int(min(points * scale * scale, Double(maximumPixels)).rounded(.up))
    }

    /// The longest side of an SVG or PDF picture in points. Cairo keeps coordinates as 24.8
    /// fixed-point numbers, so they end at 2²³ = 8,388,608 points: with Cairo 1.16 a line 10
    /// points above the bottom of a 9,000,000-point SVG page wraps to y = −7,777,226, and strokes
    /// within about 100 points of 2²³ are dropped; pages of 8,388,000 points are drawn whole.
    /// Nothing else bounds a vector page (Acrobat shows at most 14,400 points a side; poppler,
    /// pdf.js and browsers show larger pages).
    public static let maximumVectorSide = 8_000_000

    /// Writes a picture: `draw` fills a `width × height` point canvas, which goes to `url` in the
    /// format its extension names (PNG, SVG or PDF — one drawing code path). PNGs have
    /// `scale` pixels per point; SVG and PDF are vector and measured in points.
    ///
    /// The file appears complete or not at all: drawing goes to a temporary file in the same
    /// folder, renamed over `url` at the end (rename(2) is atomic); on any error the temporary
    /// file is removed and `url` is untouched.
    @discardableResult
    public static func write(to url: URL, width: Double, height: Double, scale: Double = 1,
                             draw: (Canvas) throws -> Void) throws -> RenderReport {
        try write(to: url, width: width, pageHeights: [height], scale: scale) { canvas, _ in try draw(canvas) }
    }

    /// Writes a picture of several pages, `width × pageHeights[k]` points each: `draw` fills page
    /// `k` (called once per page, in order). Only a PDF holds more than one page; for PNG and SVG
    /// `pageHeights` must have one entry. Atomic, like `write(to:width:height:scale:draw:)`.
    @discardableResult
    public static func write(to url: URL, width: Double, pageHeights: [Double], scale: Double = 1,
                             draw: (Canvas, Int) throws -> Void) throws -> RenderReport {
        let format = try OutputFormat(path: url.path)
        guard let height = pageHeights.first, format == .pdf || pageHeights.count == 1 else {
            throw RenderError.invalidInput("\(pageHeights.count) pages: only a PDF has pages other than one")
        }
        // Points are bounded by Cairo's coordinates; a PNG's pixels are checked below, with the scale.
        let side = Double(maximumVectorSide)
        for height in pageHeights {
            guard width >= 1, height >= 1, width <= side, height <= side, width.isFinite, height.isFinite else {
                throw RenderError.invalidSize(width: width, height: height)
            }
        }
        guard scale > 0, scale <= 16 else { throw RenderError.invalidScale(scale) }
        // A PNG's size in pixels (the first page's: PNGs have one); the scale means nothing to SVG and PDF.
        let (pixelWidth, pixelHeight) = ((width * scale).rounded(.up), (height * scale).rounded(.up))
        if format == .png {
            guard pixelWidth <= Double(maximumRasterSide), pixelHeight <= Double(maximumRasterSide) else {
                throw RenderError.tooLargeAtScale(width: width, height: height, scale: scale)
            }
            if Int(pixelWidth) * Int(pixelHeight) > maximumPixels {
                throw RenderError.tooManyPixels(width: Int(pixelWidth), height: Int(pixelHeight))
            }
        }
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder) else {
            throw RenderError.unwritable(path: url.path, reason: "the folder \(folder.path) does not exist")
        }
        guard isFolder.boolValue else {
            throw RenderError.unwritable(path: url.path, reason: "\(folder.path) is a file, not a folder")
        }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw RenderError.unwritable(path: url.path, reason: "the folder \(folder.path) is not writable")
        }
        if FileManager.default.fileExists(atPath: url.path, isDirectory: &isFolder), isFolder.boolValue {
            throw RenderError.unwritable(path: url.path, reason: "it is a folder")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).\(UUID().uuidString.prefix(8)).tmp")
        let registration = TemporaryFiles.register(temporary.path)    // removed on SIGINT/SIGTERM too
        defer {
            try? FileManager.default.removeItem(at: temporary)
            TemporaryFiles.unregister(registration)
        }

        let surface: OpaquePointer? = switch format {
        case .png: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(pixelWidth), Int32(pixelHeight))
        case .svg: cairo_svg_surface_create(temporary.path, width, height)
        case .pdf: cairo_pdf_surface_create(temporary.path, width, height)
        }
        guard let surface else { throw RenderError.cairo(status: "no surface") }
        defer { cairo_surface_destroy(surface) }
        try check(cairo_surface_status(surface), url)
        if format == .pdf { cairo_pdf_surface_set_metadata(surface, CAIRO_PDF_METADATA_CREATOR, "Glassbox") }
        guard let context = cairo_create(surface) else { throw RenderError.cairo(status: "no context") }
        defer { cairo_destroy(context) }
        if format == .png { cairo_scale(context, scale, scale) }
        TextEngine.configure(context)

        let log = RenderLog()
        for (page, pageHeight) in pageHeights.enumerated() {
            if format == .pdf { cairo_pdf_surface_set_size(surface, width, pageHeight) }
            try draw(Canvas(context: context, log: log, width: width, height: pageHeight), page)
            try check(cairo_status(context), url)
            if format == .pdf && page < pageHeights.count - 1 { cairo_show_page(context) }
        }
        cairo_surface_flush(surface)
        if format == .png { try check(cairo_surface_write_to_png(surface, temporary.path), url) }
        cairo_surface_finish(surface)
        try check(cairo_surface_status(surface), url)
        guard rename(temporary.path, url.path) == 0 else {
            throw RenderError.unwritable(path: url.path, reason: String(cString: strerror(errno)))
        }
        return RenderReport(url: url, format: format, size: Size(width: width, height: height),
                            scale: format == .png ? scale : 1, warnings: log.warnings)
    }

    private static func check(_ status: cairo_status_t, _ url: URL) throws {
        guard status == CAIRO_STATUS_SUCCESS else {
            let reason = String(cString: cairo_status_to_string(status))
            if status == CAIRO_STATUS_WRITE_ERROR || status == CAIRO_STATUS_FILE_NOT_FOUND {
                throw RenderError.unwritable(path: url.path, reason: reason)
            }
            throw RenderError.cairo(status: reason)
        }
    }
}
