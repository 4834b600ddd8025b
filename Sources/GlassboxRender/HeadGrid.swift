import Foundation

/// Every head of every layer at a glance (a static BertViz model view): a layers × heads grid of
/// small attention matrices on one fixed colour scale, with layer and head labels. Legible from
/// 2×2 up to 32×32 tiles; inputs longer than a tile's resolution are downsampled inside the
/// tile (max-pooling by default, so thin diagonals and sink columns stay visible — see
/// `Downsampling`), and the report's notes say so.
///
/// Shapes: `attention[layer][head]` is `[queries, keys]`; every tile has the same shape.
public struct HeadGrid: Figure {
    /// `attention[layer][head]`: one `[queries, keys]` pattern per tile, all the same shape,
    /// every layer with the same number of heads.
    public var attention: [[ScoreMatrix]]
    /// One per layer (default "L0", "L1", …).
    public var layerLabels: [String]?
    /// One per head (default "H0", "H1", …).
    public var headLabels: [String]?
    /// Title above the grid; nil draws none.
    public var title: String?
    /// Hide each tile's upper triangle (decoder self-attention).
    public var causal: Bool
    /// Colour scale shared by every tile (default viridis over 0…1).
    public var colorScale: ColorScale
    /// How patterns larger than a tile's resolution are reduced (default `.maxPool`).
    public var downsampling: Downsampling
    /// Side of a tile in points; nil fits the grid into about `maxWidth` × 1200 points.
    public var tileSize: Double?
    /// Width in points the grid is fitted into when `tileSize` is nil.
    public var maxWidth: Double

    /// A grid from its parts, as listed above; nothing is checked until `render`.
    public init(attention: [[ScoreMatrix]], layerLabels: [String]? = nil, headLabels: [String]? = nil,
                title: String? = nil, causal: Bool = false, colorScale: ColorScale = .unit(.viridis),
                downsampling: Downsampling = .maxPool, tileSize: Double? = nil, maxWidth: Double = 1000) {
        (self.attention, self.layerLabels, self.headLabels, self.title) = (attention, layerLabels, headLabels, title)
        (self.causal, self.colorScale, self.downsampling, self.tileSize, self.maxWidth) = (causal, colorScale, downsampling, tileSize, maxWidth)
    }

    /// Draws the figure into `url` (`.png`, `.svg` or `.pdf` by extension; PNGs at `scale` pixels
    /// per point) and reports what was drawn where. Throws `RenderError.invalidInput` when the grid is empty or ragged, tiles
    /// differ in shape, a label list has the wrong count, or tiles would be under 4 points.
    @discardableResult
    public func render(to url: URL, scale: Double = 2) throws -> RenderReport {
        try plan(TextEngine()).render(to: url, scale: scale)
    }

    func plan(_ engine: TextEngine) throws -> Plan {
        let layers = attention.count, heads = attention.first?.count ?? 0
        try validate(layers > 0 && heads > 0, "a head grid needs at least one layer and one head")
        try validate(attention.allSatisfy { $0.count == heads }, "every layer needs \(heads) heads")
        let shape = (attention[0][0].rows, attention[0][0].columns)
        try validate(attention.joined().allSatisfy { ($0.rows, $0.columns) == shape }, "every tile must be \(shape.0)×\(shape.1)")
        let layerNames = layerLabels ?? (0..<layers).map { "L\($0)" }
        let headNames = headLabels ?? (0..<heads).map { "H\($0)" }
        try validate(layerNames.count == layers, "\(layers) layers but \(layerNames.count) layer labels")
        try validate(headNames.count == heads, "\(heads) heads but \(headNames.count) head labels")

        // Tiles and gaps are whole pixels of one composite image (no seams, one image in SVG/PDF):
        // a tile is `resolution` cells of `k` pixels; `resolution` is at most one cell per point.
        let requested = tileSize ?? min(90, max(12, min((maxWidth - 140) / Double(heads), 1200 / Double(layers)) - 3))
        try validate(requested >= 4, "tiles of \(requested) points are too small")
        let resolution = min(max(shape.0, shape.1), max(2, Int(requested.rounded(.down))))
        let maxPixels = 4096.0
        let k = max(1, min(Int((3 * requested / Double(resolution)).rounded(.up)),
                           Int(maxPixels / Double(max(layers, heads) * resolution))))
        let tilePixels = resolution * k
        let pointsPerPixel = requested / Double(tilePixels)
        let gapPixels = max(1, Int((3 / pointsPerPixel).rounded()))
        let tile = requested, gap = Double(gapPixels) * pointsPerPixel
        let pitch = tile + gap
        let fontSize = min(Theme.labelSize, max(7, tile * 0.42))
        let rows = AxisLabels(layerNames, side: .left, cell: pitch, engine: engine, maxLength: 90, fontSize: fontSize)
        let columns = AxisLabels(headNames, side: .top, cell: pitch, engine: engine, maxLength: 90, fontSize: fontSize)
        let axisStyle = TextStyle(size: Theme.labelSize, italic: true, color: Theme.mutedText)
        let axisHeight = engine.measure("layer", axisStyle).height
        let bar = ColorBar(colorScale, caption: "attention", vertical: true, engine: engine)

        let m = Theme.margin
        let gridSize = Size(width: pitch * Double(heads) - gap, height: pitch * Double(layers) - gap)
        let rowCenters = (0..<layers).map { Double($0) * pitch + tile / 2 }
        let columnCenters = (0..<heads).map { Double($0) * pitch + tile / 2 }
        let rowDepth = rows.extent(centers: rowCenters, edge: 0, gridStart: 0).depth
        let (columnDepth, overhang) = columns.extent(centers: columnCenters, edge: 0, gridStart: 0)
        let leftSpace = max(rowDepth + axisHeight + 6, overhang)
        let barLength = min(gridSize.height, 300)
        let barSize = bar.size(length: barLength)
        let title = TitleBlock(title, engine: engine, maxWidth: max(leftSpace + gridSize.width + barSize.width + 16, 520))
        let gridTop = m + title.height + axisHeight + 4 + columnDepth
        let grid = Rect(x: m + leftSpace, y: gridTop, width: gridSize.width, height: gridSize.height)
        let barOrigin = (grid.maxX + 16, grid.y)
        let size = Size(width: max(barOrigin.0 + barSize.width, m + title.width) + m,
                        height: max(grid.maxY, grid.y + barSize.height) + m)

        // Tiles: mask, downsample, colour, into one image (masked cells grey, gaps clear).
        var image = Raster(width: heads * tilePixels + (heads - 1) * gapPixels, height: layers * tilePixels + (layers - 1) * gapPixels)
        for (l, layer) in attention.enumerated() {
            for (h, matrix) in layer.enumerated() {
                let masked = causal ? matrix.maskingUpperTriangle() : matrix
                let small = masked.downsampled(maxRows: resolution, maxColumns: resolution, method: downsampling)
                let x0 = h * (tilePixels + gapPixels), y0 = l * (tilePixels + gapPixels)
                for r in 0..<small.rows {
                    for c in 0..<small.columns {
                        let v = small[r, c]
                        let color = v.isNaN ? Theme.masked : colorScale.color(Double(v))
                        let xs = x0 + c * tilePixels / small.columns, xe = x0 + (c + 1) * tilePixels / small.columns
                        let ys = y0 + r * tilePixels / small.rows, ye = y0 + (r + 1) * tilePixels / small.rows
                        image.fill(x: xs..<xe, y: ys..<ye, color)
                    }
                }
            }
        }
        var regions: [FigureRegion: Rect] = [.plot: grid]
        regions[.title] = title.region(x: m, y: m)
        regions[.rowLabels] = rows.bounds(centers: rowCenters.map { $0 + grid.y }, edge: grid.x)
        regions[.columnLabels] = columns.bounds(centers: columnCenters.map { $0 + grid.x }, edge: grid.y)
        regions[.colorBar] = Rect(x: barOrigin.0, y: barOrigin.1, width: barSize.width, height: barSize.height)
        func tileRect(_ l: Int, _ h: Int) -> Rect { Rect(x: grid.x + Double(h) * pitch, y: grid.y + Double(l) * pitch, width: tile, height: tile) }
        for l in 0..<layers { for h in 0..<heads { regions[.tile(layer: l, head: h)] = tileRect(l, h) } }

        var notes = [String(format: "colour range %g…%g (%@), shared by all tiles", colorScale.lower, colorScale.upper, colorScale.colormap.name)]
        if shape.0 > resolution || shape.1 > resolution {
            let method = downsampling.name
            notes.append("tiles show \(shape.0)×\(shape.1) patterns \(method) to \(min(shape.0, resolution))×\(min(shape.1, resolution))")
        }
        return Plan(size: size, regions: regions, notes: notes) { canvas in
            title.draw(on: canvas, x: m, y: m)
            canvas.text("head", axisStyle, at: (grid.midX, m + title.height), anchor: .topCenter)
            canvas.text("layer", axisStyle, at: (grid.x - rowDepth - 6, grid.midY), anchor: TextAnchor(h: .center, v: .bottom), rotation: -.pi / 2)
            canvas.draw(image, in: grid)
            for l in 0..<layers { for h in 0..<heads { canvas.stroke(tileRect(l, h), Theme.frame, lineWidth: 0.4) } }
            rows.draw(on: canvas, centers: rowCenters.map { $0 + grid.y }, edge: grid.x)
            columns.draw(on: canvas, centers: columnCenters.map { $0 + grid.x }, edge: grid.y)
            bar.draw(on: canvas, at: barOrigin, length: barLength)
        }
    }
}
