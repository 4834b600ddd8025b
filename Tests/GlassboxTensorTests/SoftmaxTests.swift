import GlassboxTensor
import XCTest

/// softmax / causal mask vs `NaiveKernels` (Double exp). Probabilities are ≤ 1 and the vector exp is
/// within ~2 ulp, so 1e-6 absolute; row sums within 1e-5 of 1 (rows ≤ 300 long).
final class SoftmaxTests: XCTestCase {
    func testSoftmaxMatchesNaiveIncludingLargeMagnitudes() {
        var rng = SplitMix64(seed: 10)
        // d = 1, exactly one vector, vector + tail, several vectors + tail.
        for shape in [[4, 1], [3, 16], [2, 3, 17], [5, 40], [2, 300]] {
            for range: ClosedRange<Float> in [-3...3, -80...80] {
                var x = rng.tensor(shape, range)
                var ref = x
                softmaxLastDim(&x)
                NaiveKernels.softmaxLastDim(&ref)
                assertClose(x, ref, abs: 1e-6, "softmax \(shape) range \(range)")
                assertRowsSumToOne(x)
            }
        }
    }

    func testNegativeInfinityEntriesAndRows() {
        var rng = SplitMix64(seed: 11)
        var x = rng.tensor([4, 19], -5...5)
        for j in [0, 3, 17, 18] { x[0, j] = -.infinity }            // some −inf in a row
        for j in 0..<19 { x[1, j] = -.infinity }                    // all −inf
        for j in 0..<18 { x[2, j] = -.infinity }                    // only the tail survives
        var ref = x
        softmaxLastDim(&x)
        NaiveKernels.softmaxLastDim(&ref)
        assertClose(x, ref, abs: 1e-6, "softmax with -inf")
        for j in [0, 3, 17, 18] { XCTAssertEqual(x[0, j], 0) }
        XCTAssertEqual(x.row(1).storage, [Float](repeating: 0, count: 19), "all -inf row → zeros, no NaN")
        XCTAssertEqual(x[2, 18], 1)
        XCTAssertFalse(x.storage.contains { $0.isNaN })
    }

    func testSoftmaxParallelPathMatchesNaive() {
        var rng = SplitMix64(seed: 12)
        var x = rng.tensor([300, 256], -20...20)        // 76 800 floats → split across workers
        var ref = x
        softmaxLastDim(&x)
        NaiveKernels.softmaxLastDim(&ref)
        assertClose(x, ref, abs: 1e-6, "softmax parallel")
    }

    func testSoftmaxRowsOnRawBuffer() {
        var rng = SplitMix64(seed: 13)
        let t = rng.tensor([6, 21], -10...10)
        var raw = t.storage
        raw.withUnsafeMutableBufferPointer { softmaxRows($0, rowLength: 21) }
        var ref = t
        NaiveKernels.softmaxLastDim(&ref)
        assertClose(raw, ref.storage, abs: 1e-6, "softmaxRows")
    }

    /// Causal mask with q < k (KV cache), q == k and q > k: same −inf pattern as the naive version,
    /// exact zeros above the shifted diagonal after softmax, and the last query sees every key.
    func testCausalMask() {
        var rng = SplitMix64(seed: 14)
        for (q, k) in [(3, 5), (4, 4), (1, 6), (5, 3)] {
            var s = rng.tensor([2, q, k], -4...4)           // [heads, q, k]
            var ref = s
            applyMask(&s, .causal)
            NaiveKernels.applyMask(&ref, .causal)
            XCTAssertEqual(s.storage.map { $0 == -.infinity }, ref.storage.map { $0 == -.infinity }, "mask q\(q) k\(k)")
            softmaxLastDim(&s)
            for h in 0..<2 {
                for i in 0..<q {
                    for j in 0..<k where j > i + (k - q) {
                        XCTAssertEqual(s[h, i, j], 0, "masked entry h\(h) i\(i) j\(j) (q\(q) k\(k))")
                    }
                    if i + (k - q) >= 0 {
                        for j in 0...min(k - 1, i + (k - q)) { XCTAssertGreaterThan(s[h, i, j], 0) }
                    }
                }
                if k >= q { for j in 0..<k { XCTAssertGreaterThan(s[h, q - 1, j], 0, "last query sees key \(j)") } }
            }
            if q <= k { assertRowsSumToOne(s) }
        }
        var untouched = rng.tensor([3, 3])
        let before = untouched
        applyMask(&untouched, .none)
        XCTAssertEqual(untouched, before)
    }

    private func assertRowsSumToOne(_ x: Tensor, file: StaticString = #filePath, line: UInt = #line) {
        let d = x.dim(-1)
        for r in 0..<(x.count / d) {
            let s = x.storage[(r * d)..<((r + 1) * d)].reduce(0.0) { $0 + Double($1) }
            XCTAssertEqual(s, 1, accuracy: 1e-5, "row \(r) sums to \(s)", file: file, line: line)
        }
    }

    /// Sliding windows: the fast mask equals the naive one for windows narrower and wider than the
    /// input, with and without a KV-cache offset, and each row keeps exactly min(window, visible) keys.
    func testSlidingWindowMask() {
        var rng = SplitMix64(seed: 15)
        for (q, k, w) in [(6, 6, 3), (6, 6, 1), (4, 7, 2), (5, 5, 9), (3, 3, 3)] {
            var s = rng.tensor([2, q, k], -4...4)
            var ref = s
            applyMask(&s, .slidingWindow(w))
            NaiveKernels.applyMask(&ref, .slidingWindow(w))
            XCTAssertEqual(s.storage.map { $0 == -.infinity }, ref.storage.map { $0 == -.infinity }, "q\(q) k\(k) w\(w)")
            for i in 0..<q {
                let visible = (0..<k).filter { s[0, i, $0] != -.infinity }
                let last = i + (k - q)
                XCTAssertEqual(visible, Array(max(0, last - w + 1)...last), "row \(i) q\(q) k\(k) w\(w)")
            }
        }
        // The worked example of transformers' docs (sliding_window=3, 5 positions).
        var m = Tensor.zeros([5, 5])
        applyMask(&m, .slidingWindow(3))
        XCTAssertEqual((0..<5).map { i in (0..<5).map { m[i, $0] == 0 ? 1 : 0 } },
                       [[1, 0, 0, 0, 0], [1, 1, 0, 0, 0], [1, 1, 1, 0, 0], [0, 1, 1, 1, 0], [0, 0, 1, 1, 1]])
    }
}
