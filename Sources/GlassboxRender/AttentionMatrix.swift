import Foundation

/// One attention pattern as a heatmap: query tokens down the left, key tokens along the bottom
/// (rotated when they do not fit), a colour bar and a title. Masked cells — the causal upper
/// triangle, or NaN — are hatched grey, visibly empty rather than "zero".
///
/// Shapes: `weights` is `[queries, keys]` (rows × columns); `rowLabels.count == rows`,
/// `columnLabels.count == columns`. Labels are display text (see `TokenText.display`).
public struct AttentionMatrix: Figure {
    /// The pattern `[queries, keys]`; NaN cells are drawn masked.
    public var weights: ScoreMatrix
    /// One label per row (query), as display text.
    public var rowLabels: [String]
    /// One label per column (key), as display text.
    public var columnLabels: [String]
    /// Title above the matrix; nil draws none.
    public var title: String?
    /// Hide the upper triangle (column > row): for decoder self-attention.
    public var causal: Bool
    /// Defaults to viridis over the fixed range 0…1, so pictures of different heads compare.
    public var colorScale: ColorScale
    /// Print each cell's value when cells are large enough (≥ 22 points).
    public var showValues: Bool
    /// Side of a cell in points; nil chooses one so the matrix is about 420 points across
    /// (cells of 1 to 28 points).
    public var cellSize: Double?
    /// Title of the row axis (default "query"); nil draws none.
    public var rowAxisTitle: String?
    /// Title of the column axis (default "key"); nil draws none.
    public var columnAxisTitle: String?
    /// Caption of the colour bar (default "attention"); nil draws none.
    public var valueLabel: String?

    /// A heatmap from its parts, as listed above; nothing is checked until `render`.
    public init(weights: ScoreMatrix, rowLabels: [String], columnLabels: [String], title: String? = nil,
                causal: Bool = false, colorScale: ColorScale = .unit(.viridis), showValues: Bool = false,
                cellSize: Double? = nil, rowAxisTitle: String? = "query", columnAxisTitle: String? = "key",
                valueLabel: String? = "attention") {
        (self.weights, self.rowLabels, self.columnLabels, self.title, self.causal) = (weights, rowLabels, columnLabels, title, causal)
        (self.colorScale, self.showValues, self.cellSize) = (colorScale, showValues, cellSize)
        (self.rowAxisTitle, self.columnAxisTitle, self.valueLabel) = (rowAxisTitle, columnAxisTitle, valueLabel)
    }

    /// Self-attention over one token sequence: the same labels on both axes.
    public init(weights: ScoreMatrix, tokens: [String], title: String? = nil, causal: Bool = false,
                colorScale: ColorScale = .unit(.viridis), showValues: Bool = false, cellSize: Double? = nil) {
        self.init(weights: weights, rowLabels: tokens, columnLabels: tokens, title: title, causal: causal,
                  colorScale: colorScale, showValues: showValues, cellSize: cellSize)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when the label counts do not match
    /// `weights`' rows and columns, or `cellSize` is not positive.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate(rowLabels.count == weights.rows, "\(weights.rows) rows but \(rowLabels.count) row labels")
        try validate(columnLabels.count == weights.columns, "\(weights.columns) columns but \(columnLabels.count) column labels")
        let cell = cellSize ?? min(28, max(1, 420 / Double(max(weights.rows, weights.columns))))
        try validate(cell > 0, "cell size \(cell) must be positive")
        let m = Theme.margin
        let grid = Size(width: cell * Double(weights.columns), height: cell * Double(weights.rows))
        let rows = AxisLabels(rowLabels, side: .left, cell: cell, engine: engine)
        let columns = AxisLabels(columnLabels, side: .bottom, cell: cell, engine: engine)
        let axisStyle = TextStyle(size: Theme.labelSize, italic: true, color: Theme.mutedText)
        let rowTitle = rowAxisTitle.map { engine.measure($0, axisStyle) }
        let columnTitle = columnAxisTitle.map { engine.measure($0, axisStyle) }
        let bar = ColorBar(colorScale, caption: valueLabel, vertical: true, engine: engine)

        // Measure the labels against a grid at the origin, then shift everything into place.
        let rowCenters = (0..<weights.rows).map { (Double($0) + 0.5) * cell }
        let columnCenters = (0..<weights.columns).map { (Double($0) + 0.5) * cell }
        let rowDepth = rows.extent(centers: rowCenters, edge: 0, gridStart: 0).depth
        let (columnDepth, overhang) = columns.extent(centers: columnCenters, edge: grid.height, gridStart: 0)
        let leftSpace = max(rowDepth + (rowTitle.map { $0.height + 6 } ?? 0), overhang)
        let barLength = min(grid.height, 320)
        let barSize = bar.size(length: barLength)
        let title = TitleBlock(title, engine: engine, maxWidth: max(leftSpace + grid.width + barSize.width, 520))

        // The row axis title runs up beside the grid, centred on it; one longer than the grid is
        // tall would reach into the title, so the grid moves down by the excess and the axis
        // title ends level with the grid's bottom edge.
        let rowTitleLength = rowTitle?.width ?? 0
        let raise = max(0, rowTitleLength - grid.height)
        let gridRect = Rect(x: m + leftSpace, y: m + title.height + raise, width: grid.width, height: grid.height)
        let rowTitleAnchor = (gridRect.x - rowDepth - 6, raise > 0 ? gridRect.maxY - rowTitleLength / 2 : gridRect.midY)
        let rowTitlePlacement = TextAnchor(h: .center, v: .bottom)
        let columnTitleY = gridRect.maxY + columnDepth + 6
        let barOrigin = (gridRect.maxX + 16, gridRect.y)
        let width = max(barOrigin.0 + barSize.width, m + title.width) + m
        let height = max(columnTitleY + (columnTitle.map { $0.height } ?? 0), gridRect.y + barSize.height) + m

        var regions: [FigureRegion: Rect] = [.plot: gridRect]
        regions[.title] = title.region(x: m, y: m)
        let rowCentersAbs = rowCenters.map { $0 + gridRect.y }, columnCentersAbs = columnCenters.map { $0 + gridRect.x }
        regions[.rowLabels] = rows.bounds(centers: rowCentersAbs, edge: gridRect.x)
        regions[.columnLabels] = columns.bounds(centers: columnCentersAbs, edge: gridRect.maxY)
        regions[.colorBar] = Rect(x: barOrigin.0, y: barOrigin.1, width: barSize.width, height: barSize.height)
        regions[.rowAxisTitle] = rowTitle?.bounds(at: rowTitleAnchor, anchor: rowTitlePlacement, rotation: -.pi / 2)

        let shown = causal ? weights.maskingUpperTriangle() : weights
        let raster = shown.raster(colorScale, cellPoints: cell)
        let hasMasked = shown.values.contains { $0.isNaN }
        let scale = colorScale, showValues = showValues && cell >= 22
        var notes = [String(format: "colour range %g…%g (%@)", scale.lower, scale.upper, scale.colormap.name)]
        if rows.shown.count < weights.rows, rows.shown.count > 1 { notes.append("1 row label in \(rows.shown[1]) shown (cells of \(String(format: "%.2g", cell)) pt)") }
        if causal { notes.append("causal upper triangle hatched (no value)") }
        return Plan(size: Size(width: width, height: height), regions: regions, notes: notes) { canvas in
            title.draw(on: canvas, x: m, y: m)
            if hasMasked { canvas.hatch(gridRect, background: Theme.masked, lines: Theme.hatch, spacing: max(3, min(6, cell * 0.6))) }
            canvas.draw(raster, in: gridRect)
            canvas.stroke(gridRect, Theme.frame, lineWidth: 0.5)
            if showValues {
                for r in 0..<shown.rows {
                    for c in 0..<shown.columns where !shown[r, c].isNaN {
                        let v = Double(shown[r, c])
                        canvas.text(String(format: "%.2f", v), TextStyle(size: min(9, cell * 0.32), color: scale.color(v).contrastingText),
                                    at: (columnCentersAbs[c], rowCentersAbs[r]), anchor: .center)
                    }
                }
            }
            rows.draw(on: canvas, centers: rowCentersAbs, edge: gridRect.x)
            columns.draw(on: canvas, centers: columnCentersAbs, edge: gridRect.maxY)
            if let rowAxisTitle {
                canvas.text(rowAxisTitle, axisStyle, at: rowTitleAnchor, anchor: rowTitlePlacement, rotation: -.pi / 2)
            }
            if let columnAxisTitle {
                canvas.text(columnAxisTitle, axisStyle, at: (gridRect.midX, columnTitleY), anchor: .topCenter)
            }
            bar.draw(on: canvas, at: barOrigin, length: barLength)
        }
    }
}
