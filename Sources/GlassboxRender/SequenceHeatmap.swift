import Foundation

/// A sequence attribution as a heatmap (the inseq view): generated tokens down the left (rows,
/// targets), every token of the sequence along the bottom (columns, sources), a diverging colour
/// scale centred on 0 chosen by `scoreLimit` as for the token strips. Cells with no value (a source
/// at or after its target) are hatched; the generated tokens' columns are marked by a bar above the
/// matrix and a `›` before their labels.
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

    /// A heatmap from its parts, as listed above; nothing is checked until `render`.
    public init(scores: ScoreMatrix, rowLabels: [String], columnLabels: [String], generatedColumns: [Int],
                title: String? = nil, scoreLabel: String? = nil, scoreLimit: ScoreLimit = .robust, colormap: Colormap = .redBlue) {
        (self.scores, self.rowLabels, self.columnLabels, self.generatedColumns) = (scores, rowLabels, columnLabels, generatedColumns)
        (self.title, self.scoreLabel, self.scoreLimit, self.colormap) = (title, scoreLabel, scoreLimit, colormap)
    }

    /// The colour scale: `−L…L` with `L = scoreLimit.limit(for:)` of the finite scores.
    public var colorScale: ColorScale {
        .diverging(limit: scoreLimit.limit(for: scores.values.map(Double.init)), colormap: colormap)
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
        let generated = Set(generatedColumns)
        let labels = columnLabels.enumerated().map { generated.contains($0.offset) ? "›" + $0.element : $0.element }
        let scale = colorScale
        let limit = scale.upper
        let clipped = ScoreLimit.clippedCount(scores.values.map(Double.init), limit: limit)
        let matrix = AttentionMatrix(weights: scores, rowLabels: rowLabels, columnLabels: labels, title: title,
                                     colorScale: scale, rowAxisTitle: "generated token", columnAxisTitle: "source token (› generated)",
                                     valueLabel: scoreLabel)
        var plan = try matrix.plan(engine)
        guard let grid = plan.regions[.plot] else { return plan }
        let cell = grid.width / Double(scores.columns)
        let inner = plan.draw
        let band = min(4, max(2, cell * 0.3))
        plan.notes.append("generated tokens: columns \(generatedColumns.first.map(String.init) ?? "-")…\(generatedColumns.last.map(String.init) ?? "-") marked")
        plan.notes.append(scoreLimit.legend(limit: limit, clipped: clipped, unit: "cell"))
        plan.draw = { canvas in
            inner(canvas)
            for c in generatedColumns {
                canvas.fill(x: grid.x + Double(c) * cell, y: grid.y - band - 1, width: cell, height: band, color: Theme.axis)
            }
        }
        return plan
    }
}
