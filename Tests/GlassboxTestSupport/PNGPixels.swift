import CGlassboxCairo
import Foundation
import XCTest

/// A PNG read back with Cairo: its size and its pixels row by row as Cairo's premultiplied ARGB32
/// words (`0xAARRGGBB`), for tests that compare pictures pixel for pixel or look for a colour.
public struct PNGPixels: Equatable {
    public let width: Int
    public let height: Int
    /// `[height · width]` ARGB32 words, row-major.
    public let data: [UInt32]

    /// Reads `url` (a failed read fails the calling test).
    public init(_ url: URL, file: StaticString = #filePath, line: UInt = #line) throws {
        let surface = try XCTUnwrap(cairo_image_surface_create_from_png(url.path), file: file, line: line)
        defer { cairo_surface_destroy(surface) }
        XCTAssertEqual(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS, "cannot read \(url.path)", file: file, line: line)
        width = Int(cairo_image_surface_get_width(surface))
        height = Int(cairo_image_surface_get_height(surface))
        let stride = Int(cairo_image_surface_get_stride(surface))
        let base = try XCTUnwrap(cairo_image_surface_get_data(surface), file: file, line: line)
        var out: [UInt32] = []
        out.reserveCapacity(width * height)
        for y in 0..<height {
            let row = UnsafeRawPointer(base + y * stride).assumingMemoryBound(to: UInt32.self)
            for x in 0..<width { out.append(row[x]) }
        }
        data = out
    }

    /// The ARGB32 word at column `x`, row `y`.
    public subscript(x: Int, y: Int) -> UInt32 { data[y * width + x] }
}
