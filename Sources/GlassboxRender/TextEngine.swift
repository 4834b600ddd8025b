import CGlassboxCairo
import CGlassboxPango
import Foundation

/// How a piece of text looks.
struct TextStyle: Sendable, Equatable {
    var size: Double
    var bold: Bool
    var italic: Bool
    var color: RGBA

    init(size: Double = Theme.labelSize, bold: Bool = false, italic: Bool = false, color: RGBA = Theme.text) {
        (self.size, self.bold, self.italic, self.color) = (size, bold, italic, color)
    }

    static let title = TextStyle(size: Theme.titleSize, bold: true)
    static let label = TextStyle(size: Theme.labelSize)
    static let tick = TextStyle(size: Theme.tickSize, color: Theme.mutedText)
}

/// How text beyond a width is handled.
enum TextOverflow {
    /// One line, shortened with "…" in the middle or at the end.
    case ellipsizeEnd, ellipsizeMiddle
    /// Wrapped onto several lines at word (or, failing that, character) boundaries.
    case wrap
}

/// The measured logical box of a text: what `Canvas.text` will cover.
struct TextBox {
    var width: Double
    var height: Double
    /// From the top of the box to the first line's baseline.
    var baseline: Double
    /// Whether the text was shortened with an ellipsis.
    var isEllipsized: Bool
}

/// Text through Pango: per-glyph font fallback (CJK and emoji from whatever fonts are installed),
/// shaping and bidi; missing glyphs are counted, never silently boxed. Measuring and drawing use
/// identical font options (no hinting, unrounded positions), so boxes measured before a surface
/// exists match the drawing on PNG, SVG and PDF alike.
final class TextEngine {
    private let surface: OpaquePointer
    private let context: OpaquePointer

    /// A measuring engine with its own 1×1 scratch surface.
    init() {
        surface = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1)
        context = cairo_create(surface)
        Self.configure(context)
    }

    deinit {
        cairo_destroy(context)
        cairo_surface_destroy(surface)
    }

    /// The logical box `text` will occupy.
    func measure(_ text: String, _ style: TextStyle, maxWidth: Double? = nil, overflow: TextOverflow = .ellipsizeEnd) -> TextBox {
        let layout = Self.layout(context, text, style, maxWidth: maxWidth, overflow: overflow)
        defer { g_object_unref(UnsafeMutableRawPointer(layout)) }
        return Self.box(layout)
    }

    /// The widest of several texts.
    func maxWidth(_ texts: [String], _ style: TextStyle, limit: Double? = nil, overflow: TextOverflow = .ellipsizeEnd) -> Double {
        texts.reduce(0) { max($0, measure($1, style, maxWidth: limit, overflow: overflow).width) }
    }

    /// Font options shared by measuring and drawing contexts.
    static func configure(_ cr: OpaquePointer) {
        let options = cairo_font_options_create()
        cairo_font_options_set_hint_style(options, CAIRO_HINT_STYLE_NONE)
        cairo_font_options_set_hint_metrics(options, CAIRO_HINT_METRICS_OFF)
        cairo_font_options_set_antialias(options, CAIRO_ANTIALIAS_GRAY)
        cairo_set_font_options(cr, options)
        cairo_font_options_destroy(options)
    }

    /// A Pango layout of `text` for `cr`; the caller unrefs it.
    static func layout(_ cr: OpaquePointer, _ text: String, _ style: TextStyle, maxWidth: Double?,
                       overflow: TextOverflow, centered: Bool = false) -> OpaquePointer {
        let layout = pango_cairo_create_layout(cr)!
        pango_context_set_round_glyph_positions(pango_layout_get_context(layout), 0)
        pango_layout_context_changed(layout)
        let font = pango_font_description_new()
        pango_font_description_set_family(font, Theme.family)
        pango_font_description_set_weight(font, style.bold ? PANGO_WEIGHT_BOLD : PANGO_WEIGHT_NORMAL)
        pango_font_description_set_style(font, style.italic ? PANGO_STYLE_ITALIC : PANGO_STYLE_NORMAL)
        pango_font_description_set_absolute_size(font, style.size * Double(PANGO_SCALE))
        pango_layout_set_font_description(layout, font)
        pango_font_description_free(font)
        if let maxWidth {
            pango_layout_set_width(layout, Int32(max(1, maxWidth) * Double(PANGO_SCALE)))
            switch overflow {
            case .ellipsizeEnd: pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_END)
            case .ellipsizeMiddle: pango_layout_set_ellipsize(layout, PANGO_ELLIPSIZE_MIDDLE)
            case .wrap: pango_layout_set_wrap(layout, PANGO_WRAP_WORD_CHAR)
            }
        }
        if centered { pango_layout_set_alignment(layout, PANGO_ALIGN_CENTER) }
        pango_layout_set_text(layout, text, -1)
        return layout
    }

    /// The logical box of a layout, in points.
    static func box(_ layout: OpaquePointer) -> TextBox {
        var ink = PangoRectangle(), logical = PangoRectangle()
        pango_layout_get_extents(layout, &ink, &logical)
        let s = Double(PANGO_SCALE)
        return TextBox(width: Double(logical.width) / s, height: Double(logical.height) / s,
                       baseline: Double(pango_layout_get_baseline(layout) - logical.y) / s,
                       isEllipsized: pango_layout_is_ellipsized(layout) != 0)
    }

    /// The left edge of the logical box relative to the layout origin (non-zero for centred text).
    static func logicalX(_ layout: OpaquePointer) -> Double {
        var logical = PangoRectangle()
        pango_layout_get_extents(layout, nil, &logical)
        return Double(logical.x) / Double(PANGO_SCALE)
    }

    /// The code points Pango found no glyph for (drawn as hex boxes).
    static func missingCodepoints(_ layout: OpaquePointer) -> [UInt32] {
        guard pango_layout_get_unknown_glyphs_count(layout) > 0 else { return [] }
        let unknownFlag: UInt32 = 0x1000_0000, invalidInput: UInt32 = 0xFFFF_FFFF
        var found: [UInt32] = []
        let iter = pango_layout_get_iter(layout)
        defer { pango_layout_iter_free(iter) }
        repeat {
            guard let run = pango_layout_iter_get_run_readonly(iter), let glyphs = run.pointee.glyphs else { continue }
            for i in 0..<Int(glyphs.pointee.num_glyphs) {
                let g = glyphs.pointee.glyphs[i].glyph
                if g & unknownFlag != 0, g != invalidInput { found.append(g & ~unknownFlag) }
            }
        } while pango_layout_iter_next_run(iter) != 0
        return found.isEmpty ? [0xFFFD] : found
    }
}
