import Foundation
import GlassboxRender
import XCTest

/// Attention heatmaps: cell colours on the fixed 0…1 scale, the hatched causal triangle, labels
/// that are drawn where they are measured and never clipped.
final class AttentionMatrixTests: RenderTestCase {
    private let tokens = ["<bos>", "The", " cat", " sat"]
    private let values: [[Float]] = [
        [1.0, 0.9, 0.8, 0.7],
        [0.6, 0.4, 0.3, 0.2],
        [0.1, 0.2, 0.3, 0.4],
        [0.25, 0.25, 0.25, 0.25],
    ]

    private func center(_ report: RenderReport, _ r: Int, _ c: Int, rows: Int = 4, columns: Int = 4) throws -> (Double, Double) {
        let plot = try XCTUnwrap(report.regions[.plot])
        return (plot.x + (Double(c) + 0.5) * plot.width / Double(columns), plot.y + (Double(r) + 0.5) * plot.height / Double(rows))
    }

    func testCellCentresHaveTheirColours() throws {
        let figure = AttentionMatrix(weights: try ScoreMatrix(values), tokens: tokens, title: "Head 0")
        let (report, picture) = try renderPNG(figure)
        for r in 0..<4 {
            for c in 0..<4 {
                let (x, y) = try center(report, r, c)
                assertColor(picture.color(x, y), ColorScale.unit(.viridis).color(Double(values[r][c])), "cell (\(r), \(c))")
            }
        }
        let plot = try XCTUnwrap(report.regions[.plot])
        XCTAssertEqual(plot.width, plot.height, accuracy: 0.001, "square cells")
    }

    func testCausalUpperTriangleIsVisiblyEmpty() throws {
        let figure = AttentionMatrix(weights: try ScoreMatrix(values), tokens: tokens, causal: true)
        let (report, picture) = try renderPNG(figure)
        for r in 0..<4 {
            for c in 0..<4 {
                let (x, y) = try center(report, r, c)
                let p = picture.color(x, y)
                if c > r {
                    // Light grey hatch, not a colour of the map (viridis has no light greys).
                    XCTAssertGreaterThan(min(p.r, p.g, p.b), 180, "masked cell (\(r), \(c)) should be light grey, got \(p)")
                    XCTAssertLessThan(max(p.r, p.g, p.b) - min(p.r, p.g, p.b), 12, "masked cell (\(r), \(c)) should be grey, got \(p)")
                } else {
                    assertColor(p, ColorScale.unit(.viridis).color(Double(values[r][c])), "kept cell (\(r), \(c))")
                }
            }
        }
        // The hatch has lines: the masked corner is not one flat colour.
        let plot = try XCTUnwrap(report.regions[.plot])
        let corner = Rect(x: plot.maxX - plot.width / 4 + 1, y: plot.y + 1, width: plot.width / 4 - 2, height: plot.height / 4 - 2)
        XCTAssertGreaterThan(picture.inkPixels(in: corner, tolerance: 60), 10, "hatch lines in the masked corner")
    }

    func testLabelsHaveInkWhereTheyAreMeasuredAndNothingIsClipped() throws {
        let long = "a-very-long-token-that-would-never-fit-beside-a-matrix-cell"
        let figure = AttentionMatrix(weights: try ScoreMatrix(values), tokens: ["<bos>", long, " cat", " sat"], title: "Labels")
        let (report, picture) = try renderPNG(figure)
        let rows = try XCTUnwrap(report.regions[.rowLabels]), columns = try XCTUnwrap(report.regions[.columnLabels])
        let plot = try XCTUnwrap(report.regions[.plot])
        XCTAssertGreaterThan(picture.inkPixels(in: rows), 100, "row labels drawn")
        XCTAssertGreaterThan(picture.inkPixels(in: columns), 100, "column labels drawn")
        XCTAssertLessThanOrEqual(rows.maxX, plot.x, "row labels stay left of the cells")
        XCTAssertGreaterThanOrEqual(columns.y, plot.maxY, "column labels stay below the cells")
        XCTAssertLessThan(rows.width, 125, "the long label is shortened")
        // Every label lies inside the picture, and all ink lies inside the margins.
        let page = Rect(x: 0, y: 0, width: report.size.width, height: report.size.height)
        XCTAssertTrue(page.contains(rows) && page.contains(columns), "\(rows) \(columns) inside \(page)")
        let ink = try XCTUnwrap(picture.inkBounds())
        XCTAssertTrue(page.insetBy(4, 4).contains(ink), "ink \(ink) must keep clear of the edges of \(page)")
    }

    func testColumnLabelsRotateOnlyWhenNeeded() throws {
        let short = AttentionMatrix(weights: try ScoreMatrix(values), tokens: ["a", "b", "c", "d"], cellSize: 24)
        let (shortReport, _) = try renderPNG(short, "short.png")
        let shortColumns = try XCTUnwrap(shortReport.regions[.columnLabels])
        XCTAssertLessThan(shortColumns.height, 16, "one-letter labels stay horizontal")
        let (longReport, _) = try renderPNG(AttentionMatrix(weights: try ScoreMatrix(values), tokens: ["alpha", "beta", "gamma", "delta"], cellSize: 12), "long.png")
        let longColumns = try XCTUnwrap(longReport.regions[.columnLabels])
        XCTAssertGreaterThan(longColumns.height, 20, "longer labels are rotated")
    }

    func testLongInputsThinTheLabels() throws {
        let n = 120
        let weights = try ScoreMatrix(rows: n, columns: n, values: (0..<(n * n)).map { Float($0 % n == $0 / n ? 1 : 0) })
        let figure = AttentionMatrix(weights: weights, tokens: (0..<n).map { "t\($0)" }, causal: true)
        let (report, picture) = try renderPNG(figure, scale: 1)
        XCTAssertTrue(report.notes.contains { $0.contains("row label") }, "\(report.notes)")
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.rowLabels])), 100)
        XCTAssertLessThan(report.size.width, 700)
    }

    func testValuesArePrintedInLargeCells() throws {
        let plain = try renderPNG(AttentionMatrix(weights: try ScoreMatrix(values), tokens: tokens, cellSize: 40), "plain.png")
        var annotated = AttentionMatrix(weights: try ScoreMatrix(values), tokens: tokens, cellSize: 40)
        annotated.showValues = true
        let printed = try renderPNG(annotated, "printed.png")
        let (x, y) = try center(printed.0, 3, 0)
        let base = ColorScale.unit(.viridis).color(0.25).bytes
        func differing(_ picture: RenderedPicture) -> Int {
            stride(from: -10.0, through: 10, by: 0.5).filter { dx in
                let p = picture.color(x + dx, y)
                return abs(p.r - Int(base.r)) + abs(p.g - Int(base.g)) + abs(p.b - Int(base.b)) > 60
            }.count
        }
        XCTAssertEqual(differing(plain.1), 0, "no text on plain cells")
        let differing = differing(printed.1)
        XCTAssertGreaterThan(differing, 3, "\"0.25\" is written on the cell")
    }

    func testMismatchedLabelsAreRejected() throws {
        XCTAssertThrowsError(try AttentionMatrix(weights: try ScoreMatrix(values), tokens: ["a"]).render(to: file("x.png"))) {
            XCTAssertEqual($0 as? RenderError, .invalidInput("4 rows but 1 row labels"))
        }
        XCTAssertThrowsError(try ScoreMatrix([[1, 2], [3]]))
        XCTAssertThrowsError(try ScoreMatrix(rows: 2, columns: 2, values: [1]))
        XCTAssertEqual(try leftovers(), [])
    }
}
