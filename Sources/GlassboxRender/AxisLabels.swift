import Foundation

/// Token labels along one side of a grid of cells: measured before drawing so nothing is
/// clipped, shortened with "…" past `maxLength`, thinned to every k-th label when cells are too
/// small for the font, and rotated (45° or 90°) when placed under columns.
struct AxisLabels {
    enum Side { case left, bottom, top }

    let side: Side
    let texts: [String]
    let style: TextStyle
    /// Indices that get a label (every `stride`-th).
    let shown: [Int]
    let boxes: [Int: TextBox]
    let rotation: Double
    let maxLength: Double
    static let gap = 4.0

    /// Labels for cells `cell` points apart. `maxLength` bounds a label's length (ellipsized).
    /// `pitches` gives each cell's own width when cells differ (a table's columns).
    init(_ texts: [String], side: Side, cell: Double, engine: TextEngine, maxLength: Double = 110,
         fontSize: Double? = nil, pitches: [Double]? = nil) {
        let size = fontSize ?? min(Theme.labelSize, max(6, cell * 0.8))
        let style = TextStyle(size: size)
        let lineHeight = engine.measure("Ag", style).height
        // Label every k-th cell when cells are narrower than a line of text (at 90°), with k a
        // round number (2, 5, 10, 20, 25, 50, …) and room between labels.
        var stride = lineHeight * 0.95 <= cell ? 1 : Self.roundStride(lineHeight * 1.5 / cell)
        let visible = texts.map(TokenText.label)
        func measured(_ stride: Int) -> [Int: TextBox] {
            var boxes: [Int: TextBox] = [:]
            for i in Swift.stride(from: 0, to: texts.count, by: stride) {
                boxes[i] = engine.measure(visible[i], style, maxWidth: maxLength, overflow: .ellipsizeEnd)
            }
            return boxes
        }
        var boxes = measured(stride)
        // Thinned short labels (indices) read better flat at a somewhat larger stride.
        if stride > 1, side != .left, pitches == nil {
            let widest = boxes.values.map(\.width).max() ?? 0
            let flat = Self.roundStride((widest + 8) / cell)
            if flat <= 2 * stride { stride = flat; boxes = measured(stride) }
        }
        let shown = Array(Swift.stride(from: 0, to: texts.count, by: stride))
        let fitsFlat = shown.allSatisfy { boxes[$0]!.width <= (pitches?[$0] ?? cell) * Double(stride) - (stride > 1 ? 8 : 2) }
        // Column labels: horizontal when they all fit their cells, else 45° when the cell pitch
        // leaves room between slanted lines, else vertical.
        let rotation: Double = switch side {
        case .left: 0
        case .bottom, .top:
            fitsFlat ? 0 : (cell * Double(stride) * 0.70 >= lineHeight * 1.05 ? -Double.pi / 4 : -Double.pi / 2)
        }
        (self.side, self.texts, self.style, self.shown, self.boxes, self.rotation, self.maxLength) =
            (side, visible, style, shown, boxes, rotation, maxLength)
    }

    /// The smallest of 1, 2, 5, 10, 20, 25, 50, 100, … that is at least `x`.
    static func roundStride(_ x: Double) -> Int {
        let needed = max(1, Int(x.rounded(.up)))
        var magnitude = 1
        while true {
            for f in [10, 20, 25, 50] where f * magnitude >= needed * 10 { return f * magnitude / 10 }
            magnitude *= 10
        }
    }

    /// Where label `i` is anchored for a cell centred at `center` along the axis, with the
    /// grid's edge at `edge` (the left edge for `.left`, the bottom or top edge otherwise).
    /// Slanted labels move out by the half-height their rotated box would reach back over the edge.
    private func placement(_ i: Int, _ center: Double, edge: Double) -> (point: (Double, Double), anchor: TextAnchor) {
        let lift = boxes[i]!.height / 2 * abs(cos(rotation))
        switch side {
        case .left: return ((edge - Self.gap, center), .rightMiddle)
        case .bottom:
            return rotation == 0 ? ((center, edge + Self.gap), .topCenter) : ((center, edge + Self.gap + lift), .rightMiddle)
        case .top:
            return rotation == 0
                ? ((center, edge - Self.gap), TextAnchor(h: .center, v: .bottom))
                : ((center, edge - Self.gap - lift), .leftMiddle)
        }
    }

    /// The bounds of every label for cell centres `centers` (indexed like `texts`).
    func bounds(centers: [Double], edge: Double) -> Rect? {
        shown.compactMap { i -> Rect? in
            let (p, a) = placement(i, centers[i], edge: edge)
            return boxes[i]!.bounds(at: p, anchor: a, rotation: rotation)
        }.reduce(nil) { (sum: Rect?, next: Rect) in sum.map { $0.union(next) } ?? next }
    }

    /// How far the labels reach out from the edge (and, for column labels, past the grid's
    /// left side: `overhangLeft`).
    func extent(centers: [Double], edge: Double, gridStart: Double) -> (depth: Double, overhangLeft: Double) {
        guard let b = bounds(centers: centers, edge: edge) else { return (0, 0) }
        switch side {
        case .left: return (edge - b.x, 0)
        case .bottom: return (b.maxY - edge, max(0, gridStart - b.x))
        case .top: return (edge - b.y, max(0, gridStart - b.x))
        }
    }

    func draw(on canvas: Canvas, centers: [Double], edge: Double, color: RGBA = Theme.text) {
        var style = style
        style.color = color
        for i in shown {
            let (p, a) = placement(i, centers[i], edge: edge)
            canvas.text(texts[i], style, at: p, anchor: a, rotation: rotation, maxWidth: maxLength)
        }
    }
}
