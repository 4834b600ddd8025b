import GlassboxRuntime
import GlassboxTensor

extension ReverseSweep {
    /// The attention backward of all heads of layer `l` as parallel tasks over key/value heads and
    /// groups of query row blocks (docs/methods.md §2.3, "Blocked sweep"): the flash-attention
    /// backward's work split (Dao et al. 2022, "FlashAttention", Algorithm 4 and Appendix B.2) on
    /// the CPU.
    ///
    /// Each block of `B` query rows is taken against the keys it can see (`rowBlocks`); for each
    /// query head of the key/value head, its pattern `A [B, K]` is recomputed from the cached `q`,
    /// `k` (or copied from a kept pattern) and the rules of `attentionBackward` are applied to that
    /// block: `g_v += f_v·Aᵀ·g_z`, `g_A = g_z·vᵀ`, `g_S = A ⊙ (g_A − rowsum(A ⊙ g_A))`,
    /// `g_q = f_qk·scale·g_S·k`, `g_k += f_qk·scale·g_Sᵀ·q`. Row `i`'s softmax needs only row `i`'s
    /// scores, all of which the task holds. No `[n, n]` matrix exists: a task holds `A` and `g_A`
    /// `[B, K ≤ n]`.
    ///
    /// `g_q` rows belong to one task. `g_k`, `g_v` `[n, Hkv, dh]` are summed over row blocks: block
    /// `b` goes to row group `b mod R` (`R = min(rowGroups, blocks)`), each group sums into its own
    /// copy (group 0 into `grads`), and the copies are added in group order. Tasks are
    /// `(key/value head, row group)` pairs, each working through its blocks and heads in a fixed
    /// order, so the result is the same for every thread count. Tile products run on
    /// single-threaded OpenBLAS, one per worker.
    ///
    /// Where `g_z` is nonzero on fewer than half the rows (the top layer, where only the explained
    /// positions have a gradient; `LinearRules.sparseRows`), a block none of whose rows has one is
    /// skipped: it would add `Aᵀ·0` and `0·q` to `g_v`, `g_k` and leave its `g_q` rows zero.
    func attentionTasks(layer l: Int, _ cached: LayerAttention, qkFactor: Float?, vFactor: Float,
                        into grads: inout AttentionGradients) {
        let arch = architecture
        let (H, Hkv, dh) = (arch.heads, arch.kvHeads, arch.headDim)
        let group = H / Hkv
        let (qRow, kvRow) = (H * dh, Hkv * dh)
        let mask = arch.attentionMask(layer: l)
        let scale = arch.attentionScale(layer: l)
        let slopes = arch.alibiSlopes
        // Each segment's blocks, in its own positions (a packed sweep's prefixes never see each
        // other); block j of a segment goes to row group j mod R, as in a sweep of that prefix alone.
        let segmentBlocks = segments.map { Self.rowBlocks(n: $0.count, mask: mask, size: rowBlock) }
        let groups = max(1, min(Self.rowGroups, segmentBlocks.map(\.count).max() ?? 1))
        let capacity = segmentBlocks.joined().map { $0.rows.count * $0.keys.count }.max() ?? 0
        let segments = self.segments
        let live: [Bool]? = LinearRules.sparseRows(cached.gZ).map { rows in
            var mask = [Bool](repeating: false, count: self.n)
            for r in rows { mask[r] = true }
            return mask
        }
        let kvCount = n * kvRow
        // Row groups 1..<R sum g_k, g_v into their own copies.
        let privateKV = UnsafeMutablePointer<Float>.allocate(capacity: (groups - 1) * 2 * kvCount)
        defer { privateKV.deallocate() }
        privateKV.initialize(repeating: 0, count: (groups - 1) * 2 * kvCount)
        let n = self.n
        // Soft-capped scores (Gemma 2): the kept pattern is not used; each block keeps the cap's
        // local factor (activation rule, docs/methods.md §2.5e) beside its pattern.
        let cap = arch.attentionSoftCap
        let capRule = table[.activation]
        let kept = cap == nil ? cached.kept : nil
        precondition(kept == nil || segments.count == 1, "a packed sweep recomputes its patterns")
        withSerialBLAS {
            cached.q.withUnsafeBufferPointer { qb in
            cached.k.withUnsafeBufferPointer { kb in
            cached.v.withUnsafeBufferPointer { vb in
            cached.gZ.withUnsafeBufferPointer { zb in
            (kept ?? Tensor.zeros([0])).withUnsafeBufferPointer { pb in
            grads.q.withUnsafeMutableBufferPointer { gqb in
            grads.k.withUnsafeMutableBufferPointer { gkb in
            grads.v.withUnsafeMutableBufferPointer { gvb in
                let q = SendablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
                let k = SendablePointer(UnsafeMutablePointer(mutating: kb.baseAddress!))
                let v = SendablePointer(UnsafeMutablePointer(mutating: vb.baseAddress!))
                let gZ = SendablePointer(UnsafeMutablePointer(mutating: zb.baseAddress!))
                let pattern = kept == nil ? nil : SendablePointer(UnsafeMutablePointer(mutating: pb.baseAddress!))
                let gQ = SendablePointer(gqb.baseAddress!)
                let shared = (k: SendablePointer(gkb.baseAddress!), v: SendablePointer(gvb.baseAddress!))
                let copies = SendablePointer(privateKV)
                // Task t: key/value head t mod Hkv, row group t ÷ Hkv (row groups spread over workers).
                parallelFor(Hkv * groups) { task in
                    let g = task % Hkv, rowGroup = task / Hkv
                    let gK = rowGroup == 0 ? shared.k.base : copies.base + (rowGroup - 1) * 2 * kvCount
                    let gV = rowGroup == 0 ? shared.v.base : gK + kvCount
                    let a = UnsafeMutablePointer<Float>.allocate(capacity: (cap == nil ? 2 : 3) * capacity)
                    defer { a.deallocate() }
                    let ga = a + capacity, capFactor = a + 2 * capacity
                    for (segment, blocks) in zip(segments, segmentBlocks) {
                    for blockIndex in stride(from: rowGroup, to: blocks.count, by: groups) {
                        let block = blocks[blockIndex]                  // positions within the segment
                        let origin = segment.lowerBound
                        if let live, !live[(origin + block.rows.lowerBound)..<(origin + block.rows.upperBound)].contains(true) {
                            continue
                        }
                        let (r0, b, k0, kk) = (origin + block.rows.lowerBound, block.rows.count,
                                               origin + block.keys.lowerBound, block.keys.count)
                        let kg = k.base + k0 * kvRow + g * dh, vg = v.base + k0 * kvRow + g * dh
                        for h in (g * group)..<((g + 1) * group) {
                            let qh = q.base + r0 * qRow + h * dh, gzh = gZ.base + r0 * qRow + h * dh
                            // A [B, K]: the kept pattern's block, or scale·q·kᵀ masked and soft-maxed.
                            if let pattern {
                                for i in 0..<b { (a + i * kk).update(from: pattern.base + (h * n + r0 + i) * n + k0, count: kk) }
                            } else {
                                gemm(m: b, n: kk, k: dh, a: qh, lda: qRow, b: kg, ldb: kvRow, transposeB: true,
                                     c: a, ldc: kk, alpha: scale)
                                if let slopes {             // ALiBi of the segment's own key positions
                                    for i in 0..<b { addKeyPositionBias(a + i * kk, keys: block.keys, slope: slopes[h]) }
                                }
                                if let cap {                // keep the soft-cap's local factor, then cap
                                    for i in 0..<(b * kk) {
                                        capFactor[i] = ActivationRules.softCapFactor(a[i], cap: cap, rule: capRule)
                                        a[i] = softCapped(a[i], cap)
                                    }
                                }
                                Self.mask(a, rows: block.rows, keys: block.keys, mask)
                                softmaxRowsSerial(a, rows: b, rowLength: kk)
                            }
                            // g_v[keys, g] += f_v · Aᵀ · g_z[rows, h]      ([B, K]ᵀ · [B, dh] → [K, dh])
                            gemm(m: kk, n: dh, k: b, a: a, lda: kk, transposeA: true, b: gzh, ldb: qRow, transposeB: false,
                                 c: gV + k0 * kvRow + g * dh, ldc: kvRow, alpha: vFactor, beta: 1)
                            guard let qkFactor else { continue }
                            // g_A [B, K] = g_z[rows, h] · v[keys, g]ᵀ, then g_S in place
                            gemm(m: b, n: kk, k: dh, a: gzh, lda: qRow, b: vg, ldb: kvRow, transposeB: true, c: ga, ldc: kk)
                            Self.softmaxBackwardRows(pattern: a, gradient: ga, rows: 0..<b, columns: kk)
                            if cap != nil {                 // through the soft-cap: activation rule (§2.5e)
                                for i in 0..<(b * kk) { ga[i] *= capFactor[i] }
                            }
                            let alpha = qkFactor * scale
                            // g_q[rows, h] = f·scale · g_S · k[keys, g]    ([B, K] · [K, dh])
                            gemm(m: b, n: dh, k: kk, a: ga, lda: kk, b: kg, ldb: kvRow, transposeB: false,
                                 c: gQ.base + r0 * qRow + h * dh, ldc: qRow, alpha: alpha)
                            // g_k[keys, g] += f·scale · g_Sᵀ · q[rows, h]   ([B, K]ᵀ · [B, dh] → [K, dh])
                            gemm(m: kk, n: dh, k: b, a: ga, lda: kk, transposeA: true, b: qh, ldb: qRow, transposeB: false,
                                 c: gK + k0 * kvRow + g * dh, ldc: kvRow, alpha: alpha, beta: 1)
                        }
                    }
                    }
                }
                // Fold the row groups' g_k, g_v into group 0's, in group order.
                for rowGroup in 1..<groups {
                    let pk = privateKV + (rowGroup - 1) * 2 * kvCount, pv = pk + kvCount
                    for i in 0..<kvCount {
                        gkb[i] += pk[i]
                        gvb[i] += pv[i]
                    }
                }
            }}}}}}}}
        }
    }

    /// Row groups of `attentionTasks` (each a private `g_k`, `g_v` copy, `2·n·Hkv·dh` floats): a
    /// constant, not the thread count, so results do not depend on it.
    static let rowGroups = 4

    /// Softmax backward in place on rows `rows` of a `[·, columns]` tile, on the calling thread:
    /// `g ← A ⊙ (g − rowsum(A ⊙ g))` (masked entries, where `A = 0`, get exactly 0).
    static func softmaxBackwardRows(pattern a: UnsafeMutablePointer<Float>, gradient gp: UnsafeMutablePointer<Float>,
                                    rows: Range<Int>, columns: Int) {
        for r in rows {
            let ar = a + r * columns, gr = gp + r * columns
            var lanes = SIMD16<Float>(repeating: 0)
            var j = 0
            while j + 16 <= columns {
                lanes += UnsafeRawPointer(ar + j).loadUnaligned(as: SIMD16<Float>.self)
                    * UnsafeRawPointer(gr + j).loadUnaligned(as: SIMD16<Float>.self)
                j += 16
            }
            var dot = lanes.sum()
            while j < columns { dot += ar[j] * gr[j]; j += 1 }
            for j in 0..<columns { gr[j] = ar[j] * (gr[j] - dot) }
        }
    }
}
