import Foundation

/// BertViz's head view as a static picture: query tokens in a left column, key tokens in a right
/// column, a line from query i to key j for every chosen head with opacity
/// `A[h][i, j] / (number of chosen heads)` (so overlapping heads add up, as in BertViz), one
/// colour per head, and a legend of the chosen heads.
///
/// Shapes: `attention[h]` is `[queries, keys]` for head h of one layer; `tokens.count == queries`,
/// `keyTokens.count == keys` (keyTokens defaults to tokens).
public struct AttentionLines: Figure {
    /// Query tokens, one per row of every head's matrix, as display text (left column).
    public var tokens: [String]
    /// Key tokens, one per column (right column); nil uses `tokens`.
    public var keyTokens: [String]?
    /// Attention weights of one layer, one `[queries, keys]` matrix per head, in 0…1.
    public var attention: [ScoreMatrix]
    /// The heads to draw (indices into `attention`); nil draws all.
    public var heads: [Int]?
    /// One per head in `attention` (default "head 0", "head 1", …).
    public var headLabels: [String]?
    /// Only the lines leaving this query token (BertViz's hover), if set.
    public var query: Int?
    /// Title above the picture; nil draws none.
    public var title: String?
    /// Lines whose opacity would be below this are left out (keeps files small).
    public var minimumOpacity: Double
    /// Token text size in points.
    public var fontSize: Double

    /// The most tokens a side a PNG of the view holds (one row each, about 18 points at the
    /// default size, so 900 rows stay within a PNG's 32,767 pixels at 2 pixels per point): a
    /// longer input is refused — an SVG or PDF holds more, and the attention matrix and grid pool
    /// long inputs instead.
    public static let maximumTokens = 900

    /// The most tokens a side an SVG or PDF of the view holds: 400,000 rows of about 18 points
    /// stay within Cairo's 8,000,000 points a side (`Canvas.maximumVectorSide`).
    public static let maximumVectorTokens = 400_000

    /// The most tokens a side the view draws in `format`.
    public static func maximumTokens(for format: OutputFormat) -> Int {
        format == .png ? maximumTokens : maximumVectorTokens
    }

    /// The limit in words, for refusals: `at most 900 tokens a side in a PNG (…why)`.
    public static func limitDescription(for format: OutputFormat) -> String {
        format == .png
            ? "at most \(maximumTokens) tokens a side in a PNG (32,767 pixels at 2 pixels per point)"
            : "at most \(maximumVectorTokens) tokens a side in an SVG or PDF (Cairo's coordinates end at 2²³ points)"
    }

    /// A head view from its parts, as listed above; nothing is checked until `render`.
    public init(tokens: [String], keyTokens: [String]? = nil, attention: [ScoreMatrix], heads: [Int]? = nil,
                headLabels: [String]? = nil, query: Int? = nil, title: String? = nil,
                minimumOpacity: Double = 0.01, fontSize: Double = 11) {
        (self.tokens, self.keyTokens, self.attention, self.heads, self.headLabels) = (tokens, keyTokens, attention, heads, headLabels)
        (self.query, self.title, self.minimumOpacity, self.fontSize) = (query, title, minimumOpacity, fontSize)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when `attention` is empty, a head is not
    /// `[tokens.count, keys]`, a chosen head or `query` is out of range, or `headLabels` has the
    /// wrong count.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine(), format: OutputFormat(path: url.path)).render(to: url, scale: scale)
    }

    /// The laid-out figure for a picture in `format` (which sets how many tokens fit).
    func plan(_ engine: TextEngine, format: OutputFormat = .png) throws -> Plan {
        let keys = keyTokens ?? tokens
        try validate(!attention.isEmpty, "attention lines need at least one head")
        try validate(attention.allSatisfy { $0.rows == tokens.count && $0.columns == keys.count },
                     "every head must be \(tokens.count)×\(keys.count) (queries × keys)")
        let chosen = heads ?? Array(attention.indices)
        try validate(!chosen.isEmpty, "choose at least one head")
        try validate(chosen.allSatisfy { attention.indices.contains($0) }, "heads \(chosen) must be in 0..<\(attention.count)")
        let names = headLabels ?? attention.indices.map { "head \($0)" }
        try validate(names.count == attention.count, "\(attention.count) heads but \(names.count) head labels")
        try validate(query.map { tokens.indices.contains($0) } ?? true, "query \(query ?? 0) is not a token index")
        let rows = max(tokens.count, keys.count)
        try validate(rows <= Self.maximumTokens(for: format), "the lines view draws \(Self.limitDescription(for: format)), not \(rows)"
                     + (format == .png ? "; an SVG or PDF holds up to \(Self.maximumVectorTokens)" : "") + "; the attention matrix pools long inputs")

        let m = Theme.margin
        let style = TextStyle(size: fontSize)
        let pitch = engine.measure("Ag", style).height + 5
        let maxLabel = 150.0
        let left = tokens.map { TokenText.label($0) }, right = keys.map { TokenText.label($0) }
        let leftWidth = engine.maxWidth(left, style, limit: maxLabel), rightWidth = engine.maxWidth(right, style, limit: maxLabel)
        let span = 200.0, pad = 8.0

        // Legend: a swatch and name per chosen head, wrapped to the picture's width.
        let legendStyle = TextStyle.tick
        let swatch = 10.0
        let contentWidth = leftWidth + span + rightWidth + 2 * pad
        var legendItems: [(Int, Rect)] = []
        var lx = 0.0, ly = 0.0
        let legendLine = max(swatch, engine.measure("Ag", legendStyle).height) + 4
        for h in chosen {
            let w = swatch + 4 + engine.measure(names[h], legendStyle).width
            if lx > 0, lx + w > max(contentWidth, 300) { lx = 0; ly += legendLine }
            legendItems.append((h, Rect(x: lx, y: ly, width: w, height: legendLine - 4)))
            lx += w + 14
        }
        let legendHeight = ly + legendLine
        let legendWidth = legendItems.map(\.1.maxX).max() ?? 0

        let title = TitleBlock(title, engine: engine, maxWidth: max(contentWidth, 520))
        let legendTop = m + title.height
        let top = legendTop + legendHeight + 10
        let leftX = m + leftWidth, rightX = m + leftWidth + 2 * pad + span
        let size = Size(width: max(rightX + rightWidth, m + legendWidth, m + title.width) + m,
                        height: top + pitch * Double(rows) + m)

        var regions: [FigureRegion: Rect] = [:]
        regions[.title] = title.region(x: m, y: m)
        regions[.legend] = Rect(x: m, y: legendTop, width: legendWidth, height: legendHeight)
        regions[.plot] = Rect(x: leftX + pad, y: top, width: span, height: pitch * Double(rows))
        let leftBoxes = left.map { engine.measure($0, style, maxWidth: maxLabel) }
        let rightBoxes = right.map { engine.measure($0, style, maxWidth: maxLabel) }
        for i in tokens.indices {
            let w = leftBoxes[i].width
            regions[.token(i)] = Rect(x: leftX - w, y: top + Double(i) * pitch, width: w, height: pitch)
        }
        for j in keys.indices {
            regions[.keyToken(j)] = Rect(x: rightX, y: top + Double(j) * pitch, width: rightBoxes[j].width, height: pitch)
        }

        // Lines: per head, faintest first so strong lines are on top.
        var lines: [(head: Int, i: Int, j: Int, opacity: Double)] = []
        for h in chosen {
            let a = attention[h]
            var these: [(Int, Int, Int, Double)] = []
            for i in tokens.indices where query == nil || query == i {
                for j in keys.indices {
                    let w = Double(a[i, j])
                    guard w.isFinite else { continue }
                    let opacity = min(1, max(0, w)) / Double(chosen.count)
                    if opacity >= minimumOpacity { these.append((h, i, j, opacity)) }
                }
            }
            lines += these.sorted { $0.3 < $1.3 }
        }
        let query = query
        return Plan(size: size, regions: regions, notes: ["line opacity = weight / \(chosen.count) chosen head(s); lines under \(minimumOpacity) left out"]) { canvas in
            title.draw(on: canvas, x: m, y: m)
            for (h, r) in legendItems {
                let sw = Rect(x: m + r.x, y: legendTop + r.y + (r.height - swatch) / 2, width: swatch, height: swatch)
                canvas.fillRounded(sw, radius: 2, Palette.color(h))
                canvas.text(names[h], legendStyle, at: (sw.maxX + 4, sw.midY), anchor: .leftMiddle)
            }
            for line in lines {
                let y0 = top + (Double(line.i) + 0.5) * pitch, y1 = top + (Double(line.j) + 0.5) * pitch
                canvas.line(from: (leftX + pad, y0), to: (rightX - pad, y1), Palette.color(line.head).withAlpha(line.opacity), lineWidth: 2)
            }
            for (i, text) in left.enumerated() {
                let r = regions[.token(i)]!
                if i == query { canvas.fillRounded(r.insetBy(-3, 0), radius: 3, Theme.grid) }
                canvas.text(text, TextStyle(size: style.size, bold: i == query, color: query == nil || i == query ? Theme.text : Theme.mutedText),
                            at: (leftX, r.midY), anchor: .rightMiddle, maxWidth: maxLabel)
            }
            for (j, text) in right.enumerated() {
                canvas.text(text, style, at: (rightX, top + (Double(j) + 0.5) * pitch), anchor: .leftMiddle, maxWidth: maxLabel)
            }
        }
    }
}
