import Foundation

extension ImageOverlay {
    /// Mid-grey at half opacity, laid over the photo outside `region`: the pixels the model never saw.
    public static let veil = RGBA(0.5, 0.5, 0.5, 0.5)

    /// The rectangle of the image the score grid covers, in image pixels: `region`, or the whole image.
    var scoredRect: Rect { region ?? Rect(x: 0, y: 0, width: Double(image.width), height: Double(image.height)) }

    /// Whether `region` leaves part of the image out or reaches past it (not the whole image to a
    /// thousandth of a pixel): then the rest is veiled and the caption says so.
    var isPartial: Bool {
        guard let region else { return false }
        return abs(region.x) >= 1e-3 || abs(region.y) >= 1e-3
            || abs(region.width - Double(image.width)) >= 1e-3 || abs(region.height - Double(image.height)) >= 1e-3
    }

    /// The score layer `[image.height, image.width]` at the image's own pixels, so both share one
    /// pixel grid. A pixel whose centre lies in `scoredRect` (the whole image without a `region`:
    /// then this is `upsampledBilinear`) samples the grid stretched over that rectangle (half-pixel
    /// centres: column `(x + 0.5 − r.x)·columns / r.width − 0.5`, the same for rows) and every other
    /// pixel gets the `veil`.
    /// `alpha(v)` is the score colour's opacity for score `v`; NaN scores stay transparent.
    func scoreLayer(_ colorScale: ColorScale, alpha: (Double) -> Double) -> Raster {
        let (width, height) = (image.width, image.height)
        var layer = Raster(width: width, height: height)
        func paint(_ x: Int, _ y: Int, _ score: Float) {
            let v = Double(score)
            guard v.isFinite else { return }
            layer[x, y] = colorScale.color(v).withAlpha(alpha(v))
        }
        // The whole image (no region) is the same loop with every pixel centre inside.
        let r = scoredRect
        let sx = Double(scores.columns) / r.width, sy = Double(scores.rows) / r.height
        for y in 0..<height {
            let cy = Double(y) + 0.5
            let inRow = cy >= r.y && cy < r.maxY
            for x in 0..<width {
                let cx = Double(x) + 0.5
                guard inRow && cx >= r.x && cx < r.maxX else {
                    layer[x, y] = Self.veil
                    continue
                }
                paint(x, y, scores.bilinear(column: (cx - r.x) * sx - 0.5, row: (cy - r.y) * sy - 0.5))
            }
        }
        return layer
    }

    /// `scoredRect` in figure points on a panel `panel` showing the whole image.
    func scoredRect(on panel: Rect) -> Rect {
        let r = scoredRect, kx = panel.width / Double(image.width), ky = panel.height / Double(image.height)
        return Rect(x: panel.x + r.x * kx, y: panel.y + r.y * ky, width: r.width * kx, height: r.height * ky)
    }

    /// The caption line under a partial overlay.
    static let regionCaption = "outlined: the part the model saw; greyed: not seen"
}
