/// `y = a · W` (or `a · Wᵀ`) plus an optional bias row, with `W` in its stored format.
///
/// - Parameters:
///   - a: `[..., k]` (leading dimensions flattened into `m`).
///   - w: `[k, n]`, or `[n, k]` when `transposeB` (`nn.Linear`'s layout, y = a·Wᵀ). The transposed
///     product a relevance sweep needs, `g · Wᵀ` for a `[k, n]` weight, is `transposeB: true`.
///   - bias: `[n]`, added to every row.
/// - Returns: `[..., n]`.
///
/// A matrix that is a whole f32 ``Tensor`` goes to `matmul(_:_:transposeB:bias:)` on it, unchanged
/// (in the exact precision; see ``ProductPrecision``).
/// Otherwise see ``gemm(m:n:k:a:lda:weight:transposeB:c:ldc:beta:)``.
public func matmul(_ a: Tensor, _ w: WeightMatrix, transposeB: Bool = false, bias: Tensor? = nil) -> Tensor {
    if case .tensor(let t) = w.storage, w.isWhole, ProductPrecision.current == .exact {
        return matmul(a, t, transposeB: transposeB, bias: bias)
    }
    precondition(a.rank >= 1, "matmul: a must have rank ≥ 1, got \(a.shape)")
    let k = a.dim(-1)
    let m = k == 0 ? a.shape.dropLast().reduce(1, *) : a.count / k
    let (bk, n) = transposeB ? (w.columnCount, w.rowCount) : (w.rowCount, w.columnCount)
    precondition(bk == k, "matmul: a \(a.shape) · W\(transposeB ? "ᵀ" : "") \(w.shape): inner dims \(k) ≠ \(bk)")
    if let bias { precondition(bias.count == n, "matmul: bias \(bias.shape) does not have \(n) elements") }
    var y: Tensor
    if let bias {
        y = Tensor(shape: Array(a.shape.dropLast()) + [n]) { out in
            bias.withUnsafeBufferPointer { bb in
                guard let o = out.baseAddress, let src = bb.baseAddress else { return }
                for r in 0..<m { (o + r * n).initialize(from: src, count: n) }
            }
        }
    } else if m > 0, n > 0, k > 0 {
        // gemm's beta = 0 path writes every element of C (each panel its own columns), so C need
        // not be zero-filled first.
        y = Tensor(shape: Array(a.shape.dropLast()) + [n]) { _ in }
    } else {
        y = Tensor.zeros(Array(a.shape.dropLast()) + [n])
    }
    guard m > 0, n > 0, k > 0 else { return y }
    a.withUnsafeBufferPointer { ab in
        y.withUnsafeMutableBufferPointer { yb in
            gemm(m: m, n: n, k: k, a: ab.baseAddress!, lda: k, weight: w, transposeB: transposeB,
                 c: yb.baseAddress!, ldc: n, beta: bias == nil ? 0 : 1)
        }
    }
    return y
}

/// Elements of Float32 scratch per panel (16 MB): a `d = 4096` weight converts 1,024 rows at a time.
public let weightPanelElements = 1 << 22

/// `C[m, n] = A[m, k] · op(W) + beta · C` with `op(W) = W [k, n]` or, when `transposeB`, `Wᵀ` for
/// `W [n, k]`; `A` rows `lda` apart, `C` rows `ldc` apart (docs/methods.md §0.7).
///
/// Aligned f32 storage is read in place by sgemm. Other formats are converted panel by panel into
/// one Float32 scratch buffer reused for every panel: a panel is a block of the output's columns
/// (rows of `W [n, k]`, or columns of `W [k, n]`), converted in parallel, then one sgemm writes
/// those columns of `C`. Every dot product still runs over all of `k` inside one sgemm call, in
/// the order sgemm gives it, so splitting the output columns leaves the sums as they were.
/// `panelElements` bounds the scratch panel (tests make it small to force many panels). Under
/// `ProductPrecision.bf16` the product rounds both operands to bf16 instead (`bf16WeightGemm`).
public func gemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weight w: WeightMatrix,
                 transposeB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float = 0,
                 panelElements: Int = weightPanelElements) {
    precondition((transposeB ? [n, k] : [k, n]) == w.shape,
                 "gemm: W \(w.shape) is not \(transposeB ? [n, k] : [k, n])")
    guard m > 0, n > 0 else { return }
    if ProductPrecision.current == .bf16, k > 0 {
        bf16WeightGemm(m: m, n: n, k: k, a: a, lda: lda, weight: w, transposeB: transposeB, c: c, ldc: ldc,
                       beta: beta, panelElements: panelElements)
        return
    }
    if w.isAlignedFloat32 {
        // sgemm reads f32 in place: a pending check is one pass just before it (docs/methods.md §0.7).
        if w.settlesPendingCheck, let check = w.check { check.settle(w.nonFiniteCount()) }
        w.withBase { base in
            gemm(m: m, n: n, k: k, a: a, lda: lda, b: base.assumingMemoryBound(to: Float.self), ldb: w.rowStride,
                 transposeB: transposeB, c: c, ldc: ldc, beta: beta)
        }
        return
    }
    guard k > 0 else {
        gemm(m: m, n: n, k: 0, a: a, lda: lda, b: a, ldb: transposeB ? 0 : n, transposeB: transposeB,
             c: c, ldc: ldc, beta: beta)
        return
    }
    forEachPanel(of: w, n: n, k: k, transposeB: transposeB, panelElements: panelElements) { j0, nb, panel in
        gemm(m: m, n: nb, k: k, a: a, lda: lda, b: panel, ldb: transposeB ? k : nb, transposeB: transposeB,
             c: c + j0, ldc: ldc, beta: beta)
    }
}

/// Converts `W` to Float32 one panel of output columns at a time into one reused scratch buffer
/// (at most `panelElements` floats, converted on all worker threads) and calls `body(j0, nb,
/// panel)` for each: the panel holds rows `j0..<j0+nb` of `W [n, k]` as `[nb, k]` when
/// `transposeB`, else columns `j0..<j0+nb` of `W [k, n]` as `[k, nb]`. The first pass over a whole
/// matrix with a pending NaN/±Inf check counts while converting and settles it.
func forEachPanel(of w: WeightMatrix, n: Int, k: Int, transposeB: Bool, panelElements: Int,
                  _ body: (_ j0: Int, _ nb: Int, _ panel: UnsafeMutablePointer<Float>) -> Void) {
    var width = min(n, max(1, panelElements / k))
    if width >= 16 && width < n { width -= width % 16 }
    let scratch = UnsafeMutablePointer<Float>.allocate(capacity: width * k)
    defer { scratch.deallocate() }
    let panel = SendablePointer(scratch)
    let tally: NonFiniteTally? = w.settlesPendingCheck ? NonFiniteTally() : nil
    defer { if let tally, let check = w.check { check.settle(tally.value) } }
    for j0 in stride(from: 0, to: n, by: width) {
        let cols = j0..<min(n, j0 + width), nb = cols.count
        if transposeB {
            // Rows j0..<j1 of W [n, k] → scratch [nb, k].
            parallelChunks(nb, grain: max(1, 32_768 / k)) { rows in
                w.convert(rows: (j0 + rows.lowerBound)..<(j0 + rows.upperBound), columns: 0..<k,
                          into: panel.base + rows.lowerBound * k, ld: k, tally: tally)
            }
        } else {
            // Columns j0..<j1 of W [k, n] → scratch [k, nb].
            parallelChunks(k, grain: max(1, 32_768 / nb)) { rows in
                w.convert(rows: rows, columns: cols, into: panel.base + rows.lowerBound * nb, ld: nb, tally: tally)
            }
        }
        body(j0, nb, scratch)
    }
}
