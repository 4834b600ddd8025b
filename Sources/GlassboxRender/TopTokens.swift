import Foundation

/// The view of a long input's explanation: the `k` highest-scoring tokens, one line each, in
/// order of score, each shown with `context` tokens either side, coloured on the same scale as the
/// whole strip would be (the scale is chosen from every score, not only the listed ones).
///
/// Shapes: `tokens` and `scores` have one entry per token (n); the figure draws `min(k, n)` lines
/// of at most `2·context + 1` tokens, so its size does not grow with n.
public struct TopTokens: Figure {
    /// The tokens as display text, one per score (n).
    public var tokens: [String]
    /// One signed score per token (n); NaN scores are never listed.
    public var scores: [Double]
    /// How many tokens to list (the highest scores, ties in input order).
    public var k: Int
    /// Tokens shown on each side of a listed token.
    public var context: Int
    /// The explained target's index, framed when it appears in a line; nil frames none.
    public var target: Int?
    /// Title above the list; nil draws none.
    public var title: String?
    /// The colour bar's caption, e.g. "relevance".
    public var scoreLabel: String?
    /// How the colour scale's end is chosen from all `scores` (as `TokenStrip.scoreLimit`).
    public var scoreLimit: ScoreLimit
    /// A diverging map (zero in the middle).
    public var colormap: Colormap
    /// Token text size in points.
    public var fontSize: Double
    /// The last token is the appended prediction of a causal LM (shown for context, not an input
    /// token): the legend does not count it.
    public var appendsTarget = false
    /// PDF only: the list goes onto pages of at most this many points, cut between lines (a PNG or
    /// SVG is one picture).
    public var pageHeight: Double = 1_200

    /// A list from its parts, as listed above; nothing is checked until `render`.
    public init(tokens: [String], scores: [Double], k: Int, context: Int = 6, target: Int? = nil, title: String? = nil,
                scoreLabel: String? = nil, scoreLimit: ScoreLimit = .robust, colormap: Colormap = .redBlue,
                fontSize: Double = 13) {
        (self.tokens, self.scores, self.k, self.context, self.target) = (tokens, scores, k, context, target)
        (self.title, self.scoreLabel, self.scoreLimit, self.colormap, self.fontSize) = (title, scoreLabel, scoreLimit, colormap, fontSize)
    }

    /// The listed token indices: the `k` highest finite scores, highest first (ties: lower index first).
    public var listed: [Int] {
        let finite = scores.indices.filter { scores[$0].isFinite }
        return Array(finite.sorted { (scores[$0], -$0) > (scores[$1], -$1) }.prefix(max(0, k)))
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point). Throws `RenderError.invalidInput` when `tokens` is empty, `scores` has another
    /// count, `k < 1`, `context < 0` or no score is finite.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate(!tokens.isEmpty, "a top-tokens view needs at least one token")
        try validate(tokens.count == scores.count, "\(tokens.count) tokens but \(scores.count) scores")
        try validate(k >= 1 && context >= 0, "k \(k) must be at least 1 and context \(context) at least 0")
        let rows = listed
        try validate(!rows.isEmpty, "no finite score to list")
        let m = Theme.margin, padX = TokenStrip.padX, padY = TokenStrip.padY, gapX = TokenStrip.gapX
        let title = TitleBlock(title, engine: engine, maxWidth: 760)
        let lineHeight = engine.measure("Ag", TextStyle(size: fontSize)).height + 2 * padY
        let scale = ColorScale.diverging(limit: scoreLimit.limit(for: scores), colormap: colormap)

        // One line per listed token: "#rank  position  score", then the context chips.
        struct Chip { var index: Int; var text: String; var x: Double; var width: Double }
        var labels: [String] = [], lines: [[Chip]] = []
        var labelWidth = 0.0, used = 0.0
        for (rank, p) in rows.enumerated() {
            let label = String(format: "#%d  pos %d  %+.4g", rank + 1, p, scores[p])
            labelWidth = max(labelWidth, engine.measure(label, .tick).width)
            labels.append(label)
            var chips: [Chip] = [], x = 0.0
            let lower = max(0, p - context), upper = min(tokens.count - 1, p + context)
            if lower > 0 { chips.append(Chip(index: -1, text: "…", x: x, width: 14)); x += 14 + gapX }
            for i in lower...upper {
                let text = TokenText.visible(tokens[i].replacingOccurrences(of: "\n", with: "↵"))
                let box = engine.measure(text, TextStyle(size: fontSize, bold: i == p), maxWidth: 160, overflow: .ellipsizeEnd)
                let width = max(box.width, 4) + 2 * padX
                chips.append(Chip(index: i, text: text, x: x, width: width))
                x += width + gapX
            }
            if upper < tokens.count - 1 { chips.append(Chip(index: -1, text: "…", x: x, width: 14)); x += 14 + gapX }
            lines.append(chips)
        }
        // The listed tokens in one column: each line shifted right by what its left context lacks.
        let starts = lines.enumerated().map { row, chips in chips.first { $0.index == rows[row] }!.x }
        let column = starts.max() ?? 0
        for row in lines.indices {
            let shift = column - starts[row]
            for c in lines[row].indices { lines[row][c].x += shift }
            used = max(used, lines[row].last.map { $0.x + $0.width } ?? 0)
        }
        let chipLeft = m + labelWidth + 12
        let textTop = m + title.height
        let rowStep = lineHeight + TokenStrip.gapY
        let textHeight = Double(lines.count) * rowStep - TokenStrip.gapY

        let bar = ColorBar(scale, caption: scoreLabel, vertical: false, engine: engine)
        let barLength = 220.0, barSize = bar.size(length: barLength)
        let inputCount = appendsTarget ? tokens.count - 1 : tokens.count
        let scaleText = scoreLimit.legend(scores: scores, limit: scale.upper).text
            + " · the \(rows.count) highest of \(inputCount) tokens, \(context) either side"
        let scaleBox = engine.measure(scaleText, .tick)
        let barTop = textTop + textHeight + 16, scaleTop = barTop + barSize.height + 4
        let contentWidth = max(labelWidth + 12 + used, title.width, barSize.width, scaleBox.width)
        let size = Size(width: contentWidth + 2 * m, height: scaleTop + scaleBox.height + m)

        var regions: [FigureRegion: Rect] = [:]
        regions[.title] = title.region(x: m, y: m)
        regions[.plot] = Rect(x: m, y: textTop, width: contentWidth, height: textHeight)
        for (row, chips) in lines.enumerated() {
            for chip in chips where chip.index == rows[row] {
                regions[.token(chip.index)] = Rect(x: chipLeft + chip.x, y: textTop + Double(row) * rowStep, width: chip.width, height: lineHeight)
            }
        }
        regions[.colorBar] = Rect(x: m, y: barTop, width: barSize.width, height: barSize.height)
        regions[.scaleLegend] = Rect(x: m, y: scaleTop, width: scaleBox.width, height: scaleBox.height)

        // PDF pages: bands cut at the top of a line once a page is full.
        let bands = Plan.pageBands(lineTops: lines.indices.map { textTop + Double($0) * rowStep }, step: rowStep,
                                   height: size.height, pageHeight: pageHeight, margin: m)

        let scores = scores, target = target, fontSize = fontSize
        let drawBand: (Canvas, Double, Double) -> Void = { canvas, lo, hi in
            if lo <= m { title.draw(on: canvas, x: m, y: m) }
            for (row, chips) in lines.enumerated() {
                let y = textTop + Double(row) * rowStep
                guard y >= lo && y < hi else { continue }
                canvas.text(labels[row], .tick, at: (m, y + lineHeight / 2), anchor: .leftMiddle)
                for chip in chips {
                    let r = Rect(x: chipLeft + chip.x, y: y, width: chip.width, height: lineHeight)
                    guard chip.index >= 0 else {
                        canvas.text(chip.text, TextStyle(size: fontSize, color: Theme.mutedText), at: (r.x, r.y + padY))
                        continue
                    }
                    let background = scale.color(scores[chip.index])
                    canvas.fillRounded(r, radius: 2.5, background)
                    if scores[chip.index].isNaN || background.luminance > 0.9 {
                        canvas.strokeRounded(r.insetBy(0.25, 0.25), radius: 2.5, Theme.grid, lineWidth: 0.5)
                    }
                    let listedToken = chip.index == rows[row]
                    canvas.text(chip.text, TextStyle(size: fontSize, bold: listedToken, color: background.contrastingText),
                                at: (r.x + padX, r.y + padY), maxWidth: 160)
                    if listedToken { canvas.strokeRounded(r.insetBy(-1, -1), radius: 3.5, Theme.text, lineWidth: 1.6) }
                    if chip.index == target { canvas.strokeRounded(r.insetBy(-2.5, -2.5), radius: 4, Theme.text, lineWidth: 0.8) }
                    if scores[chip.index].isFinite && abs(scores[chip.index]) > scale.upper {
                        TokenStrip.drawClipMark(on: canvas, corner: (r.maxX, r.y), ink: background.contrastingText)
                    }
                }
            }
            guard barTop >= lo && barTop < hi else { return }
            canvas.text(scaleText, .tick, at: (m, scaleTop))
            bar.draw(on: canvas, at: (m, barTop), length: barLength)
        }
        return Plan(size: size, regions: regions, notes: [scaleText], draw: { drawBand($0, -.infinity, .infinity) },
                    pageBands: bands, drawBand: drawBand)
    }
}
