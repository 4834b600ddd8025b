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
        return StackedPanels.plan(try panels.map { try $0.plan(engine) }, title: title, engine: engine)
    }
}
