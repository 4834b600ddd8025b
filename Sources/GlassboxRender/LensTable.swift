import Foundation

/// A logit-lens table: one row per layer, one column per input position; each cell shows the
/// lens's top token at that layer and position, coloured by its probability (fixed 0…1 scale).
///
/// Shapes: `cells[layer][position]`, every row `positionLabels.count` long; `layerLabels`
/// (if given) has one entry per row.
public struct LensTable: Figure {
    /// One cell: the top token's display text and its probability.
    public struct Cell: Sendable, Equatable {
        /// Display text of the lens's top token.
        public var text: String
        /// Its probability under the lens, 0…1 (the cell's colour).
        public var probability: Double
        /// Drawn bold, e.g. when the top token is the one the model finally predicts.
        public var isMarked: Bool
        /// A cell from its fields, as listed above.
        public init(text: String, probability: Double, isMarked: Bool = false) {
            (self.text, self.probability, self.isMarked) = (text, probability, isMarked)
        }
    }

    /// `cells[layer][position]`: one row per layer, each `positionLabels.count` long.
    public var cells: [[Cell]]
    /// The input tokens, one per column.
    public var positionLabels: [String]
    /// One per row of `cells` (default "0", "1", …).
    public var layerLabels: [String]?
    /// Title above the table; nil draws none.
    public var title: String?
    /// Row 0 at the bottom (layers grow upwards, as in most lens plots); false puts it on top.
    public var firstLayerAtBottom: Bool
    /// Colour of a cell by probability (default Blues over 0…1).
    public var colorScale: ColorScale
    /// Cell texts longer than this (points) are shortened with "…".
    public var maxCellWidth: Double
    /// Cell text size in points.
    public var fontSize: Double
    /// The widest grid drawn (points). A table of more columns than fit draws the first position
    /// (an encoder's [CLS]) and the last positions that fit beside it — a causal model's lens is
    /// read at its end — and its title says which ("positions 0 and 3,801–4,095 of 4,096 shown");
    /// the JSON and the `.html` page keep every position.
    public var maxGridWidth: Double

    /// The default ``maxGridWidth``: 12,000 points, a 24,000-pixel PNG at 2 pixels per point.
    public static let defaultMaxGridWidth = 12_000.0

    /// A table from its parts, as listed above; nothing is checked until `render`.
    public init(cells: [[Cell]], positionLabels: [String], layerLabels: [String]? = nil, title: String? = nil,
                firstLayerAtBottom: Bool = true, colorScale: ColorScale = .unit(.blues),
                maxCellWidth: Double = 90, fontSize: Double = 10, maxGridWidth: Double = LensTable.defaultMaxGridWidth) {
        (self.cells, self.positionLabels, self.layerLabels, self.title) = (cells, positionLabels, layerLabels, title)
        (self.firstLayerAtBottom, self.colorScale, self.maxCellWidth, self.fontSize) = (firstLayerAtBottom, colorScale, maxCellWidth, fontSize)
        self.maxGridWidth = maxGridWidth
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when the table is empty, a row does not
    /// have one cell per position, or `layerLabels` has the wrong count.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        let layers = cells.count, positions = positionLabels.count
        try validate(layers > 0 && positions > 0, "a lens table needs at least one layer and one position")
        try validate(cells.allSatisfy { $0.count == positions }, "every layer needs \(positions) cells, one per position")
        let names = layerLabels ?? (0..<layers).map(String.init)
        try validate(names.count == layers, "\(layers) layers but \(names.count) layer labels")

        let m = Theme.margin, padX = 5.0
        let style = TextStyle(size: fontSize), bold = TextStyle(size: fontSize, bold: true)
        let texts = cells.map { $0.map { TokenText.label($0.text) } }
        let rowHeight = engine.measure("Ag", style).height + 8
        // Column widths: the widest cell text of each column, within limits.
        let widths = (0..<positions).map { p in
            let widest = (0..<layers).map { engine.measure(texts[$0][p], cells[$0][p].isMarked ? bold : style, maxWidth: maxCellWidth).width }.max() ?? 0
            let header = engine.measure(TokenText.label(positionLabels[p]), TextStyle(size: min(Theme.labelSize, fontSize)), maxWidth: maxCellWidth).width
            return max(28, max(widest, header) + 2 * padX)
        }
        if widths.reduce(0, +) > maxGridWidth, positions > 2 {
            // The first position (an encoder's [CLS], read by its classifier) and the last
            // positions whose columns fit beside it (at least one).
            var first = positions - 1, width = widths[0] + widths[first]
            while first > 1, width + widths[first - 1] <= maxGridWidth { first -= 1; width += widths[first] }
            let kept = [0] + Array(first..<positions)
            var shown = self
            shown.cells = cells.map { row in kept.map { row[$0] } }
            shown.positionLabels = kept.map { positionLabels[$0] }
            shown.maxGridWidth = .infinity
            let range = "positions 0 and \(Self.grouped(first))–\(Self.grouped(positions - 1)) of \(Self.grouped(positions)) shown"
            shown.title = title.map { "\($0) · \(range)" } ?? range
            var plan = try shown.plan(engine)
            plan.notes.append(range + " (the last that fit \(Int(maxGridWidth)) points)")
            return plan
        }
        var xs = [0.0]
        for w in widths { xs.append(xs.last! + w) }
        let gridSize = Size(width: xs.last!, height: rowHeight * Double(layers))
        let columnCenters = (0..<positions).map { (xs[$0] + xs[$0 + 1]) / 2 }
        func rowIndex(_ layer: Int) -> Int { firstLayerAtBottom ? layers - 1 - layer : layer }
        let rowCenters = (0..<layers).map { (Double(rowIndex($0)) + 0.5) * rowHeight }

        let rows = AxisLabels(names, side: .left, cell: rowHeight, engine: engine)
        let columns = AxisLabels(positionLabels, side: .bottom, cell: widths.min()!, engine: engine, maxLength: maxCellWidth,
                                 fontSize: min(Theme.labelSize, fontSize), pitches: widths)
        let axisStyle = TextStyle(size: Theme.labelSize, italic: true, color: Theme.mutedText)
        let rowDepth = rows.extent(centers: rowCenters, edge: 0, gridStart: 0).depth
        let (columnDepth, overhang) = columns.extent(centers: columnCenters, edge: gridSize.height, gridStart: 0)
        let axisHeight = engine.measure("layer", axisStyle).height
        let leftSpace = max(rowDepth + axisHeight + 6, overhang)
        let bar = ColorBar(colorScale, caption: "probability", vertical: true, engine: engine)
        let barLength = min(gridSize.height, 240)
        let barSize = bar.size(length: barLength)
        let title = TitleBlock(title, engine: engine, maxWidth: max(leftSpace + gridSize.width + barSize.width + 16, 520))

        let grid = Rect(x: m + leftSpace, y: m + title.height, width: gridSize.width, height: gridSize.height)
        let inputTitleY = grid.maxY + columnDepth + 6
        let barOrigin = (grid.maxX + 16, grid.y)
        let size = Size(width: max(barOrigin.0 + barSize.width, m + title.width) + m,
                        height: max(inputTitleY + axisHeight, grid.y + barSize.height) + m)
        let rowAbs = rowCenters.map { $0 + grid.y }, columnAbs = columnCenters.map { $0 + grid.x }

        var regions: [FigureRegion: Rect] = [.plot: grid]
        regions[.title] = title.region(x: m, y: m)
        regions[.rowLabels] = rows.bounds(centers: rowAbs, edge: grid.x)
        regions[.columnLabels] = columns.bounds(centers: columnAbs, edge: grid.maxY)
        regions[.colorBar] = Rect(x: barOrigin.0, y: barOrigin.1, width: barSize.width, height: barSize.height)

        let scale = colorScale
        return Plan(size: size, regions: regions, notes: [String(format: "colour = probability on %g…%g (%@)", scale.lower, scale.upper, scale.colormap.name)]) { canvas in
            title.draw(on: canvas, x: m, y: m)
            for l in 0..<layers {
                let y = grid.y + Double(rowIndex(l)) * rowHeight
                for p in 0..<positions {
                    let rect = Rect(x: grid.x + xs[p], y: y, width: widths[p], height: rowHeight)
                    let background = scale.color(self.cells[l][p].probability)
                    // Cells are inset by half a point: the white gaps are meant, not seams.
                    canvas.fill(rect.insetBy(0.5, 0.5), background)
                    var ink = self.cells[l][p].isMarked ? bold : style
                    ink.color = background.contrastingText
                    canvas.text(texts[l][p], ink, at: (rect.midX, rect.midY), anchor: .center, maxWidth: self.maxCellWidth)
                }
            }
            rows.draw(on: canvas, centers: rowAbs, edge: grid.x)
            columns.draw(on: canvas, centers: columnAbs, edge: grid.maxY)
            canvas.text("layer", axisStyle, at: (grid.x - rowDepth - 6, grid.midY), anchor: TextAnchor(h: .center, v: .bottom), rotation: -.pi / 2)
            canvas.text("input", axisStyle, at: (grid.midX, inputTitleY), anchor: .topCenter)
            bar.draw(on: canvas, at: barOrigin, length: barLength)
        }
    }

    /// `n` with thousands separated by commas: 4,096.
    static func grouped(_ n: Int) -> String {
        let digits = String(n)
        return digits.enumerated().map { i, c in (i > 0 && (digits.count - i) % 3 == 0 ? "," : "") + String(c) }.joined()
    }
}
