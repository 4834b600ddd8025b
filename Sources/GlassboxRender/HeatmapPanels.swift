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
        return try StackedPanels.plan(try panels.map { try $0.plan(engine) }, title: title, engine: engine)
            .render(to: url, scale: scale)
    }
}
