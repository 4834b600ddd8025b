import GlassboxTensor

/// The `k` largest entries of a low-rank `V_a × V_b` matrix `M = rows · columnsᵀ`
/// (`rows [V_a, r]`, `columns [V_b, r]`), computed in row blocks so that `M` is never held:
/// at most `blockRows × V_b` floats exist at a time, and a running top-k keeps the winners.
/// Exact (no sampling, unlike Dar et al.'s `approx_topk` bisection on a threshold).
enum PairTopK {
    struct Hit: Equatable {
        let row: Int
        let column: Int
        let score: Float
    }

    /// - Parameters:
    ///   - rowIDs, columnIDs: the token id of each row of `rows` / `columns` (after filtering).
    ///   - excludeSame: skip entries whose row id equals their column id.
    ///   - largest: `false` ranks the most negative entries.
    ///   - blockRows: rows per block; default keeps a block at about 16 MiB.
    static func search(rows: Tensor, columns: Tensor, rowIDs: [Int], columnIDs: [Int], k: Int,
                       excludeSame: Bool, largest: Bool, blockRows: Int? = nil) -> [Hit] {
        let (va, vb, r) = (rows.shape[0], columns.shape[0], rows.shape[1])
        precondition(columns.shape[1] == r && rowIDs.count == va && columnIDs.count == vb, "PairTopK: shapes disagree")
        guard va > 0, vb > 0, k > 0 else { return [] }
        let block = max(1, min(va, blockRows ?? ((4 << 20) / vb)))
        let sign: Float = largest ? 1 : -1
        let workers = max(1, Threading.threads)
        let k = min(k, va * vb)
        var best = TopKHeap(capacity: k)
        var buffer = [Float](repeating: 0, count: block * vb)
        for start in stride(from: 0, to: va, by: block) {
            let m = min(block, va - start)
            // M[start..<start+m, :] = sign · rows[start..<start+m] · columnsᵀ   → [m, V_b]
            rows.withUnsafeBufferPointer { rp in
                columns.withUnsafeBufferPointer { cp in
                    buffer.withUnsafeMutableBufferPointer { bp in
                        gemm(m: m, n: vb, k: r, a: rp.baseAddress! + start * r, lda: r, b: cp.baseAddress!, ldb: r,
                             transposeB: true, c: bp.baseAddress!, ldc: vb, alpha: sign)
                    }
                }
            }
            // Scan the block's rows on all workers, each with its own heap seeded by the bar so far.
            let floor = best.threshold
            let partial = Collector([TopKHeap]())
            buffer.withUnsafeBufferPointer { bp in
                let base = SendableConstPointer(bp.baseAddress!)
                parallelFor(min(workers, m)) { w in
                    var heap = TopKHeap(capacity: k)
                    if floor > -.infinity { heap.raise(to: floor) }
                    var i = w
                    while i < m {
                        let a = rowIDs[start + i]
                        VocabularyTopK.scan(base.base + i * vb, vb, sign: 1, offset: (start + i) * vb, heap: &heap) { j in
                            !(excludeSame && columnIDs[j] == a)
                        }
                        i += workers
                    }
                    partial.update { $0.append(heap) }
                }
            }
            for heap in partial.value { best.merge(heap) }
        }
        return best.sorted().map { Hit(row: $0.index / vb, column: $0.index % vb, score: sign * $0.score) }
    }
}
