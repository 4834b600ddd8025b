import Foundation

/// Figures stacked top to bottom under one title (`HeatmapPanels`, `BarChartPanels`): each panel's
/// plan keeps its own margins, title, axes and labels; the panels follow one another below the
/// title, a margin above the first and below the last.
enum StackedPanels {
    /// One plan of `plans` stacked under `title`, at least 520 points wide. Regions: `.title`, `.plot`
    /// (the first panel's plot area) and `.panel(k)` (panel k's whole box); the panels' notes in order.
    static func plan(_ plans: [Plan], title: String?, engine: TextEngine) -> Plan {
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
        for (k, (plan, offset)) in zip(plans, offsets).enumerated() {
            regions[.panel(k)] = Rect(x: 0, y: offset, width: plan.size.width, height: plan.size.height)
            if k == 0, let plot = plan.regions[.plot] {
                regions[.plot] = Rect(x: plot.x, y: plot.y + offset, width: plot.width, height: plot.height)
            }
        }
        return Plan(size: Size(width: width, height: y + m), regions: regions, notes: plans.flatMap(\.notes)) { canvas in
            head.draw(on: canvas, x: m, y: m)
            for (plan, offset) in zip(plans, offsets) {
                canvas.translated(0, offset) { plan.draw(canvas) }
            }
        }
    }
}
