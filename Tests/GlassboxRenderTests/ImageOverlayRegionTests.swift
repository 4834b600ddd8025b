import Foundation
import GlassboxRender
import GlassboxTestSupport
import XCTest

/// Image overlays over the region of the image the model saw (`ImageOverlay.region`): the score
/// layer inside it, the photo veiled in grey outside, for a ViT whose patches do not divide the
/// image (the top-left 80 %) and for DeiT's center crop; the whole image (or no region) is drawn as
/// before. Pixels are read back with `PNGPixels`, at the centres of image pixels.
final class ImageOverlayRegionTests: RenderTestCase {
    let scale = ColorScale.unit(.viridis)
    let photo = RGBA(200 / 255, 40 / 255, 40 / 255)

    private func solid(width: Int, height: Int) -> PixelImage {
        let bytes = photo.bytes
        return try! PixelImage(width: width, height: height, channels: 3,
                               pixels: (0..<(width * height)).flatMap { _ in [bytes.r, bytes.g, bytes.b] })
    }

    /// The overlay of constant score 1 (opaque) on a solid photo, rendered at scale 2, and its pixels.
    private func render(width: Int, height: Int, region: Rect?, _ name: String) throws -> (RenderReport, PNGPixels) {
        let figure = ImageOverlay(image: solid(width: width, height: height), scores: try ScoreMatrix(rows: 3, columns: 3, values: [Float](repeating: 1, count: 9)),
                                  region: region, colorScale: scale, opacity: 1, showOriginal: false)
        let url = file(name)
        let report = try figure.render(to: url, scale: 2)
        return (report, try PNGPixels(url))
    }

    /// The colour of image pixel (`x`, `y`)'s centre on the overlay panel, as 8-bit RGB.
    private func pixel(_ pixels: PNGPixels, _ report: RenderReport, imageSize: (Int, Int), _ x: Double, _ y: Double) throws -> RGBA {
        let panel = try XCTUnwrap(report.regions[.overlay])
        let px = Int(((panel.x + (x + 0.5) * panel.width / Double(imageSize.0)) * 2).rounded(.down))
        let py = Int(((panel.y + (y + 0.5) * panel.height / Double(imageSize.1)) * 2).rounded(.down))
        let word = pixels[px, py]
        return RGBA(Double((word >> 16) & 0xFF) / 255, Double((word >> 8) & 0xFF) / 255, Double(word & 0xFF) / 255)
    }

    private func assertSame(_ actual: RGBA, _ expected: RGBA, tolerance: Int = 3, _ what: String, line: UInt = #line) {
        let a = actual.bytes, e = expected.bytes
        let diff = max(abs(Int(a.r) - Int(e.r)), abs(Int(a.g) - Int(e.g)), abs(Int(a.b) - Int(e.b)))
        XCTAssertLessThanOrEqual(diff, tolerance, "\(what): (\(a.r), \(a.g), \(a.b)) ≠ (\(e.r), \(e.g), \(e.b))", line: line)
    }

    var veiled: RGBA { photo.mixed(with: RGBA(0.5, 0.5, 0.5), 0.5) }

    func testNonDividingViTGridCoversTheTopLeftOnly() throws {
        // image_size 30, patch 8: 3 × 3 patches read the top-left 24 × 24 pixels, 80 % of each side.
        let size = (100, 100)
        let (report, pixels) = try render(width: 100, height: 100, region: Rect(x: 0, y: 0, width: 80, height: 80), "floor.png")
        assertSame(try pixel(pixels, report, imageSize: size, 40, 40), scale.color(1), "inside the region: the score colour")
        assertSame(try pixel(pixels, report, imageSize: size, 5, 5), scale.color(1), "the region's top-left corner")
        assertSame(try pixel(pixels, report, imageSize: size, 90, 40), veiled, "right of the region: the photo veiled")
        assertSame(try pixel(pixels, report, imageSize: size, 40, 90), veiled, "below the region")
        assertSame(try pixel(pixels, report, imageSize: size, 95, 95), veiled, "bottom-right corner")
        let panel = try XCTUnwrap(report.regions[.overlay]), scored = try XCTUnwrap(report.regions[.scoredRegion])
        XCTAssertEqual(scored.x, panel.x, accuracy: 1e-9)
        XCTAssertEqual(scored.width, 0.8 * panel.width, accuracy: 1e-9)
        XCTAssertEqual(scored.height, 0.8 * panel.height, accuracy: 1e-9)
        XCTAssertTrue(report.notes.contains { $0.contains("the region x 0, y 0, 80 × 80 of the 100×100 image (the rest veiled") }, "\(report.notes)")
    }

    func testGridIsStretchedOverTheRegionNotTheImage() throws {
        // Two patch columns, +1 and −1, over the left 80 of 100 pixels: the cell centres sit at x = 20
        // and 60, so from x = 60 on the colour is that of −1 (over the whole image it would be −0.5 there).
        let diverging = ColorScale.diverging(limit: 1)
        let figure = ImageOverlay(image: solid(width: 100, height: 100), scores: try ScoreMatrix([[1, -1]]),
                                  region: Rect(x: 0, y: 0, width: 80, height: 100), colorScale: diverging, opacity: 1, showOriginal: false)
        let url = file("columns.png")
        let report = try figure.render(to: url, scale: 2)
        let pixels = try PNGPixels(url)
        assertSame(try pixel(pixels, report, imageSize: (100, 100), 10, 50), diverging.color(1), "left cell")
        assertSame(try pixel(pixels, report, imageSize: (100, 100), 39.5, 50), diverging.color(0), tolerance: 6, "the region's middle: zero")
        assertSame(try pixel(pixels, report, imageSize: (100, 100), 62, 50), diverging.color(-1), "right cell, from its centre at 60")
        assertSame(try pixel(pixels, report, imageSize: (100, 100), 90, 50), veiled, "past the region")
    }

    func testDeiTCenterCropIsFramedOnAllSides() throws {
        // DeiT on 300 × 200: resize 256 × 256, crop 224 × 224 (Tests/Fixtures/images/regions.json, "deit").
        let size = (300, 200)
        let region = Rect(x: 18.75, y: 12.5, width: 262.5, height: 175)
        let (report, pixels) = try render(width: 300, height: 200, region: region, "deit.png")
        assertSame(try pixel(pixels, report, imageSize: size, 150, 100), scale.color(1), "the middle: the score colour")
        assertSame(try pixel(pixels, report, imageSize: size, 25, 20), scale.color(1), "just inside the top-left corner")
        assertSame(try pixel(pixels, report, imageSize: size, 274, 180), scale.color(1), "just inside the bottom-right corner")
        for (x, y, side) in [(8.0, 100.0, "left"), (291.0, 100.0, "right"), (150.0, 5.0, "top"), (150.0, 194.0, "bottom")] {
            assertSame(try pixel(pixels, report, imageSize: size, x, y), veiled, "the \(side) margin the crop cut off: veiled photo")
        }
    }

    func testWholeImageRegionDrawsAsWithout() throws {
        let (_, without) = try render(width: 60, height: 40, region: nil, "none.png")
        let (report, whole) = try render(width: 60, height: 40, region: Rect(x: 0, y: 0, width: 60, height: 40), "whole.png")
        XCTAssertEqual(whole, without, "the whole image as region is the picture without one")
        assertSame(try pixel(whole, report, imageSize: (60, 40), 59, 39), scale.color(1), "no veil in the corner")
        XCTAssertFalse(report.notes.contains { $0.contains("veiled") })
        XCTAssertEqual(report.regions[.scoredRegion], report.regions[.overlay])
    }

    func testRegionReachingPastThePaddedImageLeavesNoVeil() throws {
        // A crop larger than the resize (zero padding): the grid reaches past the image on every side.
        let (report, pixels) = try render(width: 50, height: 50, region: Rect(x: -5, y: -5, width: 60, height: 60), "pad.png")
        for (x, y) in [(0.0, 0.0), (49.0, 49.0), (25.0, 25.0)] {
            assertSame(try pixel(pixels, report, imageSize: (50, 50), x, y), scale.color(1), "image pixel (\(x), \(y)) lies in the grid")
        }
        XCTAssertEqual(report.regions[.scoredRegion], report.regions[.overlay], "the outline is clipped to the panel")
    }

    func testBadRegionsAreRefused() throws {
        for region in [Rect(x: 0, y: 0, width: 0, height: 5), Rect(x: .nan, y: 0, width: 5, height: 5)] {
            let figure = ImageOverlay(image: solid(width: 8, height: 8), scores: try ScoreMatrix([[1]]), region: region)
            XCTAssertThrowsError(try figure.render(to: file("bad.png"))) { error in
                guard case RenderError.invalidInput(let message) = error else { return XCTFail("\(error)") }
                XCTAssertTrue(message.contains("must be finite with a positive width and height"), message)
            }
        }
    }
}
