import Foundation
import GlassboxRender
import XCTest

/// Bar and line charts: signed bars from a zero line, curves on round axes, a legend.
final class ChartTests: RenderTestCase {
    /// Pixels of `color` in the vertical line at x (points) inside `rect`.
    private func run(_ color: RGBA, x: Double, in rect: Rect, _ picture: RenderedPicture) -> Int {
        let c = color.bytes
        return stride(from: rect.y, to: rect.maxY, by: 1 / picture.scale).filter { y in
            let p = picture.color(x, y)
            return abs(p.r - Int(c.r)) < 6 && abs(p.g - Int(c.g)) < 6 && abs(p.b - Int(c.b)) < 6
        }.count
    }

    func testBarsAreSignedAndProportional() throws {
        let values = [1.0, 0.5, -0.5, 0]
        let chart = BarChart(values: values, labels: ["a", "b", "c", "d"], title: "Bars", valueLabel: "Δ", categoryLabel: "head")
        let (report, picture) = try renderPNG(chart)
        let plot = try XCTUnwrap(report.regions[.plot])
        let pitch = plot.width / 4
        let heights = (0..<4).map { i -> (Int, Int) in
            let x = plot.x + (Double(i) + 0.5) * pitch
            return (run(chart.positiveColor, x: x, in: plot, picture), run(chart.negativeColor, x: x, in: plot, picture))
        }
        XCTAssertGreaterThan(heights[0].0, 40, "the positive bar is drawn in the positive colour")
        XCTAssertEqual(Double(heights[1].0), Double(heights[0].0) / 2, accuracy: 2, "heights are proportional")
        XCTAssertEqual(Double(heights[2].1), Double(heights[1].0), accuracy: 2, "−0.5 is as long as 0.5, in the negative colour")
        XCTAssertEqual(heights[2].0, 0)
        XCTAssertEqual(heights[3].0 + heights[3].1, 0, "a zero bar has no height")
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.columnLabels])), 20, "bar labels")
    }

    /// Stacked bar charts: the panels one below the other under the overall title, each with its
    /// own title and bars; no panels is refused.
    func testBarChartPanelsStackUnderOneTitle() throws {
        let panels = BarChartPanels(panels: [BarChart(values: [2, 1], labels: ["a", "b"], title: "gate key", valueLabel: "score"),
                                             BarChart(values: [1, 3], labels: ["c", "d"], title: "up key", valueLabel: "score")],
                                    title: "Layer 0, neuron 1")
        let (report, picture) = try renderPNG(panels)
        let title = try XCTUnwrap(report.regions[.title])
        let top = try XCTUnwrap(report.regions[.panel(0)]), bottom = try XCTUnwrap(report.regions[.panel(1)])
        XCTAssertLessThanOrEqual(title.maxY, top.y + 14, "the panels' content (inside their 14-point margin) starts below the title")
        XCTAssertEqual(bottom.y, top.maxY, accuracy: 1e-9, "the second panel follows the first")
        XCTAssertEqual(Double(picture.height) / picture.scale, bottom.maxY + 14, accuracy: 1, "a 14-point margin below the last panel")
        for panel in [top, bottom] {
            let redColumns = stride(from: panel.x, to: panel.maxX, by: 1).filter { run(RGBA(hex: 0xD6604D), x: $0, in: panel, picture) > 0 }.count
            XCTAssertGreaterThan(redColumns, 40, "two bars in \(panel)")
            XCTAssertGreaterThan(picture.inkPixels(in: Rect(x: panel.x, y: panel.y, width: panel.width, height: 30)), 50, "panel title in \(panel)")
        }
        XCTAssertThrowsError(try BarChartPanels(panels: []).render(to: file("none.png")))
    }

    func testManyBarsThinTheirLabels() throws {
        let chart = BarChart(values: (0..<400).map { sin(Double($0)) }, categoryLabel: "neuron")
        let (report, picture) = try renderPNG(chart, scale: 1)
        let labels = try XCTUnwrap(report.regions[.columnLabels])
        XCTAssertLessThan(labels.height, 20, "thinned index labels stay horizontal")
        XCTAssertGreaterThan(picture.inkPixels(in: labels), 50)
        XCTAssertLessThanOrEqual(report.size.width, 1000)
    }

    func testLineChartPlacesCurvesOnTheAxes() throws {
        let chart = LineChart(series: [
            .init(name: "flat", values: [0.5, 0.5, 0.5]),
            .init(name: "rising", values: [0, 0.5, 1], dashed: true),
        ], title: "Curves", xLabel: "step", yLabel: "p", yRange: 0...1, showMarkers: false)
        let (report, picture) = try renderPNG(chart)
        let plot = try XCTUnwrap(report.regions[.plot])
        // Both curves pass through (1, 0.5), the middle of the plot; "flat" stays there.
        assertColor(picture.color(plot.x + plot.width * 0.25, plot.midY), Palette.color(0), tolerance: 6, "flat curve")
        let rising = picture.color(plot.x + plot.width * 0.9, plot.y + plot.height * 0.1)
        XCTAssertTrue(run(Palette.color(1), x: plot.x + plot.width * 0.9, in: plot, picture) > 0, "rising curve near the top right, got \(rising)")
        let legend = try XCTUnwrap(report.regions[.legend])
        XCTAssertGreaterThan(picture.inkPixels(in: legend), 100)
        XCTAssertGreaterThanOrEqual(legend.x, plot.maxX, "the legend never covers the curves")
    }

    func testChartGridPlacesPanelsInRows() throws {
        func panel(_ value: Double, _ colour: Int) -> LineChart {
            LineChart(series: [.init(name: "s", values: [value, value, value], color: Palette.color(colour))],
                      title: "panel \(colour)", yRange: 0...1, showMarkers: false, plotWidth: 120, plotHeight: 80)
        }
        let grid = LineChartGrid(panels: [panel(0.5, 0), panel(0.5, 1), panel(0.25, 2)], columns: 2, title: "Grid")
        let (report, picture) = try renderPNG(grid)
        let first = try XCTUnwrap(report.regions[.plot])
        XCTAssertGreaterThan(picture.inkPixels(in: try XCTUnwrap(report.regions[.title])), 20, "the grid's title")
        // Panel 0's flat line through the middle of its plot; panel 1 to its right at the same height,
        // panel 2 below panel 0 at a quarter of the height (the third panel starts the second row).
        assertColor(picture.color(first.midX, first.midY), Palette.color(0), tolerance: 6, "panel 0")
        let cellWidth = report.size.width / 2
        assertColor(picture.color(first.midX + cellWidth, first.midY), Palette.color(1), tolerance: 6, "panel 1, right of panel 0")
        let below = Rect(x: 0, y: first.maxY + 1, width: report.size.width, height: report.size.height - first.maxY - 1)
        XCTAssertGreaterThan(run(Palette.color(2), x: first.midX, in: below, picture), 0, "panel 2 in the second row, below panel 0")
        XCTAssertEqual(run(Palette.color(2), x: first.midX, in: first, picture), 0, "panel 2 is not drawn in panel 0's place")
        XCTAssertThrowsError(try LineChartGrid(panels: []).render(to: file("x.png")))
        XCTAssertThrowsError(try LineChartGrid(panels: [panel(0.5, 0)], columns: 0).render(to: file("x.png")))
    }

    func testChartInputIsChecked() throws {
        XCTAssertThrowsError(try BarChart(values: []).render(to: file("x.png")))
        XCTAssertThrowsError(try BarChart(values: [1, 2], labels: ["a"]).render(to: file("x.png")))
        XCTAssertThrowsError(try LineChart(series: [.init(name: "s", values: [1, 2], x: [0])]).render(to: file("x.png")))
        XCTAssertThrowsError(try LineChart(series: []).render(to: file("x.png")))
        XCTAssertEqual(try leftovers(), [])
    }
}
