import CGlassboxCairo
import Foundation
import GlassboxRender
import GlassboxTestSupport
import XCTest

/// A PNG read back with Cairo, addressed in the figure's points (the report's scale applied).
struct RenderedPicture {
    let width: Int
    let height: Int
    let scale: Double
    /// Straight (un-premultiplied) RGBA bytes per pixel.
    private let pixels: [(UInt8, UInt8, UInt8, UInt8)]

    init(_ url: URL, scale: Double) throws {
        let surface = try XCTUnwrap(cairo_image_surface_create_from_png(url.path))
        defer { cairo_surface_destroy(surface) }
        XCTAssertEqual(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS, "cannot read \(url.path)")
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        self.scale = scale
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = try XCTUnwrap(cairo_image_surface_get_data(surface))
        var pixels: [(UInt8, UInt8, UInt8, UInt8)] = []
        pixels.reserveCapacity(width * height)
        for y in 0..<height {
            for x in 0..<width {
                let p = data + y * stride + 4 * x        // little-endian ARGB32: B, G, R, A in memory
                let a = p[3]
                func straight(_ c: UInt8) -> UInt8 { a == 0 ? 0 : UInt8(min(255, (Int(c) * 255 + Int(a) / 2) / Int(a))) }
                pixels.append((straight(p[2]), straight(p[1]), straight(p[0]), a))
            }
        }
        self.pixels = pixels
    }

    /// The pixel under the point (x, y) in points.
    func color(_ x: Double, _ y: Double) -> (r: Int, g: Int, b: Int) {
        let px = min(width - 1, max(0, Int(x * scale))), py = min(height - 1, max(0, Int(y * scale)))
        let p = pixels[py * width + px]
        return (Int(p.0), Int(p.1), Int(p.2))
    }

    /// How many pixels inside `rect` (points) differ from white by more than `tolerance`.
    func inkPixels(in rect: Rect, tolerance: Int = 40) -> Int {
        var count = 0
        let x0 = max(0, Int(rect.x * scale)), x1 = min(width, Int((rect.maxX * scale).rounded(.up)))
        let y0 = max(0, Int(rect.y * scale)), y1 = min(height, Int((rect.maxY * scale).rounded(.up)))
        guard x0 < x1, y0 < y1 else { return 0 }
        for y in y0..<y1 {
            for x in x0..<x1 {
                let p = pixels[y * width + x]
                if 765 - Int(p.0) - Int(p.1) - Int(p.2) > tolerance { count += 1 }
            }
        }
        return count
    }

    /// The bounding box (points) of all non-white pixels.
    func inkBounds(tolerance: Int = 40) -> Rect? {
        var minX = Int.max, minY = Int.max, maxX = -1, maxY = -1
        for y in 0..<height {
            for x in 0..<width {
                let p = pixels[y * width + x]
                if 765 - Int(p.0) - Int(p.1) - Int(p.2) > tolerance {
                    minX = min(minX, x); maxX = max(maxX, x); minY = min(minY, y); maxY = max(maxY, y)
                }
            }
        }
        guard maxX >= 0 else { return nil }
        return Rect(x: Double(minX) / scale, y: Double(minY) / scale,
                    width: Double(maxX - minX + 1) / scale, height: Double(maxY - minY + 1) / scale)
    }
}

/// Asserts a sampled pixel equals a colour within `tolerance` per 8-bit channel.
func assertColor(_ actual: (r: Int, g: Int, b: Int), _ expected: RGBA, tolerance: Int = 2, _ what: String,
                 file: StaticString = #filePath, line: UInt = #line) {
    let e = expected.bytes
    let diff = max(abs(actual.r - Int(e.r)), abs(actual.g - Int(e.g)), abs(actual.b - Int(e.b)))
    XCTAssertLessThanOrEqual(diff, tolerance,
                             "\(what): pixel (\(actual.r), \(actual.g), \(actual.b)) ≠ expected (\(e.r), \(e.g), \(e.b))",
                             file: file, line: line)
}

/// A fresh temporary folder per test, removed afterwards.
class RenderTestCase: XCTestCase {
    var folder: URL!

    override func setUpWithError() throws { folder = try makeTemporaryFolder("render") }

    func file(_ name: String) -> URL { folder.appendingPathComponent(name) }

    /// Renders `figure` to a PNG at `scale` and reads it back.
    func renderPNG(_ figure: some Figure, _ name: String = "figure.png", scale: Double = 2) throws -> (RenderReport, RenderedPicture) {
        let url = file(name)
        let report = try figure.render(to: url, scale: scale)
        return (report, try RenderedPicture(url, scale: scale))
    }

    /// The files left in the folder (to catch temporary files).
    func leftovers() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted() }
}
