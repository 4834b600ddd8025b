import Foundation

/// Small multiples: several line charts (one per method, say) laid out in a grid under one title,
/// each drawn as `LineChart` draws it. Panels of one grid should share their y range (set
/// `LineChart.yRange`) so that heights compare across panels.
///
/// Regions: `.title` (the grid's), and `.plot` for the first panel's plot area.
public struct LineChartGrid: Figure {
    /// The panels, filled row by row.
    public var panels: [LineChart]
    /// Panels per row (at least 1).
    public var columns: Int
    /// Title above the grid; nil draws none.
    public var title: String?

    /// A grid from its panels, as listed above; nothing is checked until `render`.
    public init(panels: [LineChart], columns: Int = 3, title: String? = nil) {
        (self.panels, self.columns, self.title) = (panels, columns, title)
    }

    /// Draws the grid into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels per
    /// point). Throws `RenderError.invalidInput` when there is no panel, `columns` is below 1, or a
    /// panel is invalid (see `LineChart.render`).
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate(!panels.isEmpty, "a chart grid needs at least one panel")
        try validate(columns >= 1, "a chart grid needs at least one column, got \(columns)")
        let plans = try panels.map { try $0.plan(engine) }
        let cellWidth = plans.map(\.size.width).max()!, cellHeight = plans.map(\.size.height).max()!
        let cols = min(columns, plans.count), rows = (plans.count + cols - 1) / cols
        let m = Theme.margin
        let title = TitleBlock(title, engine: engine, maxWidth: max(cellWidth * Double(cols) - 2 * m, 400))
        let top = title.height > 0 ? m + title.height : 0
        let size = Size(width: max(cellWidth * Double(cols), m + title.width + m), height: top + cellHeight * Double(rows))
        func origin(_ k: Int) -> (x: Double, y: Double) { (cellWidth * Double(k % cols), top + cellHeight * Double(k / cols)) }
        var regions: [FigureRegion: Rect] = [:]
        regions[.title] = title.region(x: m, y: m)
        if let plot = plans[0].regions[.plot] {
            regions[.plot] = Rect(x: plot.x + origin(0).x, y: plot.y + origin(0).y, width: plot.width, height: plot.height)
        }
        return Plan(size: size, regions: regions, notes: plans.flatMap(\.notes)) { canvas in
            title.draw(on: canvas, x: m, y: m)
            for (k, plan) in plans.enumerated() {
                let (x, y) = origin(k)
                canvas.translated(x, y) { plan.draw(canvas) }
            }
        }
    }
}
