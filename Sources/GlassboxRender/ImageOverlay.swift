import Foundation

/// An input image with a patch-grid score map (relevance per ViT patch, rollout, …) upsampled
/// bilinearly to the image's pixels and laid on top with partial opacity, beside the plain image,
/// with a colour bar. The grid covers `region` of the image (the pixels the model saw, through its
/// resize and center crop); the rest of the image is veiled in grey, the region outlined and the
/// caption says so.
///
/// Shapes: `image` is `height × width × channels` bytes; `scores` is the patch grid
/// `[gridRows, gridColumns]` covering `region` (e.g. 14×14 for ViT-B/16 at 224 px).
public struct ImageOverlay: Figure {
    /// The input image the scores were computed for, any size.
    public var image: PixelImage
    /// Patch scores `[gridRows, gridColumns]`, stretched over `region`.
    public var scores: ScoreMatrix
    /// The rectangle of `image`, in its pixels (origin at its top-left corner, y down), that the
    /// score grid covers; it may reach past the image (a crop that padded). nil: the whole image.
    public var region: Rect?
    /// Title above the panels; nil draws none.
    public var title: String?
    /// nil: a zero-centred diverging scale `−L…L` when any score is negative, else viridis over
    /// `0…L`, with `L` chosen by `scoreLimit`.
    public var colorScale: ColorScale?
    /// How the scale's end is chosen when `colorScale` is nil (default `.robust`; patches beyond
    /// it are marked with a corner triangle and counted in the legend under the overlay).
    public var scoreLimit: ScoreLimit
    /// Opacity of the score layer (0…1).
    public var opacity: Double
    /// Scale opacity by |score| relative to the range's end, so near-zero regions show the image.
    public var opacityFollowsScore: Bool
    /// Draw the plain image to the left of the overlay.
    public var showOriginal: Bool
    /// The longer side of each panel, in points.
    public var panelSize: Double
    /// Caption of the colour bar, e.g. "relevance".
    public var scoreLabel: String?

    /// An overlay from its parts, as listed above; nothing is checked until `render`.
    public init(image: PixelImage, scores: ScoreMatrix, region: Rect? = nil, title: String? = nil, colorScale: ColorScale? = nil,
                opacity: Double = 0.6, opacityFollowsScore: Bool = false, showOriginal: Bool = true,
                panelSize: Double = 260, scoreLabel: String? = nil, scoreLimit: ScoreLimit = .robust) {
        (self.image, self.scores, self.title, self.colorScale, self.opacity) = (image, scores, title, colorScale, opacity)
        (self.region, self.scoreLimit) = (region, scoreLimit)
        (self.opacityFollowsScore, self.showOriginal, self.panelSize, self.scoreLabel) = (opacityFollowsScore, showOriginal, panelSize, scoreLabel)
    }

    /// The scale used: `colorScale`, or the default described there.
    public var resolvedScale: ColorScale {
        if let colorScale { return colorScale }
        let finite = scores.values.filter(\.isFinite).map(Double.init)
        let limit = scoreLimit.limit(for: finite)
        if finite.contains(where: { $0 < 0 }) { return .diverging(limit: limit) }
        return ColorScale(unchecked: .viridis, 0, limit)
    }

    /// The legend line stating the scale rule (nil when `colorScale` was given explicitly).
    var scaleLegend: (text: String, clipped: Int)? {
        guard colorScale == nil else { return nil }
        let finite = scores.values.filter(\.isFinite).map(Double.init)
        let limit = resolvedScale.upper
        return scoreLimit.legend(scores: finite, limit: limit, unit: "patch")
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when `opacity` is outside 0…1,
    /// `panelSize` is below 16 points, or `region` is not finite with a positive width and height.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        try validate((0...1).contains(opacity), "opacity \(opacity) must be in 0…1")
        try validate(panelSize >= 16, "panel size \(panelSize) is too small")
        if let region {
            try validate([region.x, region.y, region.width, region.height].allSatisfy(\.isFinite) && region.width > 0 && region.height > 0,
                         "the scored region \(region) must be finite with a positive width and height")
        }
        let m = Theme.margin, gap = 12.0
        let aspect = Double(image.width) / Double(image.height)
        let panel = aspect >= 1 ? Size(width: panelSize, height: panelSize / aspect) : Size(width: panelSize * aspect, height: panelSize)
        let captionStyle = TextStyle.tick
        let legend = scaleLegend
        let partial = isPartial
        let captionLines = 1 + (legend == nil ? 0 : 1) + (partial ? 1 : 0)
        let lineHeight = engine.measure("Ag", captionStyle).height
        let captionHeight = lineHeight * Double(captionLines) + 6
        let colorScale = resolvedScale
        let bar = ColorBar(colorScale, caption: scoreLabel, vertical: true, engine: engine)
        let barSize = bar.size(length: panel.height)
        let panelsWidth = (showOriginal ? 2 * panel.width + gap : panel.width)
        let title = TitleBlock(title, engine: engine, maxWidth: max(panelsWidth + 16 + barSize.width, 520))
        let top = m + title.height
        let imageRect = Rect(x: m, y: top, width: panel.width, height: panel.height)
        let overlayRect = Rect(x: showOriginal ? imageRect.maxX + gap : m, y: top, width: panel.width, height: panel.height)
        let barOrigin = (overlayRect.maxX + 16, top)
        let size = Size(width: max(barOrigin.0 + barSize.width, m + title.width) + m,
                        height: max(overlayRect.maxY + captionHeight, top + barSize.height) + m)

        // The score layer at the image's own pixel resolution, so both share one pixel grid.
        let limit = max(abs(colorScale.lower), abs(colorScale.upper))
        let opacity = opacity, followsScore = opacityFollowsScore
        let layer = scoreLayer(colorScale) { v in followsScore ? opacity * min(1, abs(v) / limit) : opacity }
        let photo = image.raster
        // The grid's rectangle on the overlay panel, and the part of it the panel shows (outlined).
        let gridRect = scoredRect(on: overlayRect)
        let shownX = max(gridRect.x, overlayRect.x), shownY = max(gridRect.y, overlayRect.y)
        let shown = Rect(x: shownX, y: shownY, width: max(0, min(gridRect.maxX, overlayRect.maxX) - shownX),
                         height: max(0, min(gridRect.maxY, overlayRect.maxY) - shownY))
        var regions: [FigureRegion: Rect] = [.overlay: overlayRect, .plot: overlayRect, .scoredRegion: shown]
        if showOriginal { regions[.image] = imageRect }
        regions[.title] = title.region(x: m, y: m)
        regions[.colorBar] = Rect(x: barOrigin.0, y: barOrigin.1, width: barSize.width, height: barSize.height)
        let legendText = legend?.text
        let covered = scoredRect, imageSize = "\(image.width)×\(image.height)"
        let target = partial ? String(format: "the region x %.4g, y %.4g, %.4g × %.4g", covered.x, covered.y, covered.width, covered.height)
                                 + " of the \(imageSize) image (the rest veiled: the model did not see it)" : imageSize
        let notes = (legendText.map { [$0] } ?? []) + ["\(scores.rows)×\(scores.columns) scores upsampled bilinearly (half-pixel centres) to \(target)",
                     String(format: "colour range %.3g…%.3g (%@), opacity %g%@", colorScale.lower, colorScale.upper,
                            colorScale.colormap.name, opacity, opacityFollowsScore ? " × |score|/limit" : "")]
        let showOriginal = showOriginal, scoreLabel = scoreLabel
        return Plan(size: size, regions: regions, notes: notes) { canvas in
            title.draw(on: canvas, x: m, y: m)
            if showOriginal {
                canvas.draw(photo, in: imageRect, smooth: true)
                canvas.stroke(imageRect, Theme.frame, lineWidth: 0.5)
                canvas.text("input", captionStyle, at: (imageRect.midX, imageRect.maxY + 4), anchor: .topCenter)
            }
            canvas.draw(photo, in: overlayRect, smooth: true)
            canvas.draw(layer, in: overlayRect, smooth: true)
            if partial && shown.width > 0 && shown.height > 0 { canvas.stroke(shown, Theme.text, lineWidth: 1) }
            canvas.stroke(overlayRect, Theme.frame, lineWidth: 0.5)
            canvas.text("\(scoreLabel ?? "scores") (\(self.scores.rows)×\(self.scores.columns) patches)", captionStyle,
                        at: (overlayRect.midX, overlayRect.maxY + 4), anchor: .topCenter)
            var captionY = overlayRect.maxY + 6 + lineHeight
            if partial {
                canvas.text(Self.regionCaption, captionStyle, at: (overlayRect.midX, captionY), anchor: .topCenter)
                captionY += lineHeight
            }
            if let legendText {
                canvas.text(legendText, captionStyle, at: (overlayRect.midX, captionY), anchor: .topCenter)
            }
            // Clipped patches: a corner triangle in each patch beyond the scale (inside the panel).
            if legend?.clipped ?? 0 > 0 {
                let cellW = gridRect.width / Double(self.scores.columns), cellH = gridRect.height / Double(self.scores.rows)
                canvas.withClip(overlayRect) {
                    for r in 0..<self.scores.rows {
                        for c in 0..<self.scores.columns {
                            let v = Double(self.scores[r, c])
                            guard v.isFinite, abs(v) > limit else { continue }
                            TokenStrip.drawClipMark(on: canvas, corner: (gridRect.x + Double(c + 1) * cellW, gridRect.y + Double(r) * cellH),
                                                    ink: Theme.text, size: min(6, 0.4 * min(cellW, cellH)))
                        }
                    }
                }
            }
            bar.draw(on: canvas, at: barOrigin, length: panel.height)
        }
    }
}
