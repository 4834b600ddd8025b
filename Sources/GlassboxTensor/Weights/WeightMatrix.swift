import Foundation

/// A rank-2 weight `[rows, cols]` kept in its checkpoint's element type (f32, f16 or bf16),
/// usually straight in a memory-mapped file, never widened as a whole.
///
/// Products (`matmul(_:_:transposeB:bias:)` with a `WeightMatrix`) convert blocks of it to Float32
/// into a scratch panel and hand each panel to sgemm (docs/methods.md §0.7), so they equal the
/// product with an f32 copy of the weight. Row reads (`row`, `gatherRows`, `rows`) and single
/// elements convert only what they return. A matrix built from a ``Tensor`` is the f32 tensor
/// itself: products with it are today's `matmul` on that tensor, bit for bit.
///
/// Views (``rowBlock(_:)``, ``columnBlock(_:)``) share the storage: a row stride and an element
/// offset describe where they sit in it. Immutable, hence `Sendable`.
public struct WeightMatrix: Sendable {
    /// Number of rows.
    public let rowCount: Int
    /// Number of columns.
    public let columnCount: Int
    /// The element type of the storage.
    public let format: WeightFormat

    let storage: Storage
    /// Element offset of `[0, 0]` in the storage.
    let offset: Int
    /// Elements between the starts of consecutive rows (`≥ columnCount`).
    let rowStride: Int
    /// Rows of the stored matrix this one is (a view of), so a view of its first rows is not
    /// taken for the whole of it.
    let storedRowCount: Int
    /// The deferred NaN/±Inf check of the stored matrix, shared by its views (nil: none pending).
    public private(set) var check: WeightCheck?

    /// Where the elements live.
    enum Storage: @unchecked Sendable {
        /// A Float32 tensor (format `.f32`).
        case tensor(Tensor)
        /// Raw little-endian elements at `base`, kept alive by `owner` (a file mapping or an
        /// owned allocation); `base` may have any alignment.
        case raw(base: UnsafeRawPointer, owner: AnyObject)
    }

    /// The f32 matrix `tensor [rows, cols]` (a precondition checks the rank). No copy.
    public init(_ tensor: Tensor) {
        precondition(tensor.rank == 2, "a weight matrix is rank 2, got \(tensor.shape)")
        (rowCount, columnCount, format) = (tensor.shape[0], tensor.shape[1], .f32)
        storage = .tensor(tensor)
        (offset, rowStride, storedRowCount) = (0, tensor.shape[1], tensor.shape[0])
    }

    /// A matrix over `rows · cols` contiguous little-endian elements of `format` at `base` (any
    /// alignment), row-major, which `owner` keeps valid (e.g. the file mapping) for as long as the
    /// matrix or any view of it lives.
    public init(rows: Int, columns: Int, format: WeightFormat, base: UnsafeRawPointer, owner: AnyObject & Sendable) {
        precondition(rows >= 0 && columns >= 0, "negative weight shape [\(rows), \(columns)]")
        (rowCount, columnCount, self.format) = (rows, columns, format)
        storage = .raw(base: base, owner: owner)
        (offset, rowStride, storedRowCount) = (0, columns, rows)
    }

    /// A matrix owning a copy of `bits`: `rows · cols` little-endian elements of `format`, row-major.
    public init(rows: Int, columns: Int, format: WeightFormat, copying bits: UnsafeRawBufferPointer) {
        precondition(bits.count == rows * columns * format.bytesPerElement,
                     "\(bits.count) bytes for a [\(rows), \(columns)] \(format) matrix")
        let owned = OwnedBytes(copying: bits)
        self.init(rows: rows, columns: columns, format: format, base: owned.base, owner: owned)
    }

    private init(_ parent: WeightMatrix, rows: Int, columns: Int, offset: Int, rowStride: Int? = nil, storedRows: Int? = nil) {
        (rowCount, columnCount, format, storage) = (rows, columns, parent.format, parent.storage)
        (self.offset, self.rowStride, storedRowCount) = (offset, rowStride ?? parent.rowStride, storedRows ?? parent.storedRowCount)
        check = parent.check
    }

    /// The same matrix carrying `check`, which the first product over the whole of it settles.
    public func deferringCheck(_ check: WeightCheck) -> WeightMatrix {
        var copy = self
        copy.check = check
        return copy
    }

    /// Whether this is the whole stored matrix with its check still pending: a conversion of all
    /// of it can settle the check.
    var settlesPendingCheck: Bool {
        guard let check, isWhole else { return false }
        return check.isPending
    }

    /// Whether this is the whole stored matrix, not a view of part of it.
    var isWhole: Bool { offset == 0 && rowStride == columnCount && rowCount == storedRowCount }

    /// `[rows, cols]`.
    public var shape: [Int] { [rowCount, columnCount] }
    /// Always 2.
    public var rank: Int { 2 }
    /// `rows · cols`.
    public var count: Int { rowCount * columnCount }
    /// Bytes the elements take in their format (what the matrix keeps resident once touched).
    public var byteCount: Int { count * format.bytesPerElement }

    /// Rows `range` as a view `[range.count, cols]` (no copy).
    public func rowBlock(_ range: Range<Int>) -> WeightMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows \(range) out of bounds for \(shape)")
        return WeightMatrix(self, rows: range.count, columns: columnCount, offset: offset + range.lowerBound * rowStride)
    }

    /// The whole matrix read row-major as `[rows, count / rows]` (no copy): a stacked `[E, out, in]`
    /// tensor, which ``SafetensorsFile/matrix(_:)`` gives as `[E, out·in]`, becomes `[E·out, in]`,
    /// whose `rowBlock`s are its matrices (GraniteMoE's parallel experts). The deferred check is kept.
    public func reshaped(rows: Int) -> WeightMatrix {
        precondition(isWhole && rows > 0 && count % rows == 0, "cannot read \(shape) as \(rows) rows")
        let columns = count / rows
        if case .tensor(let t) = storage {
            var m = WeightMatrix(t.reshaped([rows, columns]))
            m.check = check
            return m
        }
        return WeightMatrix(self, rows: rows, columns: columns, offset: 0, rowStride: columns, storedRows: rows)
    }

    /// Columns `range` as a view `[rows, range.count]` (no copy).
    public func columnBlock(_ range: Range<Int>) -> WeightMatrix {
        precondition(range.lowerBound >= 0 && range.upperBound <= columnCount, "columns \(range) out of bounds for \(shape)")
        return WeightMatrix(self, rows: rowCount, columns: range.count, offset: offset + range.lowerBound)
    }

    /// Calls `body` with the address of element `[0, 0]` (in bytes of `format`; rows `rowStride`
    /// elements apart). Valid only during the call.
    func withBase<R>(_ body: (UnsafeRawPointer) throws -> R) rethrows -> R {
        switch storage {
        case .tensor(let t):
            return try t.withUnsafeBufferPointer { b in
                // An empty tensor has no address; nothing is read through it then.
                try body(UnsafeRawPointer(b.baseAddress ?? UnsafePointer(bitPattern: 16)!) + offset * 4)
            }
        case .raw(let base, let owner):
            return try withExtendedLifetime(owner) { try body(base + offset * format.bytesPerElement) }
        }
    }

    /// Whether the elements are Float32, each row contiguous and 4-byte aligned: sgemm can read them
    /// in place.
    var isAlignedFloat32: Bool {
        guard format == .f32 else { return false }
        return withBase { Int(bitPattern: $0) % 4 == 0 }
    }

    /// Converts columns `columns` of rows `rows` to Float32 into `destination`, row after row,
    /// rows `ld` floats apart. With a `tally`, each row's non-finite elements are counted right
    /// after it is converted (its bits still in cache) and added to it.
    func convert(rows: Range<Int>, columns: Range<Int>, into destination: UnsafeMutablePointer<Float>, ld: Int,
                 tally: NonFiniteTally? = nil) {
        let size = format.bytesPerElement
        withBase { base in
            var bad = 0
            for (i, r) in rows.enumerated() {
                let source = base + (r * rowStride + columns.lowerBound) * size
                format.convert(source, count: columns.count, into: destination + i * ld)
                if tally != nil { bad += format.nonFiniteCount(source, count: columns.count) }
            }
            tally?.add(bad)
        }
    }

    /// Element `[r, c]` as Float32 (a slow path: single lookups, tests).
    public subscript(_ r: Int, _ c: Int) -> Float {
        precondition(r >= 0 && r < rowCount && c >= 0 && c < columnCount, "index [\(r), \(c)] out of bounds for \(shape)")
        return withBase { format.element($0, r * rowStride + c) }
    }

    /// Rows `range` converted to Float32: `[range.count, cols]`.
    public func rows(_ range: Range<Int>) -> Tensor {
        precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows \(range) out of bounds for \(shape)")
        return Tensor(shape: [range.count, columnCount]) { out in
            guard let o = out.baseAddress else { return }
            convert(rows: range, columns: 0..<columnCount, into: o, ld: columnCount)
        }
    }

    /// Row `index` converted to Float32: `[cols]`.
    public func row(_ index: Int) -> Tensor { rows(index..<(index + 1)).reshaped([columnCount]) }

    /// Columns `range` converted to Float32: `[rows, range.count]`.
    public func columns(_ range: Range<Int>) -> Tensor { columnBlock(range).float32() }

    /// Rows `indices` (each in range, a precondition) converted to Float32: `[indices.count, cols]`.
    /// The embedding lookup.
    public func gatherRows(_ indices: [Int]) -> Tensor {
        Tensor(shape: [indices.count, columnCount]) { out in
            guard let o = out.baseAddress else { return }
            for (i, r) in indices.enumerated() {
                precondition(r >= 0 && r < rowCount, "row \(r) out of bounds for \(shape)")
                convert(rows: r..<(r + 1), columns: 0..<columnCount, into: o + i * columnCount, ld: columnCount)
            }
        }
    }

    /// The whole matrix as a Float32 tensor `[rows, cols]`: the tensor itself when the matrix is
    /// one, else a converted copy (rows in parallel).
    public func float32() -> Tensor {
        if case .tensor(let t) = storage, isWhole { return t }
        return Tensor(shape: shape) { out in
            guard let o = out.baseAddress else { return }
            let dst = SendablePointer(o)
            let cols = columnCount
            parallelChunks(rowCount, grain: max(1, 65_536 / max(cols, 1))) { range in
                self.convert(rows: range, columns: 0..<cols, into: dst.base + range.lowerBound * cols, ld: cols)
            }
        }
    }

    /// The row blocks `ranges`, stacked in order, as a new matrix in the same format (a copy of
    /// the stored bits, no conversion): e.g. one projection's rows out of a fused one.
    public func stackingRows(_ ranges: [Range<Int>]) -> WeightMatrix {
        let rows = ranges.reduce(0) { $0 + $1.count }
        if case .tensor = storage {
            return WeightMatrix(Tensor(shape: [rows, columnCount], storage: ranges.flatMap { self.rows($0).storage }))
        }
        let size = format.bytesPerElement, rowBytes = columnCount * size
        var bytes = [UInt8](repeating: 0, count: rows * rowBytes)
        withBase { base in
            bytes.withUnsafeMutableBytes { out in
                var r = 0
                for range in ranges {
                    precondition(range.lowerBound >= 0 && range.upperBound <= rowCount, "rows \(range) out of bounds for \(shape)")
                    for row in range {
                        out.baseAddress!.advanced(by: r * rowBytes)
                            .copyMemory(from: base + row * rowStride * size, byteCount: rowBytes)
                        r += 1
                    }
                }
            }
        }
        return bytes.withUnsafeBytes { WeightMatrix(rows: rows, columns: columnCount, format: format, copying: $0) }
    }

    /// How many elements are NaN or ±Inf, read in the storage format (no conversion).
    public func nonFiniteCount() -> Int {
        withBase { base in
            (0..<rowCount).reduce(0) { total, r in
                total + format.nonFiniteCount(base + r * rowStride * format.bytesPerElement, count: columnCount)
            }
        }
    }

    /// Whether `self` and `other` read the same elements (same storage, offset, stride and shape):
    /// a tied embedding and unembedding.
    public func sharesStorage(with other: WeightMatrix) -> Bool {
        guard shape == other.shape, format == other.format, offset == other.offset, rowStride == other.rowStride else {
            return false
        }
        return withBase { a in other.withBase { b in a == b } }
    }
}

/// Bytes copied into an allocation freed with the object: storage for a ``WeightMatrix`` built
/// from bytes that are not in a file (e.g. re-ordered rows of a fused projection).
final class OwnedBytes: @unchecked Sendable {
    let base: UnsafeRawPointer

    init(copying bytes: UnsafeRawBufferPointer) {
        let memory = UnsafeMutableRawPointer.allocate(byteCount: max(bytes.count, 1), alignment: 64)
        if let source = bytes.baseAddress { memory.copyMemory(from: source, byteCount: bytes.count) }
        base = UnsafeRawPointer(memory)
    }

    deinit { UnsafeMutableRawPointer(mutating: base).deallocate() }
}
