import Foundation

/// Signed scores as bars from a zero line (per-head importance, per-neuron attribution, …):
/// positive bars red, negative blue (the ends of the diverging map), values printed on the bars
/// when there is room, labels under the bars (rotated or thinned as needed).
///
/// Shapes: `values` and `labels` have one entry per bar (labels default to indices).
public struct BarChart: Figure {
    /// One value per bar, signed; non-finite values draw no bar.
    public var values: [Double]
    /// One label per bar under the axis; nil labels bars by index (`0`, `1`, …).
    public var labels: [String]?
    /// Title above the chart; nil draws none.
    public var title: String?
    /// The y axis title, e.g. "Δ logit".
    public var valueLabel: String?
    /// The x axis title, e.g. "head".
    public var categoryLabel: String?
    /// Fill of bars ≥ 0 (default the red end of `Colormap.redBlue`).
    public var positiveColor: RGBA
    /// Fill of bars < 0 (default the blue end of `Colormap.redBlue`).
    public var negativeColor: RGBA
    /// Height of the plot area in points.
    public var plotHeight: Double
    /// Width of the plot area in points; nil: 32 points per bar, between 240 and 900.
    public var plotWidth: Double?

    /// A bar chart from its parts, as listed above; nothing is checked until `render`.
    public init(values: [Double], labels: [String]? = nil, title: String? = nil, valueLabel: String? = nil,
                categoryLabel: String? = nil, positiveColor: RGBA = RGBA(hex: 0xD6604D), negativeColor: RGBA = RGBA(hex: 0x4393C3),
                plotHeight: Double = 240, plotWidth: Double? = nil) {
        (self.values, self.labels, self.title, self.valueLabel, self.categoryLabel) = (values, labels, title, valueLabel, categoryLabel)
        (self.positiveColor, self.negativeColor, self.plotHeight, self.plotWidth) = (positiveColor, negativeColor, plotHeight, plotWidth)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when `values` is empty, `labels` has the
    /// wrong count, or `plotHeight` is below 40 points.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate(!values.isEmpty, "a bar chart needs at least one value")
        let names = labels ?? values.indices.map(String.init)
        try validate(names.count == values.count, "\(values.count) values but \(names.count) labels")
        try validate(plotHeight >= 40, "plot height \(plotHeight) is too small")
        let finite = values.filter(\.isFinite)
        let n = values.count
        let width = plotWidth ?? min(900, max(240, 32 * Double(n)))
        let pitch = width / Double(n)
        // Values on the bars when each bar is wide enough for its number (with headroom for them).
        let valueStyle = TextStyle(size: 8, color: Theme.mutedText)
        let lo = min(finite.min() ?? 0, 0), hi = max(finite.max() ?? 1, 0)
        let rough = NumericAxis(dataMin: lo, dataMax: hi, includeZero: true)
        let valueTexts = values.map { Ticks.format($0, step: rough.ticks.step / 10) }
        let printValues = engine.maxWidth(valueTexts, valueStyle) <= pitch - 2
        let valueHeight = engine.measure("0", valueStyle).height
        // The axis ends just past the longest bars (and their printed values), ticks inside.
        let headroom = (printValues ? (valueHeight + 4) / plotHeight * 1.1 : 0.03) * (hi - lo)
        let y = NumericAxis(dataMin: lo < 0 ? lo - headroom : 0, dataMax: hi > 0 ? hi + headroom : 0,
                            includeZero: true, exact: true)
        let m = Theme.margin
        let leftSpace = ChartFrame.leftSpace(y, yTitle: valueLabel, engine: engine)
        let xLabels = AxisLabels(names, side: .bottom, cell: pitch, engine: engine, maxLength: 100)
        let centers = (0..<n).map { (Double($0) + 0.5) * pitch }
        let (labelDepth, overhang) = xLabels.extent(centers: centers, edge: 0, gridStart: 0)
        let xTitleHeight = categoryLabel.map { engine.measure($0, ChartFrame.axisStyle).height + 6 } ?? 0
        let title = TitleBlock(title, engine: engine, maxWidth: max(leftSpace + width, 520))
        let plot = Rect(x: m + max(leftSpace, overhang), y: m + title.height + 8, width: width, height: plotHeight)
        let size = Size(width: max(plot.maxX, m + title.width) + m, height: plot.maxY + labelDepth + xTitleHeight + 4 + m)
        let frame = ChartFrame(plot: plot, y: y, yTitle: valueLabel, xTitle: categoryLabel)

        let absCenters = centers.map { $0 + plot.x }
        var regions: [FigureRegion: Rect] = [.plot: plot]
        regions[.title] = title.region(x: m, y: m)
        regions[.columnLabels] = xLabels.bounds(centers: absCenters, edge: plot.maxY + 3)
        let values = values, positive = positiveColor, negative = negativeColor
        return Plan(size: size, regions: regions) { canvas in
            title.draw(on: canvas, x: m, y: m)
            frame.drawBackground(on: canvas)
            let zero = y.map(0, plot.maxY, plot.y)
            let barWidth = max(pitch * 0.72, min(pitch, 0.8))
            for (i, v) in values.enumerated() where v.isFinite {
                let top = y.map(v, plot.maxY, plot.y)
                let rect = Rect(x: absCenters[i] - barWidth / 2, y: min(top, zero), width: barWidth, height: abs(zero - top))
                canvas.fill(rect, v >= 0 ? positive : negative)
                if printValues {
                    canvas.text(valueTexts[i], valueStyle, at: (absCenters[i], v >= 0 ? rect.y - 2 : rect.maxY + 2),
                                anchor: TextAnchor(h: .center, v: v >= 0 ? .bottom : .top))
                }
            }
            canvas.line(from: (plot.x, zero), to: (plot.maxX, zero), Theme.axis, lineWidth: 0.8)
            frame.drawAxes(on: canvas, xTitleY: plot.maxY + 3 + labelDepth + 6)
            xLabels.draw(on: canvas, centers: absCenters, edge: plot.maxY + 3)
        }
    }
}
