import Foundation
import GlassboxRender
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
}

/// Equal arrays, NaN equal to NaN.
private func assertPooled(_ a: [Float], _ b: [Float], file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, file: file, line: line)
    for (x, y) in zip(a, b) where !(x.isNaN && y.isNaN) { XCTAssertEqual(x, y, "\(a) vs \(b)", file: file, line: line) }
}
