import Foundation

/// Several named curves over steps (perturbation curves, lens KL per layer, loss over ablations):
/// numeric axes with round ticks, light grid lines, markers when there are few points, and a
/// legend beside the plot.
///
/// Shapes: each series has `values` (m points) and optionally `x` (m positions; default 0…m−1).
public struct LineChart: Figure {
    /// One curve.
    public struct Series: Sendable, Equatable {
        /// The legend entry.
        public var name: String
        /// The y values, m points; non-finite values leave a gap.
        public var values: [Double]
        /// The x positions, m of them; nil uses 0, 1, …, m−1.
        public var x: [Double]?
        /// nil: the palette colour of the series' index.
        public var color: RGBA?
        /// Draw the curve dashed (e.g. a baseline).
        public var dashed: Bool

        /// A curve from its fields, as listed above.
        public init(name: String, values: [Double], x: [Double]? = nil, color: RGBA? = nil, dashed: Bool = false) {
            (self.name, self.values, self.x, self.color, self.dashed) = (name, values, x, color, dashed)
        }
    }

    /// The curves, drawn in order, each in its own colour.
    public var series: [Series]
    /// Title above the chart; nil draws none.
    public var title: String?
    /// Title of the x axis; nil draws none.
    public var xLabel: String?
    /// Title of the y axis; nil draws none.
    public var yLabel: String?
    /// Fixed y range (e.g. 0…1 for probabilities); nil fits the data with round ends.
    public var yRange: ClosedRange<Double>?
    /// Markers on the points; nil shows them when every series has at most 30 points.
    public var showMarkers: Bool?
    /// Width of the plot area in points (at least 60).
    public var plotWidth: Double
    /// Height of the plot area in points (at least 40).
    public var plotHeight: Double

    /// A chart from its parts, as listed above; nothing is checked until `render`.
    public init(series: [Series], title: String? = nil, xLabel: String? = nil, yLabel: String? = nil,
                yRange: ClosedRange<Double>? = nil, showMarkers: Bool? = nil, plotWidth: Double = 420, plotHeight: Double = 260) {
        (self.series, self.title, self.xLabel, self.yLabel, self.yRange) = (series, title, xLabel, yLabel, yRange)
        (self.showMarkers, self.plotWidth, self.plotHeight) = (showMarkers, plotWidth, plotHeight)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when there is no series, a series is
    /// empty or has an `x` of another length, or the plot is under 60 × 40 points.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate(!series.isEmpty, "a line chart needs at least one series")
        for s in series {
            try validate(!s.values.isEmpty, "series \"\(s.name)\" has no values")
            try validate(s.x.map { $0.count == s.values.count } ?? true, "series \"\(s.name)\" has \(s.values.count) values but \(s.x?.count ?? 0) x positions")
        }
        try validate(plotWidth >= 60 && plotHeight >= 40, "plot \(plotWidth)×\(plotHeight) is too small")
        let points = series.map { s in zip(s.x ?? s.values.indices.map(Double.init), s.values).map { ($0, $1) } }
        let xs = points.joined().map(\.0).filter(\.isFinite), ys = points.joined().map(\.1).filter(\.isFinite)
        let xAxis = NumericAxis(dataMin: xs.min() ?? 0, dataMax: xs.max() ?? 1, target: 6, exact: true)
        let yAxis = yRange.map { NumericAxis(dataMin: $0.lowerBound, dataMax: $0.upperBound, exact: true) }
            ?? NumericAxis(dataMin: ys.min() ?? 0, dataMax: ys.max() ?? 1)
        let markers = showMarkers ?? series.allSatisfy { $0.values.count <= 30 }

        let m = Theme.margin
        let leftSpace = ChartFrame.leftSpace(yAxis, yTitle: yLabel, engine: engine)
        let tickHeight = engine.measure("0", .tick).height
        let xTitleHeight = xLabel.map { engine.measure($0, ChartFrame.axisStyle).height + 6 } ?? 0
        // Legend: a line sample and the name per series, to the right of the plot.
        let legendStyle = TextStyle(size: Theme.labelSize)
        let legendRow = engine.measure("Ag", legendStyle).height + 4
        let legendWidth = 28 + engine.maxWidth(series.map(\.name), legendStyle, limit: 200)
        let title = TitleBlock(title, engine: engine, maxWidth: max(leftSpace + plotWidth + 20 + legendWidth, 520))
        let plot = Rect(x: m + leftSpace, y: m + title.height + 6, width: plotWidth, height: plotHeight)
        let legend = Rect(x: plot.maxX + 18, y: plot.y, width: legendWidth, height: legendRow * Double(series.count))
        let size = Size(width: max(legend.maxX, m + title.width) + m,
                        height: max(plot.maxY + 4 + tickHeight + xTitleHeight + 4, legend.maxY) + m)
        let frame = ChartFrame(plot: plot, y: yAxis, yTitle: yLabel, xTitle: xLabel)

        var regions: [FigureRegion: Rect] = [.plot: plot, .legend: legend]
        regions[.title] = title.region(x: m, y: m)
        let series = series
        func color(_ i: Int) -> RGBA { series[i].color ?? Palette.color(i) }
        return Plan(size: size, regions: regions) { canvas in
            title.draw(on: canvas, x: m, y: m)
            frame.drawBackground(on: canvas)
            canvas.withClip(plot.insetBy(-4, -4)) {
                for (i, s) in points.enumerated() {
                    // Non-finite values break the curve.
                    var run: [(Double, Double)] = []
                    func flush() { canvas.polyline(run, color(i), lineWidth: 1.8, dash: series[i].dashed ? [5, 3] : []); run = [] }
                    for (x, y) in s {
                        guard x.isFinite, y.isFinite else { flush(); continue }
                        run.append((xAxis.map(x, plot.x, plot.maxX), yAxis.map(y, plot.maxY, plot.y)))
                    }
                    flush()
                    if markers {
                        for (x, y) in s where x.isFinite && y.isFinite {
                            canvas.fillCircle(center: (xAxis.map(x, plot.x, plot.maxX), yAxis.map(y, plot.maxY, plot.y)), radius: 2.6, color(i))
                        }
                    }
                }
            }
            for v in xAxis.ticks.values {
                let px = xAxis.map(v, plot.x, plot.maxX)
                canvas.line(from: (px, plot.maxY), to: (px, plot.maxY + 3), Theme.axis, lineWidth: 0.8)
                canvas.text(xAxis.ticks.label(v), .tick, at: (px, plot.maxY + 4), anchor: .topCenter)
            }
            frame.drawAxes(on: canvas, xTitleY: plot.maxY + 4 + tickHeight + 6)
            for (i, s) in series.enumerated() {
                let cy = legend.y + (Double(i) + 0.5) * legendRow
                canvas.line(from: (legend.x, cy), to: (legend.x + 20, cy), color(i), lineWidth: 1.8, dash: s.dashed ? [5, 3] : [])
                if markers { canvas.fillCircle(center: (legend.x + 10, cy), radius: 2.6, color(i)) }
                canvas.text(s.name, legendStyle, at: (legend.x + 28, cy), anchor: .leftMiddle, maxWidth: 200)
            }
        }
    }
}
