import GlassboxTensor
import XCTest

/// `blockedAttention` (online softmax over key tiles) against `NaiveKernels.attention` (Double,
/// one full row at a time) and against the unblocked composition the forward uses (scores by
/// `gemm`, `applyMask`, `softmaxLastDim`, `gemm`), with the default key tile (every key these
/// short inputs have in one tile), key tiles as long as the query blocks, and key tiles of other
/// lengths (several tiles per row, the online rescaling). Tolerance: |Δ| ≤ 1e-6 + 1e-5·|expected|.
final class BlockedAttentionKernelTests: XCTestCase {
    static let abs: Float = 1e-6, rel: Float = 1e-5

    /// (n, m, heads, kvHeads, dh, mask, block): lengths not multiples of the block, GQA and MQA,
    /// windows smaller than a block, more keys than queries (a cache offset), blocks of 1 and
    /// blocks longer than the input.
    static let cases: [(Int, Int, Int, Int, Int, AttentionMaskKind, Int)] = [
        (37, 37, 4, 2, 8, .causal, 8),
        (37, 37, 4, 4, 8, .none, 8),
        (45, 45, 4, 1, 16, .slidingWindow(3), 16),
        (45, 45, 6, 2, 8, .slidingWindow(20), 16),
        (9, 9, 2, 1, 4, .causal, 1),
        (12, 12, 2, 2, 8, .causal, 64),
        (10, 25, 4, 2, 8, .causal, 4),
        (10, 25, 4, 2, 8, .slidingWindow(5), 4),
        (1, 17, 2, 1, 8, .causal, 4),
    ]

    /// Key tile lengths tried on each case with query blocks of `block`: the default, `block`, and
    /// 3 (tiles shorter than, or not dividing, the query block).
    static func keyBlocks(_ block: Int) -> [Int?] { [nil, block, 3] }

    private func inputs(_ c: (Int, Int, Int, Int, Int, AttentionMaskKind, Int), seed: UInt64) -> (Tensor, Tensor, Tensor) {
        var rng = SplitMix64(seed: seed)
        return (rng.tensor([c.0, c.2, c.4], -2...2), rng.tensor([c.1, c.3, c.4], -2...2), rng.tensor([c.1, c.3, c.4]))
    }

    func testBlockedMatchesNaiveOnEveryShapeMaskVariantAndThreadCount() {
        let saved = Threading.threads
        defer { Threading.setThreads(saved) }
        for threads in [1, 2] {
            Threading.setThreads(threads)
            for variant in KernelVariant.supported {
                for (index, c) in Self.cases.enumerated() {
                    let (q, k, v) = inputs(c, seed: UInt64(90 + index))
                    let scale = 1 / Float(c.4).squareRoot()
                    let expected = NaiveKernels.attention(q: q, k: k, v: v, scale: scale, mask: c.5)
                    for keys in Self.keyBlocks(c.6) {
                        let got = KernelVariant.using(variant) {
                            blockedAttention(q: q, k: k, v: v, scale: scale, mask: c.5, blockSize: c.6, keyBlockSize: keys)
                        }
                        assertClose(got, expected, abs: Self.abs, rel: Self.rel,
                                    "case \(index) \(variant) \(threads) threads, key tile \(keys.map(String.init) ?? "default")")
                    }
                }
            }
        }
    }

    func testBlockedMatchesTheUnblockedComposition() {
        for cap in [nil, 2] as [Float?] {
            compareWithUnblockedComposition(softCap: cap)
        }
    }

    /// Every equal-length case, with Gemma 2's soft-cap (`cap·tanh(S/cap)` before the mask) when
    /// `softCap` is set, so that the cap is also checked across several key tiles.
    private func compareWithUnblockedComposition(softCap cap: Float?) {
        for (index, c) in Self.cases.enumerated() where c.0 == c.1 {
            let (n, heads, kvHeads, dh) = (c.0, c.2, c.3, c.4)
            let (q, k, v) = inputs(c, seed: UInt64(190 + index))
            let scale: Float = cap == nil ? 0.3 : 1.5
            var scores = Tensor(shape: [heads, n, n]) { out in
                q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in
                    for h in 0..<heads {
                        gemm(m: n, n: n, k: dh, a: qp.baseAddress! + h * dh, lda: heads * dh,
                             b: kp.baseAddress! + (h / (heads / kvHeads)) * dh, ldb: kvHeads * dh, transposeB: true,
                             c: out.baseAddress! + h * n * n, ldc: n, alpha: scale)
                    }
                } }
            }
            if let cap { softCap(&scores, cap) }
            applyMask(&scores, c.5)
            softmaxLastDim(&scores)
            let unblocked = Tensor(shape: [n, heads, dh]) { out in
                scores.withUnsafeBufferPointer { ap in v.withUnsafeBufferPointer { vp in
                    for h in 0..<heads {
                        gemm(m: n, n: dh, k: n, a: ap.baseAddress! + h * n * n, lda: n,
                             b: vp.baseAddress! + (h / (heads / kvHeads)) * dh, ldb: kvHeads * dh, transposeB: false,
                             c: out.baseAddress! + h * dh, ldc: heads * dh)
                    }
                } }
            }
            for keys in Self.keyBlocks(c.6) {
                let blocked = blockedAttention(q: q, k: k, v: v, scale: scale, mask: c.5, blockSize: c.6, keyBlockSize: keys,
                                               softCap: cap)
                assertClose(blocked, unblocked, abs: Self.abs, rel: Self.rel,
                            "case \(index), key tile \(keys.map(String.init) ?? "default"), soft-cap \(cap.map { "\($0)" } ?? "none")")
            }
        }
    }

    /// A row that sees no key (more queries than keys, causal) is zeros, as the softmax of an
    /// all −inf row is; NaN in a visible key spreads to the rows that see it.
    func testEmptyRowsAreZerosAndNaNSpreads() {
        var rng = SplitMix64(seed: 7)
        let q = rng.tensor([6, 2, 4]), k = rng.tensor([3, 1, 4]), v = rng.tensor([3, 1, 4])
        let z = blockedAttention(q: q, k: k, v: v, scale: 1, mask: .causal, blockSize: 2)
        XCTAssertEqual(Array(z.storage[0..<(3 * 8)]), [Float](repeating: 0, count: 24))
        assertClose(z, NaiveKernels.attention(q: q, k: k, v: v, scale: 1, mask: .causal), abs: Self.abs, rel: Self.rel)

        for keys in [1, 2, 3] {                                     // rows 0–2 see no key in any tile
            let tiled = blockedAttention(q: q, k: k, v: v, scale: 1, mask: .causal, blockSize: 2, keyBlockSize: keys)
            XCTAssertEqual(Array(tiled.storage[0..<(3 * 8)]), [Float](repeating: 0, count: 24), "key tile \(keys)")
        }

        var bad = rng.tensor([5, 1, 4])
        bad.storage[2 * 4 + 1] = .nan                               // key 2
        let w = blockedAttention(q: rng.tensor([5, 1, 4]), k: bad, v: rng.tensor([5, 1, 4]), scale: 1,
                                 mask: .causal, blockSize: 2)
        XCTAssertFalse(w.storage[0..<8].contains { $0.isNaN }, "rows 0, 1 do not see key 2")
        XCTAssertTrue(w.storage[8..<20].allSatisfy { $0.isNaN }, "rows 2–4 see key 2")
    }
}
