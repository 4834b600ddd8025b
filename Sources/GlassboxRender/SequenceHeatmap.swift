import Foundation

/// A sequence attribution as a heatmap (the inseq view): generated tokens down the left (rows,
/// targets), every token of the sequence along the bottom (columns, sources), a diverging colour
/// scale centred on 0 chosen by `scoreLimit` as for the token strips: cells beyond its limit are
/// drawn at full colour and marked with the strips' corner triangle (▲), and a line under the
/// picture states the rule, the limit and how many cells were clipped. Cells with no value (a
/// source at or after its target) are hatched; the generated tokens' columns are marked by a bar
/// above the matrix and a `›` before their labels.
///
/// A side longer than `maxCells` is pooled in whole blocks (`ScoreMatrix.pooled`, by `pooling`:
/// by default each drawn cell is the score of largest magnitude in its block), so a 5,000 × 5,100
/// matrix is drawn as 715 × 729 cells, each a block of 7 × 7; the title's second line, the axis titles
/// and the report's notes say that the cells were pooled, in blocks of what size and how. The
/// colour scale and the clipped count are taken over every cell, before pooling (docs/methods.md
/// §12.5).
///
/// Shapes: `scores` is `[targets, sources]`, NaN for no value; `rowLabels.count == rows`,
/// `columnLabels.count == columns`; `generatedColumns` are column indices.
public struct SequenceHeatmap: Figure {
    /// `[targets, sources]`; NaN cells are drawn hatched (no value).
    public var scores: ScoreMatrix
    /// One label per target row, as display text.
    public var rowLabels: [String]
    /// One label per source column, as display text.
    public var columnLabels: [String]
    /// The columns holding generated tokens (marked).
    public var generatedColumns: [Int]
    /// Title above the matrix; nil draws none.
    public var title: String?
    /// Caption of the colour bar (the method).
    public var scoreLabel: String?
    /// How the end of the colour scale is chosen from the finite scores.
    public var scoreLimit: ScoreLimit
    /// The colour map (zero-centred diverging by default).
    public var colormap: Colormap
    /// The most cells drawn along a side (> 0; default 840, the longest side the matrix view draws
    /// at its smallest cell of 1 point): a longer side is pooled in blocks of ⌈side / maxCells⌉.
    public var maxCells: Int
    /// The default `maxCells`, 840; the interactive page pools a sequence matrix by the same rule.
    public static let defaultMaxCells = 840
    /// How a pooled block becomes one cell (default `.maxMagnitude`: its score of largest |score|,
    /// sign kept).
    public var pooling: Downsampling

    /// A heatmap from its parts, as listed above; nothing is checked until `render`.
    public init(scores: ScoreMatrix, rowLabels: [String], columnLabels: [String], generatedColumns: [Int],
                title: String? = nil, scoreLabel: String? = nil, scoreLimit: ScoreLimit = .robust, colormap: Colormap = .redBlue,
                maxCells: Int = defaultMaxCells, pooling: Downsampling = .maxMagnitude) {
        (self.scores, self.rowLabels, self.columnLabels, self.generatedColumns) = (scores, rowLabels, columnLabels, generatedColumns)
        (self.title, self.scoreLabel, self.scoreLimit, self.colormap) = (title, scoreLabel, scoreLimit, colormap)
        (self.maxCells, self.pooling) = (maxCells, pooling)
    }

    /// The colour scale: `−L…L` with `L = scoreLimit.limit(for:)` of the finite scores.
    public var colorScale: ColorScale {
        .diverging(limit: scoreLimit.limit(forFloat32: scores.values), colormap: colormap)
    }

    /// The pooling blocks, rows × columns: 1 × 1 when the matrix is drawn cell for cell; square
    /// (the larger side's) when both sides are pooled, so the diagonal keeps its slope.
    public var blocks: (rows: Int, columns: Int) {
        let side = max(1, maxCells)
        let rows = (scores.rows + side - 1) / side, columns = (scores.columns + side - 1) / side
        return rows > 1 && columns > 1 ? (max(rows, columns), max(rows, columns)) : (rows, columns)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when the
    /// label counts do not match the matrix or a generated column is outside it.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate(generatedColumns.allSatisfy { $0 >= 0 && $0 < scores.columns },
                     "generated columns \(generatedColumns) outside 0..<\(scores.columns)")
        try validate(maxCells > 0, "maxCells \(maxCells) must be positive")
        let (rowBlock, columnBlock) = blocks
        guard rowBlock > 1 || columnBlock > 1 else { return try plan(engine, cells: scores) }
        try validate(rowLabels.count == scores.rows, "\(scores.rows) rows but \(rowLabels.count) row labels")
        try validate(columnLabels.count == scores.columns, "\(scores.columns) columns but \(columnLabels.count) column labels")
        let shown = scores.pooled(rowBlock: rowBlock, columnBlock: columnBlock, method: pooling)
        let statement = "\(pooling.name) in blocks of \(rowBlock) × \(columnBlock): \(scores.rows) × \(scores.columns) cells drawn as \(shown.rows) × \(shown.columns)"
        return try plan(engine, cells: shown, blocks: (rowBlock, columnBlock), statement: statement)
    }

    /// The plan drawing `cells` (the scores, or the scores pooled in `blocks` as `statement` says).
    private func plan(_ engine: TextEngine, cells: ScoreMatrix, blocks: (rows: Int, columns: Int) = (1, 1), statement: String? = nil) throws -> Plan {
        let pooled = statement != nil
        func ranges(_ count: Int, _ block: Int) -> [String] {
            stride(from: 0, to: count, by: block).map { block == 1 ? "\($0)" : "\($0)–\(min($0 + block, count) - 1)" }
        }
        let generated = Set(generatedColumns.map { $0 / blocks.columns })
        let columnTexts = blocks.columns > 1 ? ranges(scores.columns, blocks.columns) : columnLabels
        let labels = columnTexts.enumerated().map { generated.contains($0.offset) ? "›" + $0.element : $0.element }
        let scale = colorScale
        let limit = scale.upper
        var (legend, clipped) = scoreLimit.legend(float32: scores.values, limit: limit, unit: "cell")
        let matrix = AttentionMatrix(weights: cells, rowLabels: blocks.rows > 1 ? ranges(scores.rows, blocks.rows) : rowLabels,
                                     columnLabels: labels,
                                     title: pooled ? [title, "Cells " + statement!].compactMap { $0 }.joined(separator: "\n") : title,
                                     colorScale: scale,
                                     rowAxisTitle: blocks.rows > 1 ? "generated tokens, \(blocks.rows) per cell" : "generated token",
                                     columnAxisTitle: blocks.columns > 1 ? "source tokens, \(blocks.columns) per cell (› generated)" : "source token (› generated)",
                                     valueLabel: scoreLabel)
        var plan = try matrix.plan(engine)
        guard let grid = plan.regions[.plot] else { return plan }
        let cell = grid.width / Double(cells.columns)
        let inner = plan.draw
        let band = min(4, max(2, cell * 0.3))
        plan.notes.append("generated tokens: columns \(generatedColumns.first.map(String.init) ?? "-")…\(generatedColumns.last.map(String.init) ?? "-") marked")
        // The clipped cells are marked as the token strips mark theirs (`TokenStrip.drawClipMark`,
        // |score| > limit), a drawn cell when its block holds one; cells under 5 points get no mark
        // and the legend says so. The legend is drawn under the picture, left-aligned.
        let markSize = min(8, cell * 0.4)
        let drawsMarks = cell >= 5
        // Found only when they will be marked (a second pass over the scores, which may be millions).
        let clippedCells = clipped == 0 || !drawsMarks ? [] : Self.clippedCells(scores, limit: limit, blocks: blocks, drawnColumns: cells.columns)
        if clipped > 0 && !drawsMarks { legend += " (cells too small for the mark)" }
        plan.notes.append(legend)
        if let statement { plan.notes.append("cells " + statement) }
        let legendBox = engine.measure(legend, .tick)
        let legendOrigin = (Theme.margin, plan.size.height - Theme.margin + 6)
        plan.regions[.scaleLegend] = Rect(x: legendOrigin.0, y: legendOrigin.1, width: legendBox.width, height: legendBox.height)
        plan.size = Size(width: max(plan.size.width, legendBox.width + 2 * Theme.margin), height: legendOrigin.1 + legendBox.height + Theme.margin)
        // Unpooled: one bar per generated column, as always; pooled: one bar per run of marked cells.
        let bars: [Range<Int>] = pooled ? Self.runs(generated.sorted()) : generatedColumns.map { $0..<($0 + 1) }
        plan.draw = { canvas in
            inner(canvas)
            for run in bars {
                canvas.fill(x: grid.x + Double(run.lowerBound) * cell, y: grid.y - band - 1, width: Double(run.count) * cell, height: band, color: Theme.axis)
            }
            if drawsMarks {
                for index in clippedCells {
                    let (r, c) = index.quotientAndRemainder(dividingBy: cells.columns)
                    let value = Double(cells[r, c])
                    let ink = value.isNaN ? Theme.text : scale.color(value).contrastingText
                    TokenStrip.drawClipMark(on: canvas, corner: (grid.x + Double(c + 1) * cell, grid.y + Double(r) * cell), ink: ink, size: markSize)
                }
            }
            canvas.text(legend, .tick, at: legendOrigin)
        }
        return plan
    }

    /// The drawn cells (`row · drawnColumns + column`, ascending) whose block of `scores` holds a
    /// finite |score| beyond `limit`.
    static func clippedCells(_ scores: ScoreMatrix, limit: Double, blocks: (rows: Int, columns: Int), drawnColumns: Int) -> [Int] {
        var found = Set<Int>()
        for (i, v) in scores.values.enumerated() where v.isFinite && Double(abs(v)) > limit {
            let (r, c) = i.quotientAndRemainder(dividingBy: scores.columns)
            found.insert((r / blocks.rows) * drawnColumns + c / blocks.columns)
        }
        return found.sorted()
    }

    /// Ascending indices as runs of consecutive ones.
    static func runs(_ sorted: [Int]) -> [Range<Int>] {
        var out: [Range<Int>] = []
        for i in sorted {
            if let last = out.last, last.upperBound == i { out[out.count - 1] = last.lowerBound..<(i + 1) } else { out.append(i..<(i + 1)) }
        }
        return out
    }
}
