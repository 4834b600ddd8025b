import CGlassboxCairo
import Foundation

/// A small RGBA picture built in memory (matrix cells, upsampled score maps), drawn as one
/// image so adjacent cells never show hairline seams in SVG or PDF viewers.
struct Raster {
    let width: Int
    let height: Int
    /// Premultiplied ARGB32, row-major, top row first (Cairo's in-memory format).
    private(set) var pixels: [UInt32]

    init(width: Int, height: Int) {
        (self.width, self.height) = (width, height)
        pixels = Array(repeating: 0, count: width * height)
    }

    /// A raster with each pixel's colour from `color(x, y)`.
    init(width: Int, height: Int, color: (Int, Int) -> RGBA) {
        self.init(width: width, height: height)
        for y in 0..<height { for x in 0..<width { self[x, y] = color(x, y) } }
    }

    subscript(x: Int, y: Int) -> RGBA {
        get {
            let p = pixels[y * width + x]
            let a = Double(p >> 24) / 255
            guard a > 0 else { return .clear }
            return RGBA(Double((p >> 16) & 0xFF) / 255 / a, Double((p >> 8) & 0xFF) / 255 / a, Double(p & 0xFF) / 255 / a, a)
        }
        set {
            let a = min(max(newValue.alpha, 0), 1)
            func channel(_ c: Double) -> UInt32 { UInt32((min(max(c, 0), 1) * a * 255).rounded()) }
            pixels[y * width + x] = UInt32((a * 255).rounded()) << 24 | channel(newValue.red) << 16
                | channel(newValue.green) << 8 | channel(newValue.blue)
        }
    }

    /// Sets a block of pixels to one colour.
    mutating func fill(x: Range<Int>, y: Range<Int>, _ color: RGBA) {
        var one = Raster(width: 1, height: 1)
        one[0, 0] = color
        let p = one.pixels[0]
        for row in y { for col in x { pixels[row * width + col] = p } }
    }

    /// Each pixel repeated `factor × factor` times. Pre-enlarging cell images keeps cell edges
    /// sharp in viewers that smooth embedded images regardless of the requested filter.
    func enlarged(by factor: Int) -> Raster {
        guard factor > 1 else { return self }
        var out = Raster(width: width * factor, height: height * factor)
        for y in 0..<out.height {
            let source = (y / factor) * width, target = y * out.width
            for x in 0..<out.width { out.pixels[target + x] = pixels[source + x / factor] }
        }
        return out
    }

    /// The enlargement factor that gives each cell about `pixelsPerCell` image pixels while the
    /// image stays under `maxSide` pixels a side.
    static func enlargement(cells: Int, cellPoints: Double, pixelsPerPoint: Double = 3, maxSide: Int = 2048) -> Int {
        let wanted = Int((cellPoints * pixelsPerPoint).rounded(.up))
        return max(1, min(wanted, maxSide / max(cells, 1), 32))
    }
}

extension Canvas {
    /// Draws `raster` stretched over `rect`: `smooth == false` keeps pixels as sharp blocks
    /// (nearest neighbour), `true` interpolates bilinearly (photographs).
    func draw(_ raster: Raster, in rect: Rect, smooth: Bool = false) {
        guard raster.width > 0, raster.height > 0 else { return }
        // Cairo returns an error surface (never NULL) for sizes it cannot hold.
        let image = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, Int32(clamping: raster.width), Int32(clamping: raster.height))
        defer { cairo_surface_destroy(image) }
        cairo_surface_flush(image)
        guard cairo_surface_status(image) == CAIRO_STATUS_SUCCESS, let data = cairo_image_surface_get_data(image) else {
            log.add(.imageNotDrawn(width: raster.width, height: raster.height))
            return
        }
        let stride = Int(cairo_image_surface_get_stride(image))
        raster.pixels.withUnsafeBufferPointer { source in
            for y in 0..<raster.height {
                let row = UnsafeMutableRawPointer(data + y * stride).assumingMemoryBound(to: UInt32.self)
                for x in 0..<raster.width { row[x] = source[y * raster.width + x] }
            }
        }
        cairo_surface_mark_dirty(image)
        withSavedState {
            cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
            cairo_clip(context)
            cairo_translate(context, rect.x, rect.y)
            cairo_scale(context, rect.width / Double(raster.width), rect.height / Double(raster.height))
            cairo_set_source_surface(context, image, 0, 0)
            let pattern = cairo_get_source(context)
            cairo_pattern_set_filter(pattern, smooth ? CAIRO_FILTER_GOOD : CAIRO_FILTER_NEAREST)
            cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
            cairo_paint(context)
        }
    }
}
