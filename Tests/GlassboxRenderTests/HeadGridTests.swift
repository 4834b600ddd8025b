import Foundation
import GlassboxRender
import XCTest

/// Head grids: one tile per (layer, head) on one scale, labels, and downsampling of long inputs.
final class HeadGridTests: RenderTestCase {
    private func constant(_ v: Float, _ n: Int) throws -> ScoreMatrix { try ScoreMatrix(rows: n, columns: n, values: Array(repeating: v, count: n * n)) }

    func testTileCentresHaveTheirColours() throws {
        let layers = 3, heads = 4
        let value = { (l: Int, h: Int) in Float(l * heads + h) / Float(layers * heads - 1) }
        let attention = try (0..<layers).map { l in try (0..<heads).map { h in try constant(value(l, h), 5) } }
        let (report, picture) = try renderPNG(HeadGrid(attention: attention, title: "grid"))
        for l in 0..<layers {
            for h in 0..<heads {
                let tile = try XCTUnwrap(report.regions[.tile(layer: l, head: h)])
                assertColor(picture.color(tile.midX, tile.midY), ColorScale.unit(.viridis).color(Double(value(l, h))), "tile (\(l), \(h))")
            }
        }
        let rowLabels = try XCTUnwrap(report.regions[.rowLabels]), columnLabels = try XCTUnwrap(report.regions[.columnLabels])
        XCTAssertGreaterThan(picture.inkPixels(in: rowLabels), 60, "layer labels drawn")
        XCTAssertGreaterThan(picture.inkPixels(in: columnLabels), 60, "head labels drawn")
        XCTAssertLessThanOrEqual(columnLabels.maxY, try XCTUnwrap(report.regions[.plot]).y)
    }

    func testCausalTilesShowTheMaskedTriangle() throws {
        let attention = try [[constant(1, 4)]]
        let (report, picture) = try renderPNG(HeadGrid(attention: attention, causal: true, tileSize: 40))
        let tile = try XCTUnwrap(report.regions[.tile(layer: 0, head: 0)])
        let upperRight = picture.color(tile.x + tile.width * 0.875, tile.y + tile.height * 0.125)
        let lowerLeft = picture.color(tile.x + tile.width * 0.125, tile.y + tile.height * 0.875)
        assertColor(lowerLeft, ColorScale.unit(.viridis).color(1), "kept cell")
        XCTAssertGreaterThan(min(upperRight.r, upperRight.g, upperRight.b), 200, "masked cell is light grey, got \(upperRight)")
    }

    func testThirtyTwoByThirtyTwoStaysLegible() throws {
        let n = 64
        let diagonal = try ScoreMatrix(rows: n, columns: n, values: (0..<(n * n)).map { $0 / n == $0 % n + 1 ? 1 : 0 })
        let attention = Array(repeating: Array(repeating: diagonal, count: 32), count: 32)
        let (report, picture) = try renderPNG(HeadGrid(attention: attention, causal: true), scale: 1)
        let tile = try XCTUnwrap(report.regions[.tile(layer: 31, head: 31)])
        XCTAssertGreaterThanOrEqual(tile.width, 12, "tiles stay big enough to read")
        XCTAssertLessThan(report.size.width, 1200)
        XCTAssertTrue(report.notes.contains { $0.contains("max-pooled") && $0.contains("64×64") }, "\(report.notes)")
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.rowLabels])), 300)
        // The thin previous-token diagonal survives max-pooling: yellow pixels in every tile.
        let bright = ColorScale.unit(.viridis).color(1).bytes
        var found = 0
        for y in stride(from: tile.y, to: tile.maxY, by: 0.5) {
            for x in stride(from: tile.x, to: tile.maxX, by: 0.5) {
                let p = picture.color(x, y)
                if abs(p.r - Int(bright.r)) < 20, abs(p.g - Int(bright.g)) < 20, abs(p.b - Int(bright.b)) < 40 { found += 1 }
            }
        }
        XCTAssertGreaterThan(found, 10, "the diagonal is visible in the last tile")
    }

    func testDownsamplingMethods() throws {
        var identity = [Float](repeating: 0, count: 16)
        for i in 0..<4 { identity[i * 5] = 1 }
        let m = try ScoreMatrix(rows: 4, columns: 4, values: identity)
        XCTAssertEqual(m.downsampled(maxRows: 2, maxColumns: 2, method: .maxPool).values, [1, 0, 0, 1])
        XCTAssertEqual(m.downsampled(maxRows: 2, maxColumns: 2, method: .areaAverage).values, [0.5, 0, 0, 0.5])
        XCTAssertEqual(m.downsampled(maxRows: 8, maxColumns: 8, method: .maxPool), m, "small matrices stay as they are")
        // Fractional blocks: 3 → 2 weights the shared middle row and column by half.
        let ramp = try ScoreMatrix(rows: 3, columns: 3, values: [0, 0, 0, 3, 3, 3, 6, 6, 6])
        XCTAssertEqual(ramp.downsampled(maxRows: 2, maxColumns: 2, method: .areaAverage).values, [1, 1, 5, 5])
        // Masked blocks stay masked; partly masked blocks use their kept cells.
        let masked = try ScoreMatrix(rows: 4, columns: 4, values: Array(repeating: 1, count: 16)).maskingUpperTriangle()
        let small = masked.downsampled(maxRows: 2, maxColumns: 2, method: .areaAverage)
        XCTAssertEqual(small[0, 0], 1)
        XCTAssertTrue(small[0, 1].isNaN)
        XCTAssertEqual(small[1, 0], 1)
    }

    func testRaggedInputIsRejected() throws {
        XCTAssertThrowsError(try HeadGrid(attention: [[constant(1, 3), constant(1, 3)], [constant(1, 3)]]).render(to: file("x.png")))
        XCTAssertThrowsError(try HeadGrid(attention: [[constant(1, 3), constant(1, 4)]]).render(to: file("x.png")))
        XCTAssertThrowsError(try HeadGrid(attention: [[constant(1, 3)]], layerLabels: ["a", "b"]).render(to: file("x.png")))
        XCTAssertEqual(try leftovers(), [])
    }
}
