import CGlassboxCairo
import Foundation

/// Drawing operations on one Cairo context, in points with the origin at the top left.
/// With its extensions and `TextEngine`, the only code that calls Cairo and Pango; it lives only for the
/// duration of one `Canvas.write` call (Cairo's pointers never leave it, so nothing here needs
/// to be `Sendable`).
public struct Canvas {
    let context: OpaquePointer
    let log: RenderLog
    /// Width of the drawing area in points.
    public let width: Double
    /// Height of the drawing area in points.
    public let height: Double

    /// Fills a rectangle.
    public func fill(x: Double, y: Double, width: Double, height: Double, color: RGBA) {
        fill(Rect(x: x, y: y, width: width, height: height), color)
    }

    /// Fills a rectangle.
    public func fill(_ rect: Rect, _ color: RGBA) {
        setColor(color)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(context)
    }

    /// Strokes a rectangle's outline (the line is centred on the edge).
    public func stroke(_ rect: Rect, _ color: RGBA, lineWidth: Double = 1) {
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_stroke(context)
    }

    /// Strokes a straight line.
    public func line(from a: (Double, Double), to b: (Double, Double), _ color: RGBA,
                     lineWidth: Double = 1, dash: [Double] = []) {
        polyline([a, b], color, lineWidth: lineWidth, dash: dash)
    }

    /// Strokes connected line segments through `points`.
    public func polyline(_ points: [(Double, Double)], _ color: RGBA, lineWidth: Double = 1, dash: [Double] = []) {
        guard let first = points.first, points.count >= 2 else { return }
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_set_line_join(context, CAIRO_LINE_JOIN_ROUND)
        cairo_set_line_cap(context, CAIRO_LINE_CAP_BUTT)
        cairo_set_dash(context, dash, Int32(dash.count), 0)
        cairo_move_to(context, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(context, p.0, p.1) }
        cairo_stroke(context)
        cairo_set_dash(context, nil, 0, 0)
    }

    /// Fills a closed polygon.
    public func fillPolygon(_ points: [(Double, Double)], _ color: RGBA) {
        guard let first = points.first, points.count >= 3 else { return }
        setColor(color)
        cairo_move_to(context, first.0, first.1)
        for p in points.dropFirst() { cairo_line_to(context, p.0, p.1) }
        cairo_close_path(context)
        cairo_fill(context)
    }

    /// Fills a circle.
    public func fillCircle(center: (Double, Double), radius: Double, _ color: RGBA) {
        setColor(color)
        cairo_new_sub_path(context)
        cairo_arc(context, center.0, center.1, radius, 0, 2 * .pi)
        cairo_fill(context)
    }

    /// Fills `rect` with a linear gradient through `colors` (evenly spaced), from the left edge to
    /// the right (`vertical == false`) or from the bottom edge to the top (`vertical == true`).
    /// One gradient, so no seams between steps.
    public func fillGradient(_ rect: Rect, colors: [RGBA], vertical: Bool) {
        guard colors.count >= 2 else { if let c = colors.first { fill(rect, c) }; return }
        let pattern = vertical
            ? cairo_pattern_create_linear(rect.x, rect.maxY, rect.x, rect.y)
            : cairo_pattern_create_linear(rect.x, rect.y, rect.maxX, rect.y)
        defer { cairo_pattern_destroy(pattern) }
        for (i, c) in colors.enumerated() {
            cairo_pattern_add_color_stop_rgba(pattern, Double(i) / Double(colors.count - 1), c.red, c.green, c.blue, c.alpha)
        }
        cairo_pattern_set_extend(pattern, CAIRO_EXTEND_PAD)
        cairo_set_source(context, pattern)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_fill(context)
    }

    /// Diagonal hatching inside `rect` (used for cells that have no value).
    public func hatch(_ rect: Rect, background: RGBA, lines: RGBA, spacing: Double = 5, lineWidth: Double = 0.8) {
        fill(rect, background)
        withClip(rect) {
            var offset = -rect.height
            while offset < rect.width {
                line(from: (rect.x + offset, rect.maxY), to: (rect.x + offset + rect.height, rect.y), lines, lineWidth: lineWidth)
                offset += spacing
            }
        }
    }

    /// Runs `body` with drawing clipped to `rect`; the clip ends with `body`.
    public func withClip(_ rect: Rect, _ body: () -> Void) {
        cairo_save(context)
        cairo_rectangle(context, rect.x, rect.y, rect.width, rect.height)
        cairo_clip(context)
        body()
        cairo_restore(context)
    }

    /// Runs `body` with the drawing state (colour, transform, clip) restored afterwards.
    func withSavedState(_ body: () -> Void) {
        cairo_save(context)
        body()
        cairo_restore(context)
    }

    /// Runs `body` with the origin moved to `(dx, dy)` (panels of a composite figure).
    func translated(_ dx: Double, _ dy: Double, _ body: () -> Void) {
        withSavedState {
            cairo_translate(context, dx, dy)
            body()
        }
    }

    func setColor(_ c: RGBA) { cairo_set_source_rgba(context, c.red, c.green, c.blue, c.alpha) }
}

/// What one drawing noticed (missing glyphs, …); becomes `RenderReport.warnings`.
final class RenderLog {
    private(set) var warnings: [RenderWarning] = []
    func add(_ w: RenderWarning) { if !warnings.contains(w) { warnings.append(w) } }
}

extension Canvas {
    /// Fills a rectangle with rounded corners of `radius`.
    public func fillRounded(_ rect: Rect, radius: Double, _ color: RGBA) {
        roundedPath(rect, radius)
        setColor(color)
        cairo_fill(context)
    }

    /// Strokes the outline of a rectangle with rounded corners.
    public func strokeRounded(_ rect: Rect, radius: Double, _ color: RGBA, lineWidth: Double) {
        roundedPath(rect, radius)
        setColor(color)
        cairo_set_line_width(context, lineWidth)
        cairo_stroke(context)
    }

    private func roundedPath(_ rect: Rect, _ radius: Double) {
        let r = min(radius, rect.width / 2, rect.height / 2)
        cairo_new_sub_path(context)
        cairo_arc(context, rect.maxX - r, rect.y + r, r, -.pi / 2, 0)
        cairo_arc(context, rect.maxX - r, rect.maxY - r, r, 0, .pi / 2)
        cairo_arc(context, rect.x + r, rect.maxY - r, r, .pi / 2, .pi)
        cairo_arc(context, rect.x + r, rect.y + r, r, .pi, 3 * .pi / 2)
        cairo_close_path(context)
    }
}
