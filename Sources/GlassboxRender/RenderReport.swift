import Foundation

/// What `render(to:)` produced: the file, its size, where the figure's parts went (for
/// tests, image maps and captions) and anything the drawing could not do as asked.
public struct RenderReport: Sendable {
    /// The file written.
    public let url: URL
    /// The format written, from the file's extension.
    public let format: OutputFormat
    /// The picture's size in points.
    public let size: Size
    /// PNG pixels per point (1 for SVG and PDF).
    public let scale: Double
    /// Problems that did not stop the drawing, such as glyphs no installed font has.
    public internal(set) var warnings: [RenderWarning]
    /// Where the figure's parts are, in points from the top left.
    public internal(set) var regions: [FigureRegion: Rect] = [:]
    /// How the data was transformed for display (downsampling, ranges), in words.
    public internal(set) var notes: [String] = []
    /// Pages written (more than 1 only for a PDF of a long token strip).
    public internal(set) var pages = 1

    /// The missing glyphs across all warnings.
    public var missingGlyphCount: Int {
        warnings.reduce(0) { if case .missingGlyphs(_, let c) = $1 { $0 + c.count } else { $0 } }
    }
}

/// A problem that did not stop a picture from being written.
public enum RenderWarning: Sendable, Equatable, CustomStringConvertible {
    /// `text` contains characters that no installed font has (Pango drew hex boxes for them).
    case missingGlyphs(text: String, codepoints: [UInt32])
    /// An image layer of this many pixels was too large for Cairo (32767 a side) and was left out.
    case imageNotDrawn(width: Int, height: Int)

    /// One readable line: what could not be drawn as asked, and why.
    public var description: String {
        switch self {
        case .missingGlyphs(let text, let codepoints):
            // One short line however long the text: each code point once, at most 10 listed,
            // and at most 40 characters of the text quoted.
            var seen = Set<UInt32>()
            let unique = codepoints.filter { seen.insert($0).inserted }
            var list = unique.prefix(10).map { String(format: "U+%04X", $0) }.joined(separator: ", ")
            if unique.count > 10 { list += " and \(unique.count - 10) more" }
            let quoted = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return "no installed font has \(list) (in \"\(quoted)\"); they are drawn as boxes — install a font that covers them"
        case .imageNotDrawn(let width, let height):
            return "an image of \(width)×\(height) pixels is too large to draw (at most 32767 a side); it was left out"
        }
    }
}

/// A named part of a figure, for `RenderReport.regions`.
public enum FigureRegion: Hashable, Sendable {
    /// The title block.
    case title
    /// The data area: matrix cells, chart axes box, token lines, table cells.
    case plot
    /// The row (query, layer) labels.
    case rowLabels
    /// The column (key, position) labels.
    case columnLabels
    /// The title of the row axis, drawn rotated beside the row labels (e.g. "query").
    case rowAxisTitle
    /// The colour bar with its ticks and caption.
    case colorBar
    /// The legend (series names, heads).
    case legend
    /// The line that states how the colour scale's limit was chosen and what it clipped.
    case scaleLegend
    /// One token's box in a token strip or attention-lines picture (left column for the latter).
    case token(Int)
    /// One token of the right column in an attention-lines picture.
    case keyToken(Int)
    /// One tile of a head grid.
    case tile(layer: Int, head: Int)
    /// One panel of a figure of stacked panels, counted from the top.
    case panel(Int)
    /// The plain input image beside an overlay.
    case image
    /// The image with the score map on top.
    case overlay
    /// The part of the overlay the score grid covers (the pixels the model saw), clipped to it: the
    /// whole overlay unless the grid covers only a region of the image.
    case scoredRegion
}
