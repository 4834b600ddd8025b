import CGlassboxCairo
import Foundation

/// A colour with components in 0…1.
public struct RGBA: Sendable, Equatable {
    public var red, green, blue, alpha: Double
    public init(_ red: Double, _ green: Double, _ blue: Double, _ alpha: Double = 1) {
        (self.red, self.green, self.blue, self.alpha) = (red, green, blue, alpha)
    }
    public static let white = RGBA(1, 1, 1)
    public static let black = RGBA(0, 0, 0)
}

/// Drawing operations on one Cairo context; the only type that touches Cairo's drawing API.
public struct Canvas {
    let context: OpaquePointer
    public let width: Double
    public let height: Double

    /// Fills a rectangle (points; origin top left).
    public func fill(x: Double, y: Double, width: Double, height: Double, color: RGBA) {
        cairo_set_source_rgba(context, color.red, color.green, color.blue, color.alpha)
        cairo_rectangle(context, x, y, width, height)
        cairo_fill(context)
    }

    /// Writes a picture: `draw` fills a `width × height` canvas, which goes to `url` in the format
    /// its extension names (PNG, SVG or PDF — one drawing code path). The file appears complete or
    /// not at all: drawing goes to a temporary file in the same folder, renamed at the end.
    public static func write(to url: URL, width: Double, height: Double, draw: (Canvas) throws -> Void) throws {
        let format = try OutputFormat(path: url.path)
        guard width >= 1, height >= 1, width <= 32_767, height <= 32_767 else {
            throw RenderError.invalidSize(width: width, height: height)
        }
        let folder = url.deletingLastPathComponent()
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isFolder), isFolder.boolValue else {
            throw RenderError.unwritable(path: url.path, reason: "the folder \(folder.path) does not exist")
        }
        guard FileManager.default.isWritableFile(atPath: folder.path) else {
            throw RenderError.unwritable(path: url.path, reason: "the folder \(folder.path) is not writable")
        }
        let temporary = folder.appendingPathComponent(".\(url.lastPathComponent).\(getpid()).tmp")
        defer { try? FileManager.default.removeItem(at: temporary) }

        let surface: OpaquePointer? = switch format {
        case .png: cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(width.rounded(.up)), Int32(height.rounded(.up)))
        case .svg: cairo_svg_surface_create(temporary.path, width, height)
        case .pdf: cairo_pdf_surface_create(temporary.path, width, height)
        }
        guard let surface else { throw RenderError.cairo(status: "no surface") }
        defer { cairo_surface_destroy(surface) }
        guard let context = cairo_create(surface) else { throw RenderError.cairo(status: "no context") }
        defer { cairo_destroy(context) }

        try draw(Canvas(context: context, width: width, height: height))
        cairo_surface_flush(surface)
        if format == .png {
            let status = cairo_surface_write_to_png(surface, temporary.path)
            guard status == CAIRO_STATUS_SUCCESS else {
                throw RenderError.unwritable(path: url.path, reason: String(cString: cairo_status_to_string(status)))
            }
        }
        cairo_surface_finish(surface)
        let status = cairo_surface_status(surface)
        guard status == CAIRO_STATUS_SUCCESS else {
            throw RenderError.unwritable(path: url.path, reason: String(cString: cairo_status_to_string(status)))
        }
        // rename(2) replaces the destination atomically.
        guard rename(temporary.path, url.path) == 0 else {
            throw RenderError.unwritable(path: url.path, reason: String(cString: strerror(errno)))
        }
    }
}
