import Foundation
import GlassboxRender
import XCTest

/// Colour maps are data; scales map values onto them.
final class ColormapTests: XCTestCase {
    func testDivergingMapIsWhiteAtZeroAndSymmetric() {
        let scale = ColorScale.diverging(fitting: [-0.2, 0.5, 0.1])
        XCTAssertEqual(scale.lower, -0.5)
        XCTAssertEqual(scale.upper, 0.5)
        XCTAssertEqual(scale.color(0), .white, "zero must be exactly white")
        XCTAssertEqual(Colormap.redBlue.color(at: 0.5), .white)
        // Opposite values get mirrored ends: deep blue for negative, deep red for positive.
        let neg = scale.color(-0.5), pos = scale.color(0.5)
        XCTAssertGreaterThan(neg.blue, neg.red)
        XCTAssertGreaterThan(pos.red, pos.blue)
        XCTAssertEqual(scale.color(-5), neg, "values beyond the range clamp")
    }

    func testDivergingWithoutDataFallsBackToUnitRange() {
        let scale = ColorScale.diverging(fitting: [0, 0, .nan])
        XCTAssertEqual([scale.lower, scale.upper], [-1, 1])
    }

    func testSequentialScaleHasAFixedUnitRange() {
        let scale = ColorScale.unit(.viridis)
        XCTAssertEqual([scale.lower, scale.upper], [0, 1])
        XCTAssertEqual(scale.color(0).bytes.r, 0x44)
        XCTAssertEqual(scale.color(1).bytes.g, 0xE7)
        XCTAssertEqual(scale.color(0.5), RGBA(hex: 0x21918C), "stop 8 of 16 is viridis(0.5)")
    }

    func testInterpolationIsLinearBetweenStops() throws {
        let map = try Colormap(name: "grey", stops: [.black, .white], isDiverging: false)
        XCTAssertEqual(map.color(at: 0.25), RGBA(0.25, 0.25, 0.25))
        XCTAssertEqual(map.color(at: 2), .white)
        XCTAssertTrue(map.color(at: .nan) != map.color(at: 0), "NaN is the masked colour, not the low end")
    }

    func testBadMapsAndScalesAreErrors() {
        XCTAssertThrowsError(try Colormap(name: "one", stops: [.white], isDiverging: false))
        XCTAssertThrowsError(try ColorScale(colormap: .viridis, lower: 1, upper: 1))
        XCTAssertThrowsError(try ColorScale(colormap: .viridis, lower: 0, upper: .infinity))
        XCTAssertEqual(try ColorScale(colormap: .viridis, lower: -2, upper: 2).position(1), 0.75)
    }

    func testContrastingTextFollowsLuminance() {
        XCTAssertEqual(RGBA.white.contrastingText.bytes.r, 0x1A)
        XCTAssertEqual(Colormap.viridis.color(at: 0).contrastingText, .white)
        XCTAssertEqual(Colormap.viridis.color(at: 1).contrastingText.bytes.r, 0x1A)
    }
}
