import CGlassboxBLAS
import GlassboxTensor

/// One computed item of a chunk, as the attention of one layer sees it.
struct SuffixRows: Sendable {
    /// First recomputed position `s` (0 in bidirectional models).
    let start: Int
    /// Offset of the item's rows `s..<n` in the chunk's stacked key/value rows.
    let rowOffset: Int
    /// Offset of the item's query rows in the stacked query rows of this layer.
    let queryOffset: Int
    /// Absolute positions of those query rows (all of `s..<n`, or only the rows the head reads in
    /// the last layer), ascending.
    let queryPositions: [Int]
    let edit: AttentionScoreEdit?
    /// `F [n]` of the edit (empty without one).
    let factors: [Float]
}

/// The keys a query at `position` sees under `mask` in a sequence of `n`.
@inline(__always)
func visibleKeys(_ position: Int, _ n: Int, _ mask: AttentionMaskKind) -> Range<Int> {
    mask.visibleKeys(last: position, keys: n)
}

/// Attention of one layer for the items of a chunk, each against its own keys: the base pass's
/// keys and values for positions `0..<s` (causal models) and the item's recomputed ones for `s..<n`.
///
/// For item `c`, head `h` (key/value head `g = h ÷ (H/Hkv)`), query rows `Q_c [m, dh]`:
/// `S = scale · Q_c · [K_base[0..<s] ; K_c]ᵀ` `[m, n]` (plus ALiBi's `slope_h · j` for key position
/// `j`, counted from `arch.alibiOrigin`, then soft-capped, where the model has them), masked as the layer masks, edited by the
/// item's `AttentionScoreEdit` (`.rowMinimum` reads the row before masking), softmaxed over the
/// visible keys, and `z = P · [V_base[0..<s] ; V_c]` `[m, dh]`. Items × heads run on `parallelFor`
/// workers with single-threaded BLAS.
///
/// - Parameters:
///   - q: `[Rq, H, dh]` stacked query rows (post-RoPE).
///   - k: `[R, Hkv, dh]` stacked recomputed keys (post-RoPE); `v`: `[R, Hkv, dh]`.
///   - baseKeys, baseValues: `[n, Hkv, dh]` of this layer from the base pass (causal models).
/// - Returns: `z` `[Rq, H·dh]`.
func suffixAttention(layer: Int, architecture arch: Architecture, length n: Int, items: [SuffixRows],
                     q: Tensor, k: Tensor, v: Tensor, baseKeys: Tensor?, baseValues: Tensor?) -> Tensor {
    let (heads, kvHeads, dh) = (arch.heads, arch.kvHeads, arch.headDim)
    let group = heads / kvHeads
    let qStride = heads * dh, kvStride = kvHeads * dh
    let scale = arch.attentionScale(layer: layer)
    let mask = arch.attentionMask(layer: layer)
    let slopes = arch.alibiSlopes
    let alibiKeys = arch.alibiOrigin.positions(keys: n)     // 0..<n, or MPT's (1 − n)..<1: the edits read these scores
    let rq = q.shape[0]
    let emptyBase = Tensor.zeros([0])
    let bk = baseKeys ?? emptyBase, bv = baseValues ?? emptyBase
    return Tensor(shape: [rq, qStride]) { out in
        guard rq > 0 else { return }
        let z = SendablePointer(out.baseAddress!)
        q.withUnsafeBufferPointer { qb in
        k.withUnsafeBufferPointer { kb in
        v.withUnsafeBufferPointer { vb in
        bk.withUnsafeBufferPointer { bkb in
        bv.withUnsafeBufferPointer { bvb in
            let qp = SendablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
            let kp = SendablePointer(UnsafeMutablePointer(mutating: kb.baseAddress!))
            let vp = SendablePointer(UnsafeMutablePointer(mutating: vb.baseAddress!))
            let bkp = bkb.baseAddress.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
            let bvp = bvb.baseAddress.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
            withSerialBLAS {
                parallelFor(items.count * heads) { task in
                    let item = items[task / heads], h = task % heads, g = h / group
                    let m = item.queryPositions.count, s = item.start
                    guard m > 0 else { return }
                    let edited = item.edit.map { $0.edits(layer: layer) } ?? false
                    let qh = qp.base + item.queryOffset * qStride + h * dh
                    let kh = kp.base + item.rowOffset * kvStride + g * dh
                    let vh = vp.base + item.rowOffset * kvStride + g * dh
                    let zh = z.base + item.queryOffset * qStride + h * dh
                    let scores = UnsafeMutablePointer<Float>.allocate(capacity: m * n)
                    defer { scores.deallocate() }
                    // S [m, n] = scale · Q_c · Kᵀ, prefix keys from the base pass, the rest recomputed.
                    if s > 0, let bkp {
                        gemm(m: m, n: s, k: dh, a: qh, lda: qStride, b: bkp.base + g * dh, ldb: kvStride,
                             transposeB: true, c: scores, ldc: n, alpha: scale)
                    }
                    gemm(m: m, n: n - s, k: dh, a: qh, lda: qStride, b: kh, ldb: kvStride,
                         transposeB: true, c: scores + s, ldc: n, alpha: scale)
                    for r in 0..<m {
                        let row = scores + r * n
                        if let slopes { addKeyPositionBias(row, keys: alibiKeys, slope: slopes[h]) }   // ALiBi, as hook_attn_scores
                        if let cap = arch.attentionSoftCap { for j in 0..<n { row[j] = softCapped(row[j], cap) } }
                        let visible = visibleKeys(item.queryPositions[r], n, mask)
                        if edited, let edit = item.edit {
                            var rowMin: Float = 0
                            if edit.shift == .rowMinimum {
                                rowMin = .infinity
                                for j in 0..<n where row[j] < rowMin { rowMin = row[j] }
                            }
                            _ = item.factors.withUnsafeBufferPointer { f in
                                edit.editRow(row, visible: visible, factors: f.baseAddress!, rowMinimum: rowMin)
                            }
                        }
                        // Softmax over keys 0..<upper with the hidden ones at -inf (the same lanes
                        // as the plain pass's full-row softmax), then zeros after the window.
                        if visible.lowerBound > 0 { row.update(repeating: -.infinity, count: visible.lowerBound) }
                        softmaxRows(UnsafeMutableBufferPointer(start: row, count: visible.upperBound),
                                    rowLength: visible.upperBound)
                        if visible.upperBound < n {
                            (row + visible.upperBound).update(repeating: 0, count: n - visible.upperBound)
                        }
                    }
                    // z [m, dh] = P · V, in the same two parts.
                    if s > 0, let bvp {
                        gemm(m: m, n: dh, k: s, a: scores, lda: n, b: bvp.base + g * dh, ldb: kvStride,
                             transposeB: false, c: zh, ldc: qStride)
                    }
                    gemm(m: m, n: dh, k: n - s, a: scores + s, lda: n, b: vh, ldb: kvStride,
                         transposeB: false, c: zh, ldc: qStride, beta: s > 0 ? 1 : 0)
                }
            }
        }}}}}
    }
}
