import Foundation

/// A numeric axis: a range widened to round ticks around the data.
struct NumericAxis {
    let lower: Double
    let upper: Double
    let ticks: Ticks

    /// An axis covering `dataMin…dataMax` (and 0 when `includeZero`), extended to whole ticks.
    init(dataMin: Double, dataMax: Double, includeZero: Bool = false, target: Int = 5, exact: Bool = false) {
        var lo = includeZero ? min(dataMin, 0) : dataMin, hi = includeZero ? max(dataMax, 0) : dataMax
        if !(lo.isFinite && hi.isFinite) { (lo, hi) = (0, 1) }
        if hi - lo < 1e-12 { let pad = max(abs(hi) * 0.1, 0.5); (lo, hi) = (lo - pad, hi + pad) }
        let first = Ticks(lower: lo, upper: hi, target: target)
        if !exact {
            lo = (lo / first.step).rounded(.down) * first.step
            hi = (hi / first.step).rounded(.up) * first.step
        }
        (lower, upper) = (lo, hi)
        ticks = Ticks(lower: lo, upper: hi, target: target)
    }

    /// The coordinate of `value` on a segment from `start` (at `lower`) to `end` (at `upper`).
    func map(_ value: Double, _ start: Double, _ end: Double) -> Double {
        start + (value - lower) / (upper - lower) * (end - start)
    }

    /// The widest tick label.
    func labelWidth(_ engine: TextEngine) -> Double { engine.maxWidth(ticks.values.map(ticks.label), .tick) }
}

/// The frame of a chart: light horizontal grid lines at the y ticks, tick labels, a zero line,
/// the axis lines and the axis titles.
struct ChartFrame {
    let plot: Rect
    let y: NumericAxis
    let yTitle: String?
    let xTitle: String?
    static let tickGap = 5.0

    /// Space needed left of the plot for y tick labels and the y title.
    static func leftSpace(_ y: NumericAxis, yTitle: String?, engine: TextEngine) -> Double {
        y.labelWidth(engine) + tickGap + 3 + (yTitle.map { engine.measure($0, axisStyle).height + 6 } ?? 0)
    }

    static let axisStyle = TextStyle(size: Theme.labelSize, color: Theme.mutedText)

    func drawBackground(on canvas: Canvas) {
        for v in y.ticks.values {
            let py = y.map(v, plot.maxY, plot.y)
            canvas.line(from: (plot.x, py), to: (plot.maxX, py), v == 0 ? Theme.axis : Theme.grid, lineWidth: v == 0 ? 0.8 : 0.6)
        }
    }

    func drawAxes(on canvas: Canvas, engine: TextEngine? = nil, xTitleY: Double) {
        canvas.line(from: (plot.x, plot.y), to: (plot.x, plot.maxY), Theme.axis, lineWidth: 0.8)
        canvas.line(from: (plot.x, plot.maxY), to: (plot.maxX, plot.maxY), Theme.axis, lineWidth: 0.8)
        var labelsLeft = plot.x
        for v in y.ticks.values {
            let py = y.map(v, plot.maxY, plot.y)
            canvas.line(from: (plot.x - 3, py), to: (plot.x, py), Theme.axis, lineWidth: 0.8)
            let box = canvas.text(y.ticks.label(v), .tick, at: (plot.x - 3 - Self.tickGap + 2, py), anchor: .rightMiddle)
            labelsLeft = min(labelsLeft, plot.x - 3 - Self.tickGap + 2 - box.width)
        }
        if let yTitle {
            canvas.text(yTitle, Self.axisStyle, at: (labelsLeft - 6, plot.midY), anchor: TextAnchor(h: .center, v: .bottom), rotation: -.pi / 2)
        }
        if let xTitle {
            canvas.text(xTitle, Self.axisStyle, at: (plot.midX, xTitleY), anchor: .topCenter)
        }
    }
}
