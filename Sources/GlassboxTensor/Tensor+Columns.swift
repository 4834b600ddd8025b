extension Tensor {
    /// A copy of columns `range` of a matrix `[rows, cols]` → `[rows, range.count]`.
    public func columns(_ range: Range<Int>) -> Tensor {
        precondition(rank == 2 && range.lowerBound >= 0 && range.upperBound <= shape[1],
                     "columns \(range) out of bounds for \(shape)")
        let rows = shape[0], cols = shape[1], width = range.count
        return Tensor(shape: [rows, width]) { out in
            storage.withUnsafeBufferPointer { src in
                for r in 0..<rows {
                    let from = src.baseAddress! + r * cols + range.lowerBound
                    (out.baseAddress! + r * width).update(from: from, count: width)
                }
            }
        }
    }

    /// A copy of elements `range` of a vector `[n]`.
    public func slice(_ range: Range<Int>) -> Tensor {
        precondition(rank == 1 && range.lowerBound >= 0 && range.upperBound <= shape[0],
                     "slice \(range) out of bounds for \(shape)")
        return Tensor(shape: [range.count], storage: Array(storage[range]))
    }

    /// Rows of a table `[rows, d]` gathered by index → `[indices.count, d]` (embedding lookup).
    public func gatherRows(_ indices: [Int]) -> Tensor {
        precondition(rank == 2, "gatherRows needs a matrix, got \(shape)")
        let d = shape[1]
        return Tensor(shape: [indices.count, d]) { out in
            storage.withUnsafeBufferPointer { src in
                for (i, index) in indices.enumerated() {
                    precondition(index >= 0 && index < shape[0], "row \(index) out of bounds for \(shape)")
                    (out.baseAddress! + i * d).update(from: src.baseAddress! + index * d, count: d)
                }
            }
        }
    }

    /// The rows of a matrix `[indices.count, d]` placed at rows `indices` of a zero `[count, d]`
    /// (the inverse of `gatherRows` on distinct indices).
    public func scatterRows(_ indices: [Int], count: Int) -> Tensor {
        precondition(rank == 2 && shape[0] == indices.count, "scatterRows: \(shape) for \(indices.count) rows")
        let d = shape[1]
        var out = Tensor.zeros([count, d])
        out.withUnsafeMutableBufferPointer { dst in
            storage.withUnsafeBufferPointer { src in
                for (i, index) in indices.enumerated() {
                    precondition(index >= 0 && index < count, "row \(index) out of bounds for \(count) rows")
                    (dst.baseAddress! + index * d).update(from: src.baseAddress! + i * d, count: d)
                }
            }
        }
        return out
    }
}
