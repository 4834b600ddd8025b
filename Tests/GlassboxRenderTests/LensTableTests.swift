import Foundation
import GlassboxRender
import XCTest

/// Lens tables: layers × positions, top-token text on a probability colour.
final class LensTableTests: RenderTestCase {
    private let cells: [[LensTable.Cell]] = [
        [.init(text: " the", probability: 0.05), .init(text: " a", probability: 0.1), .init(text: " of", probability: 0.2)],
        [.init(text: " cat", probability: 0.5), .init(text: " sat", probability: 0.7), .init(text: " Paris", probability: 1.0, isMarked: true)],
    ]

    func testCellsAreColouredByProbabilityWithLayerZeroAtTheBottom() throws {
        let table = LensTable(cells: cells, positionLabels: ["The", " cat", " sat"], title: "Lens")
        let (report, picture) = try renderPNG(table)
        let plot = try XCTUnwrap(report.regions[.plot])
        let rowHeight = plot.height / 2
        // Sample a point near each cell's top-left corner (inside the cell, away from its text).
        var columnStarts: [Double] = [plot.x]
        // Column edges: scan the top row for the white gaps between cells.
        var x = plot.x + 2
        while x < plot.maxX - 1 {
            let p = picture.color(x, plot.y + 3)
            if p.r == 255, p.g == 255, p.b == 255 { columnStarts.append(x + 1); x += 3 } else { x += 0.5 }
        }
        XCTAssertEqual(columnStarts.count, 3, "three columns separated by white gaps: \(columnStarts)")
        for (row, layer) in [(1, 0), (0, 1)] {
            for p in 0..<min(3, columnStarts.count) {
                let colour = picture.color(columnStarts[p] + 1.5, plot.y + Double(row) * rowHeight + 2)
                assertColor(colour, ColorScale.unit(.blues).color(cells[layer][p].probability), "layer \(layer), position \(p)")
            }
        }
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.rowLabels])), 20)
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.columnLabels])), 20)
        // Text in the cells: light on dark (the p = 1 cell has white pixels inside), dark on light.
        let dark = Rect(x: columnStarts[2] + 3, y: plot.y + 3, width: plot.maxX - columnStarts[2] - 6, height: rowHeight - 6)
        XCTAssertGreaterThan(count(.white, in: dark, picture), 10, "white text on the darkest cell")
    }

    private func count(_ color: RGBA, in rect: Rect, _ picture: RenderedPicture) -> Int {
        let c = color.bytes
        var n = 0
        for y in stride(from: rect.y, to: rect.maxY, by: 0.5) {
            for x in stride(from: rect.x, to: rect.maxX, by: 0.5) {
                let p = picture.color(x, y)
                if abs(p.r - Int(c.r)) < 20, abs(p.g - Int(c.g)) < 20, abs(p.b - Int(c.b)) < 20 { n += 1 }
            }
        }
        return n
    }

    /// A table wider than `maxGridWidth` draws position 0 and the last positions that fit and says which, in the
    /// title and the report's notes (a long input's lens used to fail: "a picture of 247945×265
    /// points cannot be drawn", after the whole computation).
    func testAWideTableDrawsItsLastPositionsAndSaysWhich() throws {
        // Single letters: every column takes its minimum of 28 points, so 200 points hold 7.
        let letters = (0..<10).map { String(UnicodeScalar(UInt8(ascii: "a") + UInt8($0))) }
        let row = letters.enumerated().map { LensTable.Cell(text: $1, probability: Double($0) / 9) }
        let table = LensTable(cells: [row, row], positionLabels: letters, title: "Lens", maxGridWidth: 200)
        let (report, picture) = try renderPNG(table)
        XCTAssertTrue(report.notes.contains("positions 0 and 4–9 of 10 shown (the last that fit 200 points)"), "\(report.notes)")
        XCTAssertEqual(try XCTUnwrap(report.regions[.plot]).width, 7 * 28, accuracy: 1e-9)
        // Drawn: position 0 (probability 0), then 4 (4/9) … 9 (probability 1).
        let plot = try XCTUnwrap(report.regions[.plot])
        assertColor(picture.color(plot.x + 2, plot.y + 2), ColorScale.unit(.blues).color(0), "position 0 kept")
        assertColor(picture.color(plot.x + 28 + 2, plot.y + 2), ColorScale.unit(.blues).color(4.0 / 9), "then the last positions")
        assertColor(picture.color(plot.maxX - 2, plot.y + 2), ColorScale.unit(.blues).color(1), "last column shown")
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.title])), 50)

        // 4,096 positions at the default width: drawn, at most 12,000 points of grid, ending at 4,095.
        let long = (0..<4096).map { "t\($0)" }
        let wide = LensTable(cells: [long.map { .init(text: $0, probability: 0.5) }], positionLabels: long, title: "Lens")
        let url = file("long.png")
        let drawn = try wide.render(to: url)
        XCTAssertLessThanOrEqual(try XCTUnwrap(drawn.regions[.plot]).width, LensTable.defaultMaxGridWidth)
        let note = try XCTUnwrap(drawn.notes.first { $0.hasPrefix("positions ") })
        XCTAssertTrue(note.hasPrefix("positions 0 and ") && note.hasSuffix("–4,095 of 4,096 shown (the last that fit 12000 points)"), note)
    }

    func testRaggedRowsAreRejected() throws {
        XCTAssertThrowsError(try LensTable(cells: [Array(cells[0].prefix(2))], positionLabels: ["a", "b", "c"]).render(to: file("x.png")))
        XCTAssertThrowsError(try LensTable(cells: cells, positionLabels: ["a", "b", "c"], layerLabels: ["only one"]).render(to: file("x.png")))
        XCTAssertEqual(try leftovers(), [])
    }
}
