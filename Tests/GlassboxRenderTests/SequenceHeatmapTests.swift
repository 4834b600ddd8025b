import Foundation
@testable import GlassboxRender
import XCTest

/// Sequence heatmaps of long generations: whole-block pooling, the float32 colour limit, and the
/// pooling stated in the picture.
final class SequenceHeatmapTests: RenderTestCase {
    /// 3 × 5 values pooled in blocks of 2 × 2: blocks at the edges are shorter, NaN cells are
    /// skipped, a block of only NaN stays NaN.
    func testPoolingInWholeBlocks() throws {
        let nan = Float.nan
        let m = try ScoreMatrix(rows: 3, columns: 5, values: [
            1, -4, 2, nan, 7,
            3, 2, nan, nan, -9,
            -1, 5, nan, nan, 0.5,
        ])
        func values(_ method: Downsampling) -> [Float] {
            let p = m.pooled(rowBlock: 2, columnBlock: 2, method: method)
            XCTAssertEqual([p.rows, p.columns], [2, 3])
            return p.values
        }
        assertPooled(values(.maxPool), [3, 2, 7, 5, nan, 0.5])
        assertPooled(values(.maxMagnitude), [-4, 2, -9, 5, nan, 0.5])
        assertPooled(values(.areaAverage), [0.5, 2, -1, 2, nan, 0.5])
        XCTAssertEqual(m.pooled(rowBlock: 1, columnBlock: 1, method: .maxPool), m)
    }

    /// The float32 colour limit equals the one of the same scores as doubles.
    func testTheFloatLimitEqualsTheDoubleLimit() {
        var state: UInt64 = 3
        let scores: [Float] = (0..<10_001).map { i in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return i % 7 == 0 ? .nan : Float(Int64(bitPattern: state) >> 40) / 1e6 * (i == 500 ? 40 : 1)
        }
        for rule in [ScoreLimit.robust, .maxAbs, .fixed(0.3)] {
            XCTAssertEqual(rule.limit(forFloat32: scores), rule.limit(for: scores.map(Double.init)), "\(rule)")
            let limit = rule.limit(forFloat32: scores)
            XCTAssertEqual(ScoreLimit.clippedCount(float32: scores, limit: limit), ScoreLimit.clippedCount(scores.map(Double.init), limit: limit))
        }
    }

    /// A matrix within `maxCells` is drawn cell for cell, as before; a longer one is pooled, its
    /// block holding a hot cell drawn at the hot cell's colour, and the title gains a line saying so.
    func testALongMatrixIsPooledAndTheTitleSaysSo() throws {
        let rows = 120, columns = 130
        var values = [Float](repeating: 0.01, count: rows * columns)
        values[77 * columns + 91] = 1
        let scores = try ScoreMatrix(rows: rows, columns: columns, values: values)
        func heatmap(maxCells: Int) -> SequenceHeatmap {
            SequenceHeatmap(scores: scores, rowLabels: (0..<rows).map { "r\($0)" }, columnLabels: (0..<columns).map { "c\($0)" },
                            generatedColumns: Array(10..<columns), title: "title", scoreLabel: "AttnLRP", scoreLimit: .maxAbs,
                            maxCells: maxCells)
        }
        let (whole, _) = try renderPNG(heatmap(maxCells: 840), "whole.png")
        XCTAssertFalse(whole.notes.contains { $0.contains("pooled") }, "\(whole.notes)")
        let pooledFigure = heatmap(maxCells: 40)
        XCTAssertEqual(pooledFigure.blocks.rows, 4, "square blocks: the longer side's")
        XCTAssertEqual(pooledFigure.blocks.columns, 4)
        let (report, picture) = try renderPNG(pooledFigure, "pooled.png")
        XCTAssertTrue(report.notes.contains("cells pooled by largest |score| in blocks of 4 × 4: 120 × 130 cells drawn as 30 × 33"), "\(report.notes)")
        let title = try XCTUnwrap(report.regions[.title]), wholeTitle = try XCTUnwrap(whole.regions[.title])
        XCTAssertGreaterThan(title.height, wholeTitle.height * 1.6, "the title has a second line: the pooling")
        let grid = try XCTUnwrap(report.regions[.plot])
        let cell = grid.width / 33
        func at(_ r: Int, _ c: Int) -> (r: Int, g: Int, b: Int) { picture.color(grid.x + (Double(c) + 0.5) * cell, grid.y + (Double(r) + 0.5) * cell) }
        let scale = pooledFigure.colorScale
        assertColor(at(19, 22), scale.color(1), "the block of the hot cell (77, 91)")
        assertColor(at(19, 21), scale.color(0.01), "its neighbour")
        assertColor(at(18, 22), scale.color(0.01), "its neighbour above")
    }

    /// Cells beyond the robust limit are marked in their top-right corner with the strips' triangle
    /// (in the cell's contrasting ink), others are not, and the legend line is drawn under the
    /// picture with the count of clipped cells.
    func testClippedCellsAreMarkedAndTheLegendIsDrawn() throws {
        let rows = 4, columns = 8
        var values = (0..<(rows * columns)).map { Float($0 % 5) * 0.1 - 0.2 }   // −0.2…0.2
        values[1 * columns + 2] = 9      // far beyond the fence: clipped
        values[3 * columns + 6] = -7     // clipped, negative
        let scores = try ScoreMatrix(rows: rows, columns: columns, values: values)
        let heatmap = SequenceHeatmap(scores: scores, rowLabels: (0..<rows).map { "r\($0)" }, columnLabels: (0..<columns).map { "c\($0)" },
                                      generatedColumns: [4, 5, 6, 7], title: "clipped", scoreLabel: "AttnLRP")
        let (report, picture) = try renderPNG(heatmap, "clipped.png")
        let limit = heatmap.colorScale.upper
        XCTAssertEqual(limit, 0.2, accuracy: 1e-6, "the robust limit leaves out both outliers")
        let legend = "scale ±0.2, robust (Tukey fence): 2 cells beyond, marked ▲"
        XCTAssertTrue(report.notes.contains(legend), "\(report.notes)")
        let legendRect = try XCTUnwrap(report.regions[.scaleLegend], "the legend is drawn")
        let grid = try XCTUnwrap(report.regions[.plot])
        XCTAssertGreaterThan(legendRect.y, try XCTUnwrap(report.regions[.columnLabels]).maxY, "under the labels")
        XCTAssertLessThanOrEqual(legendRect.maxY, Double(picture.height) / 2, "inside the picture")
        XCTAssertGreaterThan(picture.inkPixels(in: legendRect), 100, "legend text inked")
        let cell = grid.width / Double(columns)
        func corner(_ r: Int, _ c: Int) -> (r: Int, g: Int, b: Int) { picture.color(grid.x + Double(c + 1) * cell - 1.5, grid.y + Double(r) * cell + 1.5) }
        func opposite(_ r: Int, _ c: Int) -> (r: Int, g: Int, b: Int) { picture.color(grid.x + Double(c) * cell + 1.5, grid.y + Double(r + 1) * cell - 1.5) }
        let scale = heatmap.colorScale
        for (r, c, v) in [(1, 2, 9.0), (3, 6, -7.0)] {
            assertColor(corner(r, c), scale.color(v).contrastingText, tolerance: 8, "mark of clipped cell (\(r), \(c))")
            assertColor(opposite(r, c), scale.color(v), "the rest of clipped cell (\(r), \(c))")
        }
        let within = Double(values[0 * columns + 4])   // 0.2: full colour but not beyond the limit
        assertColor(corner(0, 4), scale.color(within), "no mark on a cell at the limit")
    }

    /// A two-row heatmap under a two-line title: the title wraps at a space, not at the hyphen of
    /// "shakespeare-gpt2", and the rotated "generated token" axis title, longer than the grid is
    /// tall, stays clear of the title (their boxes do not intersect).
    func testTheTitleWrapsAtSpacesAndClearsTheRowAxisTitle() throws {
        let scores = try ScoreMatrix(rows: 2, columns: 12, values: (0..<24).map { Float($0 % 7) * 0.1 - 0.3 })
        let title = "What each generated token draws on: AttnLRP · shakespeare-gpt2 shakespeare-gpt2"
        let heatmap = SequenceHeatmap(scores: scores, rowLabels: ["thou", "↵"], columnLabels: (0..<12).map { "t\($0)" },
                                      generatedColumns: [10, 11], title: title, scoreLabel: "AttnLRP")
        let (report, picture) = try renderPNG(heatmap, "two.png")
        let titleRect = try XCTUnwrap(report.regions[.title]), axis = try XCTUnwrap(report.regions[.rowAxisTitle])
        let grid = try XCTUnwrap(report.regions[.plot])
        XCTAssertGreaterThan(titleRect.height, 1.6 * TextEngine().measure("A", .title).height, "two lines")
        XCTAssertGreaterThan(axis.height, grid.height, "the axis title is longer than the grid is tall")
        XCTAssertTrue(titleRect.maxY <= axis.y || axis.maxY <= titleRect.y || titleRect.maxX <= axis.x || axis.maxX <= titleRect.x,
                      "title \(titleRect) and axis title \(axis) intersect")
        XCTAssertGreaterThan(picture.inkPixels(in: axis), 50, "the axis title is drawn in its box")
        XCTAssertEqual(try XCTUnwrap(TitleBlock(title, engine: TextEngine(), maxWidth: titleRect.width).text).components(separatedBy: "\n"),
                       ["What each generated token draws on: AttnLRP ·", "shakespeare-gpt2 shakespeare-gpt2"], "as drawn")
    }

    /// A title is broken at spaces only: where "shakespeare-" would still fit on the first line but
    /// "shakespeare-gpt2" does not, the whole name goes to the second line; the given line breaks
    /// stay, and a word wider than the line stands alone on its line.
    func testTitlesWrapAtSpacesOnly() {
        let engine = TextEngine()
        let head = "What each generated token draws on: AttnLRP · "
        let width = engine.measure(head + "shakespeare-g", .title).width
        func lines(_ text: String, _ width: Double) -> [String] {
            TitleBlock(text, engine: engine, maxWidth: width).text?.components(separatedBy: "\n") ?? []
        }
        XCTAssertEqual(lines(head + "shakespeare-gpt2", width), ["What each generated token draws on: AttnLRP ·", "shakespeare-gpt2"])
        XCTAssertEqual(lines(head + "shakespeare-gpt2", width * 2), [head + "shakespeare-gpt2"])
        XCTAssertEqual(lines("a b\nCells pooled", 500), ["a b", "Cells pooled"])
        XCTAssertEqual(lines("tiny enormous-hyphenated-word end", engine.measure("tiny", .title).width),
                       ["tiny", "enormous-hyphenated-word", "end"])
        XCTAssertNil(TitleBlock("", engine: engine, maxWidth: 100).text)
    }
}

/// Equal arrays, NaN equal to NaN.
private func assertPooled(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) where !(x.isNaN && y.isNaN) { XCTAssertEqual(x, y, "\(a) vs \(b)", file: file, line: line) }
}
