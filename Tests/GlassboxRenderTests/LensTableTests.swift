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

    func testRaggedRowsAreRejected() throws {
        XCTAssertThrowsError(try LensTable(cells: [Array(cells[0].prefix(2))], positionLabels: ["a", "b", "c"]).render(to: file("x.png")))
        XCTAssertThrowsError(try LensTable(cells: cells, positionLabels: ["a", "b", "c"], layerLabels: ["only one"]).render(to: file("x.png")))
        XCTAssertEqual(try leftovers(), [])
    }
}
