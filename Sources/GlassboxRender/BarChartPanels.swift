import Foundation

/// Several bar charts stacked top to bottom under one title, each drawn as a `BarChart` with its
/// own title (the panel's name), axis and labels: e.g. a gated MLP neuron's two keys, gate and up,
/// read in embedding space.
public struct BarChartPanels: Figure {
    /// The panels, top to bottom; each one's `title` names it.
    public var panels: [BarChart]
    /// Title above all panels; nil draws none.
    public var title: String?

    /// Panels under a title (nothing is checked until `render`).
    public init(panels: [BarChart], title: String? = nil) {
        (self.panels, self.title) = (panels, title)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension) and reports where the
    /// panels were drawn: `.plot` is the first panel's plot area, `.panel(k)` panel k's whole box,
    /// `.title` the overall title. Throws `RenderError.invalidInput` when there are no panels or a
    /// panel is inconsistent.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate(!panels.isEmpty, "no panels to draw")
        let plans = try panels.map { try $0.plan(engine) }
        let m = Theme.margin
        let width = max(plans.map(\.size.width).max() ?? 0, 520)
        let head = TitleBlock(title, engine: engine, maxWidth: width - 2 * m)
        // Each panel's plan has its own margins; the panels follow one another below the title.
        var offsets: [Double] = []
        var y = head.height
        for plan in plans {
            offsets.append(y)
            y += plan.size.height
        }
        var regions: [FigureRegion: Rect] = [:]
        regions[.title] = head.region(x: m, y: m)
        for (k, (plan, offset)) in zip(plans, offsets).enumerated() {
            regions[.panel(k)] = Rect(x: 0, y: offset, width: plan.size.width, height: plan.size.height)
            if k == 0, let plot = plan.regions[.plot] { regions[.plot] = Rect(x: plot.x, y: plot.y + offset, width: plot.width, height: plot.height) }
        }
        return Plan(size: Size(width: width, height: y), regions: regions, notes: plans.flatMap(\.notes)) { canvas in
            head.draw(on: canvas, x: m, y: m)
            for (plan, offset) in zip(plans, offsets) {
                canvas.translated(0, offset) { plan.draw(canvas) }
            }
        }
    }
}
