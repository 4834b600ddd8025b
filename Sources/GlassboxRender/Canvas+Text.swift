import CGlassboxCairo
import CGlassboxPango
import Foundation

/// Which point of a text's logical box sits on the anchor.
struct TextAnchor {
    enum Horizontal { case left, center, right }
    enum Vertical { case top, middle, baseline, bottom }
    var h: Horizontal
    var v: Vertical

    static let topLeft = TextAnchor(h: .left, v: .top)
    static let center = TextAnchor(h: .center, v: .middle)
    static let leftMiddle = TextAnchor(h: .left, v: .middle)
    static let rightMiddle = TextAnchor(h: .right, v: .middle)
    static let topCenter = TextAnchor(h: .center, v: .top)

    /// The anchor's offset from the box's top left.
    func offset(in box: TextBox) -> (Double, Double) {
        let dx = switch h { case .left: 0.0; case .center: box.width / 2; case .right: box.width }
        let dy = switch v { case .top: 0.0; case .middle: box.height / 2; case .baseline: box.baseline; case .bottom: box.height }
        return (dx, dy)
    }
}

extension TextBox {
    /// The axis-aligned bounds of this box drawn at `point` with `anchor`, rotated by `rotation`
    /// radians (clockwise, y down) about the anchor.
    func bounds(at point: (Double, Double), anchor: TextAnchor, rotation: Double = 0) -> Rect {
        let (dx, dy) = anchor.offset(in: self)
        let c = cos(rotation), s = sin(rotation)
        let corners = [(-dx, -dy), (width - dx, -dy), (-dx, height - dy), (width - dx, height - dy)]
            .map { (point.0 + $0.0 * c - $0.1 * s, point.1 + $0.0 * s + $0.1 * c) }
        let xs = corners.map(\.0), ys = corners.map(\.1)
        return Rect(x: xs.min()!, y: ys.min()!, width: xs.max()! - xs.min()!, height: ys.max()! - ys.min()!)
    }
}

extension Canvas {
    /// Draws `text` with its logical box's `anchor` point at `point`, rotated by `rotation`
    /// radians about that point. Characters no font has are recorded as warnings.
    @discardableResult
    func text(_ text: String, _ style: TextStyle, at point: (Double, Double), anchor: TextAnchor = .topLeft,
              rotation: Double = 0, maxWidth: Double? = nil, overflow: TextOverflow = .ellipsizeEnd,
              centered: Bool = false) -> TextBox {
        let layout = TextEngine.layout(context, text, style, maxWidth: maxWidth, overflow: overflow, centered: centered)
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        let box = TextEngine.box(layout)
        var seen = Set<UInt32>()
        let missing = TextEngine.missingCodepoints(layout).filter { seen.insert($0).inserted }   // each once, first-seen order
        if !missing.isEmpty { log.add(.missingGlyphs(text: text, codepoints: missing)) }
        let (dx, dy) = anchor.offset(in: box)
        withSavedState {
            cairo_translate(context, point.0, point.1)
            if rotation != 0 { cairo_rotate(context, rotation) }
            cairo_move_to(context, -dx - TextEngine.logicalX(layout), -dy)
            setColor(style.color)
            pango_cairo_show_layout(context, layout)
        }
        return box
    }
}
