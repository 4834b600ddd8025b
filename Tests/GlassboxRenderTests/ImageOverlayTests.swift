import Foundation
import GlassboxRender
import XCTest

/// Image overlays: bilinear upsampling with half-pixel centres, opacity, the plain image beside.
final class ImageOverlayTests: RenderTestCase {
    private func solid(_ r: UInt8, _ g: UInt8, _ b: UInt8, size: Int = 32) throws -> PixelImage {
        try PixelImage(width: size, height: size, channels: 3, pixels: (0..<(size * size)).flatMap { _ in [r, g, b] })
    }

    func testBilinearUpsamplingMatchesHalfPixelCentres() throws {
        // What torch.nn.functional.interpolate(mode="bilinear", align_corners=False) gives.
        let up = try ScoreMatrix([[1, 2], [3, 4]]).upsampledBilinear(width: 4, height: 4)
        XCTAssertEqual(up, [1, 1.25, 1.75, 2,
                            1.5, 1.75, 2.25, 2.5,
                            2.5, 2.75, 3.25, 3.5,
                            3, 3.25, 3.75, 4])
        let same = try ScoreMatrix([[1, 2], [3, 4]]).upsampledBilinear(width: 2, height: 2)
        XCTAssertEqual(same, [1, 2, 3, 4], "same size is the identity")
    }

    func testOpacityBlendsTheScoreColourOverTheImage() throws {
        let image = try solid(200, 40, 40)
        let scores = try ScoreMatrix(rows: 2, columns: 2, values: [1, 1, 1, 1])
        let scale = ColorScale.unit(.viridis)
        let opaque = ImageOverlay(image: image, scores: scores, colorScale: scale, opacity: 1)
        let (report, picture) = try renderPNG(opaque, "opaque.png")
        let overlay = try XCTUnwrap(report.regions[.overlay]), plain = try XCTUnwrap(report.regions[.image])
        assertColor(picture.color(overlay.midX, overlay.midY), scale.color(1), "opaque overlay shows the map")
        assertColor(picture.color(plain.midX, plain.midY), RGBA(200 / 255, 40 / 255, 40 / 255), "the plain image beside it")

        let half = ImageOverlay(image: image, scores: scores, colorScale: scale, opacity: 0.5)
        let (halfReport, halfPicture) = try renderPNG(half, "half.png")
        let r = try XCTUnwrap(halfReport.regions[.overlay])
        assertColor(halfPicture.color(r.midX, r.midY), RGBA(200 / 255, 40 / 255, 40 / 255).mixed(with: scale.color(1), 0.5),
                    tolerance: 3, "half-opaque overlay")
    }

    func testScoresFollowThePatchGrid() throws {
        // Left half of the patches +1, right half −1: red on the left, blue on the right.
        let scores = try ScoreMatrix([[1, 1, -1, -1], [1, 1, -1, -1]])
        let figure = ImageOverlay(image: try solid(255, 255, 255, size: 64), scores: scores, opacity: 1, showOriginal: false)
        let (report, picture) = try renderPNG(figure)
        XCTAssertNil(report.regions[.image])
        let r = try XCTUnwrap(report.regions[.overlay])
        let scale = figure.resolvedScale
        XCTAssertEqual([scale.lower, scale.upper], [-1, 1], "signed scores get a symmetric diverging scale")
        assertColor(picture.color(r.x + 3, r.midY), scale.color(1), "left edge")
        assertColor(picture.color(r.maxX - 3, r.midY), scale.color(-1), "right edge")
        assertColor(picture.color(r.midX, r.midY), .white, tolerance: 12, "zero crossing in the middle is near white")
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.colorBar])), 200)
    }

    func testImageChannelsAndSizesAreChecked() throws {
        XCTAssertNoThrow(try PixelImage(width: 2, height: 1, channels: 1, pixels: [0, 255]))
        XCTAssertNoThrow(try PixelImage(width: 1, height: 1, channels: 4, pixels: [1, 2, 3, 4]))
        XCTAssertThrowsError(try PixelImage(width: 2, height: 2, channels: 3, pixels: [1, 2, 3]))
        XCTAssertThrowsError(try PixelImage(width: 1, height: 1, channels: 2, pixels: [1, 2]))
        let grey = try PixelImage(width: 1, height: 1, channels: 1, pixels: [51])
        XCTAssertEqual(grey[0, 0], RGBA(0.2, 0.2, 0.2))
    }
}
