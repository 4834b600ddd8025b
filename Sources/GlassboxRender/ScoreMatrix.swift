import Foundation

/// A dense row-major matrix of scores, the input of the matrix-shaped figures.
/// NaN marks a cell with no value (drawn hatched or blank, like the causal upper triangle).
public struct ScoreMatrix: Sendable, Equatable {
    /// Number of rows, > 0 (queries, layers, grid rows).
    public let rows: Int
    /// Number of columns, > 0 (keys, positions, grid columns).
    public let columns: Int
    /// `rows × columns` values, row-major.
    public let values: [Float]

    /// A matrix from row-major values; `values.count` must be `rows × columns`.
    public init(rows: Int, columns: Int, values: [Float]) throws {
        guard rows > 0, columns > 0 else { throw RenderError.invalidInput("a matrix needs at least one row and one column, got \(rows)×\(columns)") }
        guard values.count == rows * columns else {
            throw RenderError.invalidInput("a \(rows)×\(columns) matrix needs \(rows * columns) values, got \(values.count)")
        }
        (self.rows, self.columns, self.values) = (rows, columns, values)
    }

    /// A matrix from nested rows, which must all have the same length.
    public init(_ nested: [[Float]]) throws {
        let columns = nested.first?.count ?? 0
        if let bad = nested.firstIndex(where: { $0.count != columns }) {
            throw RenderError.invalidInput("row \(bad) has \(nested[bad].count) values, row 0 has \(columns)")
        }
        try self.init(rows: nested.count, columns: columns, values: nested.flatMap { $0 })
    }

    /// For shapes already known to match.
    init(unchecked rows: Int, _ columns: Int, _ values: [Float]) {
        assert(values.count == rows * columns)
        (self.rows, self.columns, self.values) = (rows, columns, values)
    }

    /// The value at (`row`, `column`), 0-based; NaN for a masked cell. Not bounds-checked
    /// beyond the array's own check.
    public subscript(row: Int, column: Int) -> Float { values[row * columns + column] }

    /// The largest finite |value| (0 when there is none).
    var maxMagnitude: Double { values.reduce(0) { $1.isFinite ? max($0, Double(abs($1))) : $0 } }
}

extension ScoreMatrix {
    /// A copy with the causal upper triangle (column > row) set to NaN (masked).
    public func maskingUpperTriangle() -> ScoreMatrix {
        var v = values
        for r in 0..<rows { for c in (r + 1)..<max(r + 1, columns) { v[r * columns + c] = .nan } }
        return ScoreMatrix(unchecked: rows, columns, v)
    }

    /// One colour per cell (NaN cells transparent), enlarged for sharp edges at `cellPoints`.
    func raster(_ scale: ColorScale, cellPoints: Double) -> Raster {
        let r = Raster(width: columns, height: rows) { x, y in
            let v = self[y, x]
            return v.isNaN ? .clear : scale.color(Double(v))
        }
        return r.enlarged(by: Raster.enlargement(cells: max(rows, columns), cellPoints: cellPoints))
    }
}
