import Foundation

/// Several heatmaps stacked top to bottom under one title, each with its own labels and colour bar:
/// e.g. the layers × positions maps of activation patching, one panel per site kind.
///
/// Each panel is an `AttentionMatrix` (any rows × columns matrix with labels); give it a diverging
/// `ColorScale` centred on 0 for signed values.
public struct HeatmapPanels: Figure {
    /// The panels, top to bottom.
    public var panels: [AttentionMatrix]
    /// Title above all panels; nil draws none.
    public var title: String?

    /// Panels under a title (nothing is checked until `render`).
    public init(panels: [AttentionMatrix], title: String? = nil) {
        (self.panels, self.title) = (panels, title)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension). Throws
    /// `RenderError.invalidInput` when there are no panels or a panel is inconsistent.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        let engine = TextEngine()
        try validate(!panels.isEmpty, "no panels to draw")
        let plans = try panels.map { try $0.plan(engine) }
        let m = Theme.margin
        let width = max(plans.map(\.size.width).max() ?? 0, 520)
        let head = TitleBlock(title, engine: engine, maxWidth: width - 2 * m)
        var offsets: [Double] = []
        var y = m + head.height
        for plan in plans {
            offsets.append(y)
            y += plan.size.height
        }
        var regions: [FigureRegion: Rect] = [:]
        regions[.title] = head.region(x: m, y: m)
        if let first = plans.first?.regions[.plot] {
            regions[.plot] = Rect(x: first.x, y: first.y + offsets[0], width: first.width, height: first.height)
        }
        let notes = plans.flatMap(\.notes)
        return try Plan(size: Size(width: width, height: y + m), regions: regions, notes: notes) { canvas in
            head.draw(on: canvas, x: m, y: m)
            for (plan, offset) in zip(plans, offsets) {
                canvas.translated(0, offset) { plan.draw(canvas) }
            }
        }.render(to: url, scale: scale)
    }
}
