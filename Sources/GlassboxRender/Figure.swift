import CGlassboxCairo
import Foundation

/// A picture that can be written to PNG, SVG or PDF (chosen by the file extension).
public protocol Figure: Sendable {
    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf`; PNGs at `scale` pixels per point).
    /// Atomic: the file appears complete or not at all. Throws `RenderError` for inconsistent
    /// input or an unwritable path; problems that do not stop drawing (missing glyphs) are in
    /// the report's `warnings`.
    @discardableResult
    func render(to url: URL, scale: Double) throws -> RenderReport
}

/// A figure measured and laid out, ready to draw: what `render(to:scale:)` writes.
struct Plan {
    var size: Size
    var regions: [FigureRegion: Rect] = [:]
    var notes: [String] = []
    var draw: (Canvas) -> Void
    /// PDF only: the figure cut into pages, each a horizontal band `[top, bottom)` of the whole
    /// picture, drawn by `drawBand(canvas, top, bottom)` (which draws what starts in the band).
    var pageBands: [(top: Double, bottom: Double)] = []
    var drawBand: ((Canvas, Double, Double) -> Void)?

    /// PDF pages of a picture `height` points tall whose lines start at `lineTops` (ascending) and
    /// take `step` points each (the line and the gap below it): a band ends at the top of the line
    /// that would carry the page's ink (with `margin` above pages after the first and below
    /// each) past `pageHeight`. One band, the whole picture, when it fits one page.
    static func pageBands(lineTops: [Double], step: Double, height: Double, pageHeight: Double,
                          margin m: Double) -> [(top: Double, bottom: Double)] {
        guard height > pageHeight else { return [] }
        var bands: [(top: Double, bottom: Double)] = []
        var start = 0.0
        for top in lineTops where top > start {
            let inked = (bands.isEmpty ? 0 : m) + top + step - start + m
            if inked > pageHeight { bands.append((start, top)); start = top }
        }
        bands.append((start, height))
        return bands
    }

    func render(to url: URL, scale: Double) throws -> RenderReport {
        if pageBands.count > 1, let drawBand, (try? OutputFormat(path: url.path)) == .pdf {
            let width = size.width.rounded(.up), m = Theme.margin, last = pageBands.count - 1
            // Pages after the first get a top margin, pages before the last a bottom margin.
            let heights = pageBands.enumerated().map { k, band in
                ((k > 0 ? m : 0) + band.bottom - band.top + (k < last ? m : 0)).rounded(.up)
            }
            var report = try Canvas.write(to: url, width: width, pageHeights: heights, scale: scale) { canvas, k in
                canvas.fill(Rect(x: 0, y: 0, width: width, height: heights[k]), Theme.background)
                cairo_save(canvas.context)
                cairo_translate(canvas.context, 0, (k > 0 ? m : 0) - pageBands[k].top)
                drawBand(canvas, pageBands[k].top, pageBands[k].bottom)
                cairo_restore(canvas.context)
            }
            report.regions = regions
            report.notes = notes + ["\(pageBands.count) pages"]
            report.pages = pageBands.count
            return report
        }
        let width = size.width.rounded(.up), height = size.height.rounded(.up)
        var report = try Canvas.write(to: url, width: width, height: height, scale: scale) { canvas in
            canvas.fill(Rect(x: 0, y: 0, width: width, height: height), Theme.background)
            draw(canvas)
        }
        report.regions = regions
        report.notes = notes
        return report
    }
}

/// A figure's title: bold, left-aligned, wrapped onto several lines when wider than allowed —
/// at spaces only (`wrapAtSpaces`), so a model name such as "shakespeare-gpt2" is never split at
/// its hyphen; only a single word wider than the line is broken inside.
struct TitleBlock {
    /// The title with its line breaks (the given ones and those `wrapAtSpaces` chose); nil for none.
    let text: String?
    let box: TextBox?
    let maxWidth: Double
    static let gap = 10.0

    init(_ text: String?, engine: TextEngine, maxWidth: Double) {
        let text = text.flatMap { $0.isEmpty ? nil : $0 }.map { Self.wrapAtSpaces($0, engine: engine, maxWidth: maxWidth) }
        (self.text, self.maxWidth) = (text, maxWidth)
        box = text.map { engine.measure($0, .title, maxWidth: maxWidth, overflow: .wrap) }
    }

    /// `text` with a line break put in place of the last space before each point where a line
    /// would grow wider than `maxWidth` in the title style (greedy, paragraph by paragraph: the
    /// given line breaks stay). Hyphens and other break opportunities within words are not used.
    static func wrapAtSpaces(_ text: String, engine: TextEngine, maxWidth: Double) -> String {
        text.components(separatedBy: "\n").map { paragraph in
            var lines: [String] = []
            var line = ""
            for word in paragraph.components(separatedBy: " ") {
                let candidate = line.isEmpty ? word : line + " " + word
                if !line.isEmpty, engine.measure(candidate, .title).width > maxWidth {
                    lines.append(line)
                    line = word
                } else {
                    line = candidate
                }
            }
            lines.append(line)
            return lines.joined(separator: "\n")
        }.joined(separator: "\n")
    }

    /// Vertical space taken, including the gap below (0 without a title).
    var height: Double { box.map { $0.height + Self.gap } ?? 0 }
    var width: Double { box?.width ?? 0 }

    /// Draws at the top left `(x, y)`; returns the region it covers.
    func draw(on canvas: Canvas, x: Double, y: Double) {
        guard let text else { return }
        canvas.text(text, .title, at: (x, y), maxWidth: maxWidth, overflow: .wrap)
    }

    func region(x: Double, y: Double) -> Rect? {
        box.map { Rect(x: x, y: y, width: $0.width, height: $0.height) }
    }
}

func validate(_ condition: Bool, _ message: @autoclosure () -> String) throws {
    if !condition { throw RenderError.invalidInput(message()) }
}
