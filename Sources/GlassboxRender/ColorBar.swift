import Foundation

/// A colour bar: the scale's colour map as one linear gradient (no seams between steps), a thin
/// frame, ticks with labels (both ends always labelled) and an optional caption above.
struct ColorBar {
    let scale: ColorScale
    let caption: String?
    let vertical: Bool
    /// Thickness of the bar itself.
    var thickness = 11.0
    private let ticks: [(value: Double, label: String)]
    /// Each tick label's measured width.
    private let labelWidths: [Double]
    private let labelWidth: Double
    private let labelHeight: Double
    private let captionBox: TextBox?

    static let tickLength = 3.0, gap = 3.0

    /// Captions wrap above a vertical bar and are cut with "…" beside a horizontal one.
    static func captionWidth(_ vertical: Bool) -> Double { vertical ? 110 : 320 }

    init(_ scale: ColorScale, caption: String?, vertical: Bool, engine text: TextEngine) {
        (self.scale, self.caption, self.vertical) = (scale, caption, vertical)
        ticks = Ticks.withEnds(lower: scale.lower, upper: scale.upper, target: vertical ? 5 : 4)
        labelWidths = ticks.map { text.measure($0.label, .tick).width }
        labelWidth = labelWidths.max() ?? 0
        labelHeight = text.measure("0", .tick).height
        captionBox = caption.map { text.measure($0, .tick, maxWidth: Self.captionWidth(vertical), overflow: vertical ? .wrap : .ellipsizeEnd) }
    }

    /// Room above the bar for the caption (and, vertically, the top tick label's upper half).
    private var captionSpace: Double {
        guard let captionBox else { return vertical ? labelHeight / 2 : 0 }
        return captionBox.height + (vertical ? labelHeight / 2 + 2 : 4)
    }

    /// The block's size for a bar of `length` points.
    func size(length: Double) -> Size {
        if vertical {
            let width = max(thickness + Self.tickLength + Self.gap + labelWidth, captionBox?.width ?? 0)
            return Size(width: width, height: captionSpace + length + labelHeight / 2)
        }
        let width = max(length + labelWidth, captionBox?.width ?? 0)
        return Size(width: width, height: captionSpace + thickness + Self.tickLength + Self.gap + labelHeight)
    }

    /// The bar's own rectangle in a block whose top left is at `origin`.
    func barRect(at origin: (Double, Double), length: Double) -> Rect {
        let top = origin.1 + captionSpace
        return vertical
            ? Rect(x: origin.0, y: top, width: thickness, height: length)
            : Rect(x: origin.0 + labelWidth / 2, y: top, width: length, height: thickness)
    }

    /// Draws the block with its top left at `origin`; returns the bar's own rectangle.
    @discardableResult
    func draw(on canvas: Canvas, at origin: (Double, Double), length: Double) -> Rect {
        if let caption {
            canvas.text(caption, .tick, at: (origin.0 + (vertical ? 0 : labelWidth / 2), origin.1),
                        maxWidth: Self.captionWidth(vertical), overflow: vertical ? .wrap : .ellipsizeEnd)
        }
        let bar = barRect(at: origin, length: length)
        canvas.fillGradient(bar, colors: scale.colormap.stops, vertical: vertical)
        canvas.stroke(bar, Theme.frame, lineWidth: 0.5)
        let labelled = labelledTicks(along: vertical ? bar.height : bar.width)
        for (k, tick) in ticks.enumerated() {
            let t = scale.position(tick.value)
            // A tick whose label would run into a neighbour's keeps its mark only.
            let labelledTick = labelled.contains(k)
            if vertical {
                let y = bar.maxY - t * bar.height
                canvas.line(from: (bar.maxX, y), to: (bar.maxX + Self.tickLength, y), Theme.axis, lineWidth: 0.6)
                if labelledTick { canvas.text(tick.label, .tick, at: (bar.maxX + Self.tickLength + Self.gap, y), anchor: .leftMiddle) }
            } else {
                let x = bar.x + t * bar.width
                canvas.line(from: (x, bar.maxY), to: (x, bar.maxY + Self.tickLength), Theme.axis, lineWidth: 0.6)
                if labelledTick { canvas.text(tick.label, .tick, at: (x, bar.maxY + Self.tickLength + Self.gap / 2), anchor: .topCenter) }
            }
        }
        return bar
    }

    /// The ticks whose labels are drawn on a bar `length` points long: both ends, then each inner
    /// tick whose label keeps 4 points from every label already kept (long labels of extreme
    /// scales, `−1e−300`, would otherwise run together), dropped again when its mirror image
    /// around 0 was not kept.
    func labelledTicks(along length: Double) -> Set<Int> {
        guard ticks.count > 2 else { return Set(ticks.indices) }
        // Each label's extent along the bar: its width horizontally, the line height vertically.
        func span(_ k: Int) -> (Double, Double) {
            let centre = scale.position(ticks[k].value) * length
            let half = (vertical ? labelHeight : labelWidths[k]) / 2 + 2
            return (centre - half, centre + half)
        }
        var kept: [Int] = [0, ticks.count - 1]
        for k in 1..<(ticks.count - 1) {
            let (lo, hi) = span(k)
            if kept.allSatisfy({ let (a, b) = span($0); return hi <= a || lo >= b }) { kept.append(k) }
        }
        // A symmetric scale keeps its labels in mirrored pairs (−5e−301 is wider than 5e−301).
        let values = ticks.map(\.value)
        return Set(kept.filter { k in
            guard let mirror = values.firstIndex(of: -values[k]), mirror != k else { return true }
            return kept.contains(mirror)
        })
    }
}
