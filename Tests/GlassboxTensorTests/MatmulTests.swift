import Foundation
import GlassboxTensor
import XCTest

/// matmul / gemm (OpenBLAS) vs `NaiveKernels` (Double accumulation). Inputs are uniform in [-1, 1]
/// with k ≤ 70, so Float32 BLAS results are within 2e-5 absolute (k·ε·max|partial sum| ≈ 1e-5).
final class MatmulTests: XCTestCase {
    let tolerance: Float = 2e-5

    func testMatmulShapesAndPaths() {
        var rng = SplitMix64(seed: 1)
        // (m, k, n): m = 1 → sgemv; k = 1; non-square; larger square.
        for (m, k, n) in [(1, 5, 7), (1, 64, 33), (3, 1, 4), (5, 7, 3), (17, 33, 9), (32, 70, 48)] {
            for transposeB in [false, true] {
                for withBias in [false, true] {
                    let a = rng.tensor([m, k])
                    let b = rng.tensor(transposeB ? [n, k] : [k, n])
                    let bias = withBias ? rng.tensor([n]) : nil
                    let y = matmul(a, b, transposeB: transposeB, bias: bias)
                    let ref = NaiveKernels.matmul(a, b, transposeB: transposeB, bias: bias)
                    assertClose(y, ref, abs: tolerance, "matmul m\(m) k\(k) n\(n) transposeB \(transposeB) bias \(withBias)")
                }
            }
        }
    }

    func testMatmulFlattensLeadingDimensions() {
        var rng = SplitMix64(seed: 2)
        let a = rng.tensor([2, 3, 8])          // [..., k]
        let b = rng.tensor([5, 8])             // [n, k]
        let bias = rng.tensor([5])
        let y = matmul(a, b, transposeB: true, bias: bias)
        XCTAssertEqual(y.shape, [2, 3, 5])
        assertClose(y, NaiveKernels.matmul(a, b, transposeB: true, bias: bias), abs: tolerance, "rank-3 a")
        let v = rng.tensor([8])                // rank 1 → one row (sgemv)
        let yv = matmul(v, b, transposeB: true)
        XCTAssertEqual(yv.shape, [5])
        assertClose(yv, NaiveKernels.matmul(v, b, transposeB: true), abs: tolerance, "rank-1 a")
    }

    func testMatmulZeroInnerDimensionGivesBias() {
        let a = Tensor.zeros([3, 0]), b = Tensor.zeros([0, 4])
        let bias = Tensor(shape: [4], storage: [1, 2, 3, 4])
        XCTAssertEqual(matmul(a, b, bias: bias).storage, Array(repeating: [1, 2, 3, 4], count: 3).flatMap { $0 })
        XCTAssertEqual(matmul(a, b).storage, [Float](repeating: 0, count: 12))
    }

    /// Strided A / B / C with alpha and beta; padding between rows must be left untouched.
    func testGemmStrided() {
        var rng = SplitMix64(seed: 3)
        let sentinel: Float = 777
        for (m, k, n) in [(1, 6, 5), (4, 1, 3), (6, 9, 5), (13, 20, 11)] {
            for transposeB in [false, true] {
                for (alpha, beta) in [(Float(1), Float(0)), (0.5, 2), (-1.5, 1)] {
                    let lda = k + 3, ldc = n + 5
                    let ldb = (transposeB ? k : n) + 2
                    let bRows = transposeB ? n : k, bCols = transposeB ? k : n
                    var a = [Float](repeating: sentinel, count: m * lda)
                    var b = [Float](repeating: sentinel, count: bRows * ldb)
                    var c = [Float](repeating: sentinel, count: m * ldc)
                    for i in 0..<m { for p in 0..<k { a[i * lda + p] = rng.uniform(-1...1) } }
                    for i in 0..<bRows { for p in 0..<bCols { b[i * ldb + p] = rng.uniform(-1...1) } }
                    for i in 0..<m {
                        for j in 0..<n { c[i * ldc + j] = beta == 0 ? .nan : rng.uniform(-1...1) }
                    }
                    var ref = c
                    NaiveKernels.gemm(m: m, n: n, k: k, a: a, lda: lda, b: b, ldb: ldb, transposeB: transposeB,
                                      c: &ref, ldc: ldc, alpha: alpha, beta: beta)
                    a.withUnsafeBufferPointer { ap in
                        b.withUnsafeBufferPointer { bp in
                            c.withUnsafeMutableBufferPointer { cp in
                                gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, b: bp.baseAddress!, ldb: ldb,
                                     transposeB: transposeB, c: cp.baseAddress!, ldc: ldc, alpha: alpha, beta: beta)
                            }
                        }
                    }
                    // Padding columns keep the sentinel in both; beta = 0 must not leak the NaN garbage.
                    assertClose(c, ref, abs: tolerance, "gemm m\(m) k\(k) n\(n) tB \(transposeB) α\(alpha) β\(beta)")
                    for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], sentinel) } }
                }
            }
        }
    }

    /// Products large enough to be split across workers (`m·n·k ≥ 2^20`): column blocks, row
    /// blocks when C is narrow, one-row products (sgemv) by columns; transposed A or B, strides,
    /// alpha/beta, and three workers so the last block is shorter. Against `NaiveKernels` (Double
    /// sums; k ≤ 1,100 uniform [-1, 1] inputs: Float32 sums within 2e-4), and padding untouched.
    func testSplitProductsMatchTheReference() {
        var rng = SplitMix64(seed: 4)
        let sentinel: Float = 777
        let threads = Threading.threads
        defer { Threading.setThreads(threads) }
        for workers in [2, 3] {
            Threading.setThreads(workers)
            // (m, k, n): columns split; rows split (n < 64); one row; uneven sizes.
            for (m, k, n) in [(64, 128, 160), (300, 100, 40), (1, 1_100, 1_000), (37, 333, 101)] {
                for transposeA in [false, true] where !(transposeA && m == 1) {
                    for transposeB in [false, true] {
                        for (alpha, beta) in [(Float(1), Float(0)), (0.5, 2)] {
                            let lda = (transposeA ? m : k) + 3, ldc = n + 5
                            let ldb = (transposeB ? k : n) + 2
                            let aRows = transposeA ? k : m, aCols = transposeA ? m : k
                            let bRows = transposeB ? n : k, bCols = transposeB ? k : n
                            var a = [Float](repeating: sentinel, count: aRows * lda)
                            var b = [Float](repeating: sentinel, count: bRows * ldb)
                            var c = [Float](repeating: sentinel, count: m * ldc)
                            for i in 0..<aRows { for p in 0..<aCols { a[i * lda + p] = rng.uniform(-1...1) } }
                            for i in 0..<bRows { for p in 0..<bCols { b[i * ldb + p] = rng.uniform(-1...1) } }
                            for i in 0..<m { for j in 0..<n { c[i * ldc + j] = beta == 0 ? .nan : rng.uniform(-1...1) } }
                            // The reference takes A as [m, k]: transpose a stored [k, m].
                            var plainA = [Float](repeating: 0, count: m * k)
                            for i in 0..<m { for p in 0..<k { plainA[i * k + p] = transposeA ? a[p * lda + i] : a[i * lda + p] } }
                            var ref = c
                            NaiveKernels.gemm(m: m, n: n, k: k, a: plainA, lda: k, b: b, ldb: ldb, transposeB: transposeB,
                                              c: &ref, ldc: ldc, alpha: alpha, beta: beta)
                            a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in c.withUnsafeMutableBufferPointer { cp in
                                gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: lda, transposeA: transposeA, b: bp.baseAddress!,
                                     ldb: ldb, transposeB: transposeB, c: cp.baseAddress!, ldc: ldc, alpha: alpha, beta: beta)
                            } } }
                            let name = "split gemm workers \(workers) m\(m) k\(k) n\(n) tA \(transposeA) tB \(transposeB) β\(beta)"
                            assertClose(c, ref, abs: 2e-4, name)
                            for i in 0..<m { for j in n..<ldc { XCTAssertEqual(c[i * ldc + j], sentinel, name) } }
                        }
                    }
                }
            }
        }
    }

    /// A product's bits do not depend on the worker count, nor on another caller's `withSerialBLAS`
    /// section running at the same time: the slices follow the shape only. Before, 2 workers cut
    /// `[20, 512]·[512, 128]` into two calls that OpenBLAS ran with another kernel than the one
    /// whole call of 1 worker (most of the 2,560 outputs differed in the last bits). Needs a
    /// machine with at least 2 processors to mean anything (CI has 2).
    func testProductBitsDoNotDependOnWorkers() {
        var rng = SplitMix64(seed: 9)
        let threads = Threading.threads
        defer { Threading.setThreads(threads) }
        for (m, k, n) in [(20, 512, 128), (128, 768, 768), (1, 768, 3_000), (300, 64, 60), (1_024, 64, 64)] {
            let a = rng.tensor([m, k]), b = rng.tensor([n, k])
            Threading.setThreads(1)
            let one = matmul(a, b, transposeB: true)
            for workers in [2, 3] {
                Threading.setThreads(workers)
                XCTAssertEqual(matmul(a, b, transposeB: true).storage, one.storage, "m\(m) k\(k) n\(n): \(workers) workers")
            }
            // Another caller inside a serial section meanwhile (a sequence sweep beside a forward).
            Threading.setThreads(2)
            let (started, release) = (DispatchSemaphore(value: 0), DispatchSemaphore(value: 0))
            let other = Thread { withSerialBLAS { started.signal(); release.wait() } }
            other.start()
            started.wait()
            let beside = matmul(a, b, transposeB: true)
            release.signal()
            XCTAssertEqual(beside.storage, one.storage, "m\(m) k\(k) n\(n): beside another caller's serial section")
        }
    }

    /// Inside `Threading.withThreadedBLAS` (decoding: products on OpenBLAS's threads) products are
    /// the reference's too, and so are products in a `withSerialBLAS` section nested in it, side
    /// by side on the workers; after it, products split again.
    func testThreadedBLASSectionsKeepProductsRight() {
        var rng = SplitMix64(seed: 5)
        let threads = Threading.threads
        defer { Threading.setThreads(threads) }
        Threading.setThreads(2)
        let (m, k, n) = (3, 700, 900)                     // one-row-like decode shapes, above the split size
        let a = rng.tensor([m, k]), b = rng.tensor([n, k])
        let reference = NaiveKernels.matmul(a, b, transposeB: true)
        Threading.withThreadedBLAS {
            assertClose(matmul(a, b, transposeB: true), reference, abs: 2e-4, "threaded BLAS")
            let rows = (0..<4).map { _ in rng.tensor([1, k]) }
            let out = UnsafeMutablePointer<Float>.allocate(capacity: rows.count * n)
            defer { out.deallocate() }
            let target = SendablePointer(out)
            withSerialBLAS {
                parallelFor(rows.count) { i in
                    let y = matmul(rows[i], b, transposeB: true)
                    y.withUnsafeBufferPointer { (target.base + i * n).update(from: $0.baseAddress!, count: n) }
                }
            }
            for (i, row) in rows.enumerated() {
                let y = Tensor(shape: [1, n], storage: Array(UnsafeBufferPointer(start: out + i * n, count: n)))
                assertClose(y, NaiveKernels.matmul(row, b, transposeB: true), abs: 2e-4, "serial inside threaded, row \(i)")
            }
        }
        assertClose(matmul(a, b, transposeB: true), reference, abs: 2e-4, "split again after the section")
    }
}
