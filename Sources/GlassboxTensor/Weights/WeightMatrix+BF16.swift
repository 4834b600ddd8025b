/// The `--precision bf16` form of ``gemm(m:n:k:a:lda:weight:transposeB:c:ldc:beta:panelElements:)``
/// (docs/methods.md §0.7): `A` rounded to bf16 once; `W` used in place when it is stored as bf16
/// with rows along `k` (`transposeB`, `nn.Linear`'s layout), else converted panel by panel (f32
/// exactly, then rounded to bf16, transposed to `[nb, k]` for a `[k, n]` weight). A pending NaN/±Inf
/// check is settled as in the exact path.
func bf16WeightGemm(m: Int, n: Int, k: Int, a: UnsafePointer<Float>, lda: Int, weight w: WeightMatrix,
                    transposeB: Bool, c: UnsafeMutablePointer<Float>, ldc: Int, beta: Float, panelElements: Int) {
    let ab = UnsafeMutablePointer<UInt16>.allocate(capacity: max(1, m * k))
    defer { ab.deallocate() }
    for i in 0..<m { roundToBF16(a + i * lda, ab + i * k, count: k) }
    if w.format == .bf16 && transposeB {
        if w.settlesPendingCheck, let check = w.check { check.settle(w.nonFiniteCount()) }
        w.withBase { base in
            bf16Gemm(m: m, n: n, k: k, a: ab, lda: k, w: base.assumingMemoryBound(to: UInt16.self), ldw: w.rowStride,
                     c: c, ldc: ldc, beta: beta)
        }
        return
    }
    let packed = UnsafeMutablePointer<UInt16>.allocate(capacity: min(n, max(1, panelElements / k)) * k)
    defer { packed.deallocate() }
    let bits = SendablePointer(packed)
    forEachPanel(of: w, n: n, k: k, transposeB: transposeB, panelElements: panelElements) { j0, nb, scratch in
        let panel = SendablePointer(scratch)
        if transposeB {
            // [nb, k] f32 → [nb, k] bf16.
            parallelChunks(nb, grain: max(1, 32_768 / k)) { rows in
                roundToBF16(panel.base + rows.lowerBound * k, bits.base + rows.lowerBound * k, count: rows.count * k)
            }
        } else {
            // [k, nb] f32 → [nb, k] bf16, 8 columns at a time (8 contiguous floats read per row of W).
            parallelChunks(nb, grain: max(8, 32_768 / k)) { js in
                var rows = [Float](repeating: 0, count: 8 * k)
                rows.withUnsafeMutableBufferPointer { buffer in
                    let t = buffer.baseAddress!
                    for j0 in stride(from: js.lowerBound, to: js.upperBound, by: 8) {
                        let width = min(8, js.upperBound - j0)
                        for p in 0..<k {
                            let source = panel.base + p * nb + j0
                            for jj in 0..<width { t[jj * k + p] = source[jj] }
                        }
                        for jj in 0..<width { roundToBF16(t + jj * k, bits.base + (j0 + jj) * k, count: k) }
                    }
                }
            }
        }
        bf16Gemm(m: m, n: nb, k: k, a: ab, lda: k, w: packed, ldw: k, c: c + j0, ldc: ldc, beta: beta)
    }
}
