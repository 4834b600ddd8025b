import CGlassboxCairo
import Foundation
import GlassboxRender
import XCTest

/// One drawing path to PNG, SVG and PDF; atomic writes; clear errors for unwritable paths.
final class CanvasTests: XCTestCase {
    private var folder: URL!

    override func setUpWithError() throws {
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("glassbox-render-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    override func tearDownWithError() throws { try? FileManager.default.removeItem(at: folder) }

    private func drawSplit(_ canvas: Canvas) {
        canvas.fill(x: 0, y: 0, width: canvas.width, height: canvas.height, color: .white)
        canvas.fill(x: 0, y: 0, width: canvas.width / 2, height: canvas.height, color: RGBA(1, 0, 0))
    }

    /// ARGB32 pixel (x, y) of a PNG read back with Cairo, as (r, g, b).
    private func pixel(_ url: URL, _ x: Int, _ y: Int) throws -> (UInt8, UInt8, UInt8) {
        let surface = try XCTUnwrap(cairo_image_surface_create_from_png(url.path))
        defer { cairo_surface_destroy(surface) }
        XCTAssertEqual(cairo_surface_status(surface), CAIRO_STATUS_SUCCESS)
        let stride = Int(cairo_image_surface_get_stride(surface))
        let data = try XCTUnwrap(cairo_image_surface_get_data(surface))
        let p = data + y * stride + 4 * x        // little-endian ARGB32: B, G, R, A in memory
        return (p[2], p[1], p[0])
    }

    func testPNGHasTheDrawnPixels() throws {
        let url = folder.appendingPathComponent("split.png")
        try Canvas.write(to: url, width: 40, height: 20, draw: drawSplit)
        let left = try pixel(url, 5, 10), right = try pixel(url, 35, 10)
        XCTAssertTrue(left == (255, 0, 0), "left half should be red, got \(left)")
        XCTAssertTrue(right == (255, 255, 255), "right half should be white, got \(right)")
    }

    func testSVGAndPDFComeFromTheSameDrawing() throws {
        let svg = folder.appendingPathComponent("split.svg"), pdf = folder.appendingPathComponent("split.PDF")
        try Canvas.write(to: svg, width: 40, height: 20, draw: drawSplit)
        try Canvas.write(to: pdf, width: 40, height: 20, draw: drawSplit)
        let svgText = try String(contentsOf: svg, encoding: .utf8)
        XCTAssertTrue(svgText.contains("<svg") && svgText.contains("rgb(100%,0%,0%)"), svgText)
        XCTAssertTrue(try Data(contentsOf: pdf).starts(with: Data("%PDF".utf8)))
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted(), ["split.PDF", "split.svg"],
                       "no temporary files may remain")
    }

    func testErrorsLeaveNoFileBehind() throws {
        XCTAssertThrowsError(try Canvas.write(to: folder.appendingPathComponent("x.jpg"), width: 4, height: 4) { _ in }) {
            XCTAssertEqual($0 as? RenderError, .unsupportedExtension(self.folder.appendingPathComponent("x.jpg").path))
        }
        let missing = folder.appendingPathComponent("no/such/folder/x.png")
        XCTAssertThrowsError(try Canvas.write(to: missing, width: 4, height: 4) { _ in }) {
            XCTAssertTrue($0.localizedDescription.contains("does not exist"), $0.localizedDescription)
        }
        struct Stop: Error {}
        let url = folder.appendingPathComponent("half.png")
        XCTAssertThrowsError(try Canvas.write(to: url, width: 4, height: 4) { _ in throw Stop() })
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: folder.path), [])
    }
}
