import Foundation

/// The input text as tokens, each on a background coloured by a signed score (relevance,
/// attribution), wrapped onto lines, with the explained target marked and a colour bar.
///
/// Shapes: `tokens` and `scores` have one entry per token (n). Tokens are display text: spaces
/// and newlines as themselves (use `TokenText.display` to turn `Ġ`, `Ċ`, `▁`, `##` spellings
/// into that). A newline ends the line after its token's box, which shows it as `↵`.
public struct TokenStrip: Figure {
    /// The tokens as display text, one per score (n).
    public var tokens: [String]
    /// One signed score per token; NaN draws the token on the masked grey.
    public var scores: [Double]
    /// The token to mark with a frame (the explained prediction), if any.
    public var target: Int?
    /// Title above the strip; nil draws none.
    public var title: String?
    /// The colour bar's caption, e.g. "relevance".
    public var scoreLabel: String?
    /// The colour range is `−limit…limit` with this fixed limit; nil lets `scoreLimit` choose it.
    /// Zero is always white.
    public var limit: Double?
    /// How the limit is chosen when `limit` is nil (default `.robust`: the largest |score| that is
    /// not a far outlier; tokens beyond it are marked with a corner triangle). The legend under
    /// the colour bar states the rule, the limit and how many tokens were clipped.
    public var scoreLimit: ScoreLimit
    /// A diverging map (zero in the middle).
    public var colormap: Colormap
    /// Lines wrap before this width (points).
    public var lineWidth: Double
    /// Token text size in points.
    public var fontSize: Double
    /// The tallest picture drawn (points; default 16,000, so a PNG at scale 2 stays within the
    /// 32,767-pixel limit). A strip that would be taller flows on without starting a line at each
    /// newline (the `↵` marks stay) and widens its lines (up to the same width), so a
    /// 16,384-token strip still fits one picture; beyond that `render` throws (as soon as the
    /// tokens measured so far cannot fit).
    public var maxHeight: Double = 16_000
    /// PDF only: the height of a page (points, default 1,200). A strip taller than this is written
    /// as several pages, cut between lines (the title on the first, the colour bar on the last),
    /// its lines neither widened nor joined; region rectangles stay in whole-strip coordinates.
    public var pageHeight: Double = 1_200

    /// A strip from its parts, as listed above; nothing is checked until `render`.
    public init(tokens: [String], scores: [Double], target: Int? = nil, title: String? = nil,
                scoreLabel: String? = nil, limit: Double? = nil, scoreLimit: ScoreLimit = .robust,
                colormap: Colormap = .redBlue, lineWidth: Double = 640, fontSize: Double = 13) {
        (self.tokens, self.scores, self.target, self.title, self.scoreLabel) = (tokens, scores, target, title, scoreLabel)
        (self.limit, self.scoreLimit, self.colormap, self.lineWidth, self.fontSize) = (limit, scoreLimit, colormap, lineWidth, fontSize)
    }

    /// The rule in force: `.fixed(limit)` when `limit` is set, else `scoreLimit`.
    public var limitRule: ScoreLimit { limit.map(ScoreLimit.fixed) ?? scoreLimit }

    /// The colour scale the strip uses: `−L…L` with `L = limitRule.limit(for: scores)`.
    public var colorScale: ColorScale {
        .diverging(limit: limitRule.limit(for: scores), colormap: colormap)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when `tokens` is empty, `scores` has another
    /// count, `target` is not a token index, or `lineWidth`/`fontSize` are too small.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        let paged = (try? OutputFormat(path: url.path)) == .pdf
        return try plan(TextEngine(), paged: paged).render(to: url, scale: scale)
    }

    static let padX = 3.0, padY = 3.0, gapX = 2.0, gapY = 5.0

    /// The most tokens a strip draws in any format (a PDF of them is about 280 pages); longer
    /// explanations are drawn as their top tokens (`TopTokens`) or as a page.
    public static let maximumTokens = 100_000

    /// The clipped-score mark: a small triangle in a chip's top-right corner (the "▲" of the legend).
    static func drawClipMark(on canvas: Canvas, corner: (Double, Double), ink: RGBA, size: Double = 8) {
        canvas.fillPolygon([(corner.0 - size, corner.1), (corner.0, corner.1), (corner.0, corner.1 + size)], ink)
    }

    private struct Chip { var text: String; var rect: Rect; var isNewlineOnly: Bool }

    func plan(_ engine: TextEngine, paged: Bool = false) throws -> Plan {
        try validate(!tokens.isEmpty, "a token strip needs at least one token")
        try validate(tokens.count == scores.count, "\(tokens.count) tokens but \(scores.count) scores")
        try validate(target.map { tokens.indices.contains($0) } ?? true, "target \(target ?? 0) is not a token index (0..<\(tokens.count))")
        try validate(lineWidth >= 40 && fontSize > 0, "line width \(lineWidth) or font size \(fontSize) too small")
        try validate(tokens.count <= Self.maximumTokens,
                     "\(tokens.count) tokens are more than a strip draws (at most \(Self.maximumTokens)); draw the highest-scoring tokens instead (--top K), or write an .html page")
        let style = TextStyle(size: fontSize)
        let m = Theme.margin
        let title = TitleBlock(title, engine: engine, maxWidth: max(lineWidth, 520))
        let lineHeight = engine.measure("Ag", style).height + 2 * Self.padY

        // Measure the chips once, then flow them onto lines. One picture holds at most
        // `(maxHeight − 2m)` wide × the text budget tall; each chip takes at least its width plus a
        // gap on a line of `lineHeight + gapY`, so once the chips measured so far need more area
        // than that, the rest need not be measured.
        let fits = "\(tokens.count) tokens do not fit one picture of at most \(Int(maxHeight)) points a side; draw the highest-scoring tokens instead (--top K), or write a .pdf (pages)"
        let textBudget = maxHeight - 2 * m - title.height - 80
        let areaBudget = (maxHeight - 2 * m) * (textBudget + Self.gapY)
        var area = 0.0
        var measured: [(text: String, width: Double, newlines: Int, isNewlineOnly: Bool)] = []
        measured.reserveCapacity(tokens.count)
        for (i, token) in tokens.enumerated() {
            let newlines = token.filter { $0 == "\n" }.count
            let body = token.replacingOccurrences(of: "\n", with: "")
            // "↵" per newline for a newline-only token, one "↵" after text that ends a line.
            let marks = newlines == 0 ? "" : String(repeating: "↵", count: body.isEmpty ? newlines : 1)
            let text = TokenText.visible(body) + marks
            let box = engine.measure(text, TextStyle(size: fontSize, bold: i == target), maxWidth: lineWidth - 2 * Self.padX, overflow: .ellipsizeEnd)
            measured.append((text, max(box.width, 4) + 2 * Self.padX, newlines, body.isEmpty && newlines > 0))
            area += (measured[i].width + Self.gapX) * (lineHeight + Self.gapY)
            try validate(paged || area <= areaBudget, fits)
        }
        func flow(_ width: Double, breaks: Bool = true) -> (chips: [Chip], used: Double, height: Double) {
            var chips: [Chip] = []
            chips.reserveCapacity(measured.count)
            var x = 0.0, y = 0.0, used = 0.0
            for chip in measured {
                if x > 0, x + chip.width > width { x = 0; y += lineHeight + Self.gapY }
                chips.append(Chip(text: chip.text, rect: Rect(x: x, y: y, width: chip.width, height: lineHeight), isNewlineOnly: chip.isNewlineOnly))
                used = max(used, x + chip.width)
                x += chip.width + Self.gapX
                for _ in 0..<(breaks ? min(chip.newlines, 2) : 0) { x = 0; y += lineHeight + Self.gapY }
            }
            return (chips, used, chips.last.map { $0.rect.maxY } ?? 0)
        }
        // Long inputs: newlines no longer end lines (their "↵" stays), and the lines widen (by the
        // ratio of heights, then in 10% steps) until the text fits.
        var (chips, used, textHeight) = flow(lineWidth)
        if textHeight > textBudget && !paged {
            (chips, used, textHeight) = flow(lineWidth, breaks: false)
            var width = lineWidth * max(1, textHeight / textBudget)
            while textHeight > textBudget && width <= maxHeight - 2 * m {
                (chips, used, textHeight) = flow(width, breaks: false)
                width *= 1.1
            }
        }
        try validate(paged || textHeight <= textBudget, fits)

        // Colour bar and target legend below the text.
        let scale = colorScale
        let bar = ColorBar(scale, caption: scoreLabel, vertical: false, engine: engine)
        let barLength = min(260, max(160, used * 0.5))
        let barSize = bar.size(length: barLength)
        let legendText = "target"
        let legendBox = target == nil ? nil : engine.measure(legendText, .tick)
        let legendWidth = legendBox.map { $0.width + 22 } ?? 0
        let (scaleText, _) = limitRule.legend(scores: scores, limit: scale.upper)
        let scaleBox = engine.measure(scaleText, .tick)

        let contentWidth = max(used, title.width, barSize.width + (legendWidth > 0 ? 24 + legendWidth : 0), scaleBox.width)
        let textTop = m + title.height
        let barTop = textTop + textHeight + 16
        let scaleTop = barTop + barSize.height + 4
        let size = Size(width: contentWidth + 2 * m, height: scaleTop + scaleBox.height + m)

        var regions: [FigureRegion: Rect] = [:]
        regions[.title] = title.region(x: m, y: m)
        regions[.plot] = Rect(x: m, y: textTop, width: used, height: textHeight)
        for (i, chip) in chips.enumerated() {
            regions[.token(i)] = Rect(x: m + chip.rect.x, y: textTop + chip.rect.y, width: chip.rect.width, height: chip.rect.height)
        }
        regions[.colorBar] = Rect(x: m, y: barTop, width: barSize.width, height: barSize.height)
        regions[.scaleLegend] = Rect(x: m, y: scaleTop, width: scaleBox.width, height: scaleBox.height)
        // The legend: a framed swatch like the target's, level with the colour bar.
        let barRect = bar.barRect(at: (m, barTop), length: barLength)
        let legendSwatch = Rect(x: m + barSize.width + 25, y: barRect.y, width: 14, height: barRect.height)
        if target != nil {
            regions[.legend] = Rect(x: legendSwatch.x - 1, y: legendSwatch.y - 1, width: legendWidth, height: legendSwatch.height + 2)
        }

        // PDF pages: bands cut at the top of a line once a page is full.
        let bands = paged ? Plan.pageBands(lineTops: Set(chips.map { textTop + $0.rect.y }).sorted(), step: lineHeight + Self.gapY,
                                           height: size.height, pageHeight: pageHeight, margin: m) : []

        let scores = scores, target = target
        let drawBand: (Canvas, Double, Double) -> Void = { canvas, lo, hi in
            if lo <= m { title.draw(on: canvas, x: m, y: m) }
            for (i, chip) in chips.enumerated() {
                let r = regions[.token(i)]!
                guard r.y >= lo && r.y < hi else { continue }
                let background = scale.color(scores[i])
                canvas.fillRounded(r, radius: 2.5, background)
                if scores[i].isNaN || background.luminance > 0.9 {
                    canvas.strokeRounded(r.insetBy(0.25, 0.25), radius: 2.5, Theme.grid, lineWidth: 0.5)
                }
                let ink = chip.isNewlineOnly ? Theme.mutedText : background.contrastingText
                canvas.text(chip.text, TextStyle(size: style.size, bold: i == target, color: ink),
                            at: (r.x + Self.padX, r.y + Self.padY), maxWidth: lineWidth - 2 * Self.padX)
                if i == target { canvas.strokeRounded(r.insetBy(-1, -1), radius: 3.5, Theme.text, lineWidth: 1.6) }
                if scores[i].isFinite && abs(scores[i]) > scale.upper {
                    Self.drawClipMark(on: canvas, corner: (r.maxX, r.y), ink: background.contrastingText)
                }
            }
            guard barTop >= lo && barTop < hi else { return }
            canvas.text(scaleText, .tick, at: (m, scaleTop))
            bar.draw(on: canvas, at: (m, barTop), length: barLength)
            if target != nil {
                canvas.strokeRounded(legendSwatch, radius: 2.5, Theme.text, lineWidth: 1.6)
                canvas.text(legendText, .tick, at: (legendSwatch.maxX + 6, legendSwatch.midY), anchor: .leftMiddle)
            }
        }
        return Plan(size: size, regions: regions, notes: [
            String(format: "colour range −%g…%g (white at 0)", scale.upper, scale.upper), scaleText,
        ], draw: { drawBand($0, -.infinity, .infinity) }, pageBands: bands, drawBand: drawBand)
    }
}
