import Foundation

/// How a matrix larger than its display is reduced to the display's resolution.
public enum Downsampling: Sendable, Equatable {
    /// Each output cell is the largest value of its block: sharp features (a previous-token
    /// diagonal, a sink column) stay visible however long the input.
    case maxPool
    /// Each output cell is the area-weighted mean of its block: preserves total mass, so faint
    /// diffuse attention is shown faithfully but thin peaks fade.
    case areaAverage
    /// Each output cell is the value of largest magnitude in its block, sign kept: for signed
    /// scores (relevance), where the strongest evidence against should stay as visible as the
    /// strongest for. Equal to `.maxPool` on blocks without negative values.
    case maxMagnitude

    /// How a picture names the reduction: "max-pooled", "area-averaged", "pooled by largest |score|".
    public var name: String {
        switch self {
        case .maxPool: "max-pooled"
        case .areaAverage: "area-averaged"
        case .maxMagnitude: "pooled by largest |score|"
        }
    }
}

extension ScoreMatrix {
    /// This matrix reduced to at most `maxRows × maxColumns` cells (unchanged when it already
    /// fits). Blocks have fractional boundaries (output cell i covers input rows
    /// `i·rows/outRows ..< (i+1)·rows/outRows`, partial rows weighted by their overlap); NaN
    /// (masked) cells are ignored, and a block of only NaN cells stays NaN.
    public func downsampled(maxRows: Int, maxColumns: Int, method: Downsampling) -> ScoreMatrix {
        let outRows = min(rows, max(1, maxRows)), outColumns = min(columns, max(1, maxColumns))
        guard outRows < rows || outColumns < columns else { return self }
        var out = [Float](repeating: .nan, count: outRows * outColumns)
        let sy = Double(rows) / Double(outRows), sx = Double(columns) / Double(outColumns)
        for i in 0..<outRows {
            let y0 = Double(i) * sy, y1 = Double(i + 1) * sy
            for j in 0..<outColumns {
                let x0 = Double(j) * sx, x1 = Double(j + 1) * sx
                var best = -Float.infinity, strongest = Float.nan, sum = 0.0, weight = 0.0
                for r in Int(y0)..<min(rows, Int(y1.rounded(.up))) {
                    let wy = min(Double(r + 1), y1) - max(Double(r), y0)
                    guard wy > 1e-9 else { continue }
                    for c in Int(x0)..<min(columns, Int(x1.rounded(.up))) {
                        let wx = min(Double(c + 1), x1) - max(Double(c), x0)
                        let v = values[r * columns + c]
                        guard wx > 1e-9, !v.isNaN else { continue }
                        best = max(best, v)
                        if !(abs(strongest) >= abs(v)) { strongest = v }
                        sum += Double(v) * wx * wy
                        weight += wx * wy
                    }
                }
                guard weight > 0 else { continue }
                switch method {
                case .maxPool: out[i * outColumns + j] = best
                case .areaAverage: out[i * outColumns + j] = Float(sum / weight)
                case .maxMagnitude: out[i * outColumns + j] = strongest
                }
            }
        }
        return ScoreMatrix(unchecked: outRows, outColumns, out)
    }

    /// This matrix reduced in whole blocks of `rowBlock × columnBlock` cells (the last block of a
    /// side may be shorter): `[⌈rows / rowBlock⌉, ⌈columns / columnBlock⌉]`. NaN cells are
    /// ignored and a block of only NaN cells stays NaN; `.areaAverage` is the mean of a block's
    /// other cells. One pass over the values, for matrices of tens of millions of cells.
    public func pooled(rowBlock: Int, columnBlock: Int, method: Downsampling) -> ScoreMatrix {
        let rb = max(1, rowBlock), cb = max(1, columnBlock)
        guard rb > 1 || cb > 1 else { return self }
        let outRows = (rows + rb - 1) / rb, outColumns = (columns + cb - 1) / cb
        var out = [Float](repeating: .nan, count: outRows * outColumns)
        var counts = method == .areaAverage ? [Int32](repeating: 0, count: outRows * outColumns) : []
        values.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows {
                    let base = (r / rb) * outColumns, row = r * columns
                    for c in 0..<columns {
                        let x = v[row + c]
                        guard !x.isNaN else { continue }
                        let k = base + c / cb, y = o[k]
                        switch method {
                        case .maxPool: if !(y >= x) { o[k] = x }
                        case .maxMagnitude: if !(abs(y) >= abs(x)) { o[k] = x }
                        case .areaAverage:
                            o[k] = y.isNaN ? x : y + x
                            counts[k] += 1
                        }
                    }
                }
                if method == .areaAverage { for k in 0..<o.count where counts[k] > 0 { o[k] /= Float(counts[k]) } }
            }
        }
        return ScoreMatrix(unchecked: outRows, outColumns, out)
    }

    /// Bilinear upsampling to `width × height` with half-pixel centres (align_corners = false,
    /// as PyTorch's `interpolate(mode: "bilinear")` and OpenCV's `resize` do): output pixel x
    /// samples the grid at `(x + 0.5)·columns/width − 0.5`, clamped to the edge cells.
    /// A NaN neighbour makes the output NaN.
    public func upsampledBilinear(width: Int, height: Int) -> [Float] {
        var out = [Float](repeating: 0, count: width * height)
        let sx = Double(columns) / Double(width), sy = Double(rows) / Double(height)
        for y in 0..<height {
            for x in 0..<width {
                out[y * width + x] = bilinear(column: (Double(x) + 0.5) * sx - 0.5, row: (Double(y) + 0.5) * sy - 0.5)
            }
        }
        return out
    }
}

extension ScoreMatrix {
    /// The bilinear value at grid position (`column`, `row`), cell centres at whole numbers (cell
    /// `[r, c]` at `(c, r)`), clamped to the edge cells, as `upsampledBilinear` samples each
    /// output pixel. A NaN neighbour makes it NaN.
    public func bilinear(column: Double, row: Double) -> Float {
        let v = min(max(row, 0), Double(rows - 1)), u = min(max(column, 0), Double(columns - 1))
        let r0 = Int(v), r1 = min(r0 + 1, rows - 1), fy = Float(v - Double(r0))
        let c0 = Int(u), c1 = min(c0 + 1, columns - 1), fx = Float(u - Double(c0))
        let top = self[r0, c0] * (1 - fx) + self[r0, c1] * fx
        let bottom = self[r1, c0] * (1 - fx) + self[r1, c1] * fx
        return top * (1 - fy) + bottom * fy
    }
}
