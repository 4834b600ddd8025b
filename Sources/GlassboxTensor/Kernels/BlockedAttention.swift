import CGlassboxBLAS
internal import CGlassboxKernels
import Foundation

/// The keys query row `i` of `queries` sees among `keys` under `mask` (the rule of `applyMask`,
/// with `i' = i + (keys − queries)`); may be empty.
@inline(__always)
func visibleKeyRange(_ i: Int, queries: Int, keys: Int, _ mask: AttentionMaskKind) -> Range<Int> {
    mask.visibleKeys(last: i + (keys - queries), keys: keys)
}

/// Multi-head (grouped-query) attention computed block by block, flash-attention style (Dao et al.
/// 2022, "FlashAttention", Algorithm 1; the online softmax of Milakov & Gimelshein 2018, eq. 4):
/// no `[n, n]` score matrix is ever held, only a `[B, C]` tile per worker.
///
/// For head `h` (key/value head `g = h ÷ (H/Hkv)`), each block of `B` query rows walks the keys
/// it can see in tiles of `C` keys; per tile `S = scale · Q_b · K_jᵀ` `[B, C]`, masked entries are
/// dropped, and
/// each row keeps a running max `m`, sum `ℓ` and unnormalised output `o [dh]`:
/// `m' = max(m, max_j S_j)`, `c = e^(m − m')`, `ℓ' = c·ℓ + Σ_j e^(S_j − m')`,
/// `o' = c·o + Σ_j e^(S_j − m')·V_j`; finally `z = o / ℓ`. Equal to `softmax(mask(S))·V` up to
/// float rounding (`NaiveKernels.attention` is the reference); a row that sees no key gives zeros,
/// as `softmaxLastDim` does for an all −inf row.
///
/// - Parameters:
///   - q: `[n, H, dh]` queries (already rotated where the model uses RoPE).
///   - k: `[m, Hkv, dh]` keys, `v`: `[m, Hkv, dh]` values; `H` a multiple of `Hkv`.
///   - scale: the multiplier of `q·k` (usually `1/√dh`).
///   - mask: which keys each query sees (offset `m − n` as in `applyMask`).
///   - blockSize: `B` (> 0), the query and key block length.
///   - softCap: Gemma 2's attention soft-cap: each visible score becomes `cap·tanh(S/cap)` before
///     the softmax, as `softCap` does to the full scores (`nil`: none).
///   - keySlopes: ALiBi slopes `[H]` (`addALiBi`): head `h`'s visible score of key `j` (position
///     `j` of `k`) gains `keySlopes[h] · j` before the soft-cap and the softmax (`nil`: none).
///   - keyBlockSize: `C`, the keys per tile (> 0); `nil`: `max(B, attentionTileFloats / B)`, so
///     that a block of 64 queries takes up to 1,024 keys in one tile (one softmax pass, and tile
///     products large enough to run near the sgemm peak) and the tile stays 256 KiB per worker.
/// - Returns: `z` `[n, H, dh]`.
///
/// Heads × query blocks run on `parallelFor` workers with single-threaded OpenBLAS for the tile
/// products; exponentials use the current ``KernelVariant``'s `exp`, read before going parallel.
public func blockedAttention(q: Tensor, k: Tensor, v: Tensor, scale: Float, mask: AttentionMaskKind,
                             blockSize: Int, keyBlockSize: Int? = nil, softCap cap: Float? = nil,
                             keySlopes: [Float]? = nil) -> Tensor {
    precondition(q.rank == 3 && k.rank == 3 && v.rank == 3, "blockedAttention: q, k, v must be [n, heads, dh]")
    precondition(k.shape == v.shape, "blockedAttention: k \(k.shape) and v \(v.shape) differ")
    precondition(blockSize > 0, "blockedAttention: the block size must be positive, got \(blockSize)")
    let (n, heads, dh) = (q.shape[0], q.shape[1], q.shape[2])
    let (m, kvHeads) = (k.shape[0], k.shape[1])
    precondition(k.shape[2] == dh && kvHeads > 0 && heads % kvHeads == 0,
                 "blockedAttention: q \(q.shape) does not fit k \(k.shape)")
    if case .slidingWindow(let w) = mask { precondition(w > 0, "blockedAttention: the window must be positive") }
    precondition(keySlopes == nil || keySlopes!.count == heads, "blockedAttention: one ALiBi slope per head")
    let group = heads / kvHeads
    let qStride = heads * dh, kvStride = kvHeads * dh
    let b = blockSize
    let c = keyBlockSize ?? max(b, attentionTileFloats / b)
    precondition(c > 0, "blockedAttention: the key block size must be positive, got \(c)")
    let queryBlocks = (n + b - 1) / b
    let kernels = KernelTable.current
    return Tensor(shape: [n, heads, dh]) { out in
        guard n > 0, dh > 0 else { return }
        let z = SendablePointer(out.baseAddress!)
        q.withUnsafeBufferPointer { qb in
        k.withUnsafeBufferPointer { kb in
        v.withUnsafeBufferPointer { vb in
            let qp = SendablePointer(UnsafeMutablePointer(mutating: qb.baseAddress!))
            let kp = kb.baseAddress.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
            let vp = vb.baseAddress.map { SendablePointer(UnsafeMutablePointer(mutating: $0)) }
            withSerialBLAS {
                parallelFor(heads * queryBlocks) { task in
                    let h = task / queryBlocks, i0 = (task % queryBlocks) * b
                    let rows = min(b, n - i0), g = h / group
                    let zh = z.base + i0 * qStride + h * dh
                    // Per-worker state: the tile [rows, C], o [rows, dh], m [rows], ℓ [rows].
                    let tile = UnsafeMutablePointer<Float>.allocate(capacity: rows * c)
                    let o = UnsafeMutablePointer<Float>.allocate(capacity: rows * dh)
                    let runMax = UnsafeMutablePointer<Float>.allocate(capacity: rows)
                    let runSum = UnsafeMutablePointer<Float>.allocate(capacity: rows)
                    defer { tile.deallocate(); o.deallocate(); runMax.deallocate(); runSum.deallocate() }
                    o.initialize(repeating: 0, count: rows * dh)
                    runMax.initialize(repeating: -.infinity, count: rows)
                    runSum.initialize(repeating: 0, count: rows)
                    // Visible ranges are monotone in the row, so the block sees lo..<hi.
                    let lo = visibleKeyRange(i0, queries: n, keys: m, mask).lowerBound
                    let hi = visibleKeyRange(i0 + rows - 1, queries: n, keys: m, mask).upperBound
                    if let kp, let vp, lo < hi {
                        var j0 = lo
                        while j0 < hi {
                            let cols = min(c, hi - j0)
                            // S [rows, cols] = scale · Q_b · K_jᵀ
                            gemm(m: rows, n: cols, k: dh, a: qp.base + i0 * qStride + h * dh, lda: qStride,
                                 b: kp.base + j0 * kvStride + g * dh, ldb: kvStride, transposeB: true,
                                 c: tile, ldc: cols, alpha: scale)
                            for r in 0..<rows {
                                let s = tile + r * cols
                                let seen = visibleKeyRange(i0 + r, queries: n, keys: m, mask)
                                let a = max(seen.lowerBound, j0) - j0, e = min(seen.upperBound, j0 + cols) - j0
                                guard a < e else {                 // nothing visible in this tile
                                    s.update(repeating: 0, count: cols)
                                    continue
                                }
                                if let keySlopes { addKeyPositionBias(s + a, keys: (j0 + a)..<(j0 + e), slope: keySlopes[h]) }
                                if let cap { for j in a..<e { s[j] = softCapped(s[j], cap) } }
                                let tileMax = visibleMax(s, a..<e)
                                let old = runMax[r]
                                let new = max(old, tileMax)
                                if new == -.infinity {              // every visible score is −inf (or NaN) so far
                                    // NaN never wins the max: a NaN score makes the row's z NaN
                                    // (as the full softmax does), not the zeros of a row with no key.
                                    if (a..<e).contains(where: { s[$0].isNaN }) { runSum[r] = .nan }
                                    s.update(repeating: 0, count: cols)
                                    continue
                                }
                                for j in a..<e { s[j] -= new }
                                if a > 0 { s.update(repeating: 0, count: a) }
                                if e < cols { (s + e).update(repeating: 0, count: cols - e) }
                                kernels.map(GB_UNARY_EXP, s + a, s + a, e - a)
                                let sum = laneSum(s + a, count: e - a)
                                if new != old {
                                    let c = old == -.infinity ? 0 : exp(old - new)
                                    runSum[r] *= c
                                    let orow = o + r * dh
                                    for t in 0..<dh { orow[t] *= c }
                                    runMax[r] = new
                                }
                                runSum[r] += sum
                            }
                            // o += P · V_j
                            gemm(m: rows, n: dh, k: cols, a: tile, lda: cols,
                                 b: vp.base + j0 * kvStride + g * dh, ldb: kvStride, transposeB: false,
                                 c: o, ldc: dh, beta: 1)
                            j0 += cols
                        }
                    }
                    for r in 0..<rows {
                        let l = runSum[r], dst = zh + r * qStride, src = o + r * dh
                        if l == 0 {
                            dst.update(repeating: 0, count: dh)
                        } else {
                            let inv = 1 / l
                            for t in 0..<dh { dst[t] = src[t] * inv }
                        }
                    }
                }
            }
        }}}
    }
}

/// Floats in one worker's score tile of `blockedAttention` by default (256 KiB).
public let attentionTileFloats = 1 << 16

/// `max_j s[j]` over `range` in 16 lanes; NaN never wins (as `s[j] > max` in a scalar loop), so
/// a range of only NaN and −inf gives −inf.
@inline(__always)
func visibleMax(_ s: UnsafeMutablePointer<Float>, _ range: Range<Int>) -> Float {
    var lanes = SIMD16<Float>(repeating: -.infinity)
    var j = range.lowerBound
    while j + 16 <= range.upperBound {
        let x = UnsafeRawPointer(s + j).loadUnaligned(as: SIMD16<Float>.self)
        lanes.replace(with: x, where: x .> lanes)
        j += 16
    }
    var best = lanes.max()
    while j < range.upperBound { if s[j] > best { best = s[j] }; j += 1 }
    return best
}

/// `Σ x[0..<count]` in 16 lanes (then the lanes and the tail in order).
@inline(__always)
func laneSum(_ x: UnsafeMutablePointer<Float>, count: Int) -> Float {
    var lanes = SIMD16<Float>(repeating: 0)
    var j = 0
    while j + 16 <= count {
        lanes += UnsafeRawPointer(x + j).loadUnaligned(as: SIMD16<Float>.self)
        j += 16
    }
    var sum = lanes.sum()
    while j < count { sum += x[j]; j += 1 }
    return sum
}

/// Runs `body` with every product single-threaded (so tile products can run side by side on
/// `parallelFor` workers): `gemm` does not split products across workers until it returns.
/// Sections may nest and may run on several threads at once.
public func withSerialBLAS<R>(_ body: () throws -> R) rethrows -> R {
    Threading.enterSerialProducts()
    defer { Threading.leaveSerialProducts() }
    return try Threading.$serialProducts.withValue(true) { try body() }
}
