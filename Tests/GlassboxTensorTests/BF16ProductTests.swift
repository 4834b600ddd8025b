import XCTest
@testable import GlassboxTensor

/// The bf16 product (`--precision bf16`, docs/methods.md §0.7): both kernel builds against a naive
/// reference, sums in Double of the same bf16-rounded operands.
final class BF16ProductTests: XCTestCase {
    private func bf16Bits(_ x: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: x.count)
        x.withUnsafeBufferPointer { s in out.withUnsafeMutableBufferPointer { roundToBF16(s.baseAddress!, $0.baseAddress!, count: x.count) } }
        return out
    }

    private func value(_ h: UInt16) -> Double { Double(Float(bitPattern: UInt32(h) << 16)) }

    func testRoundingIsNearestEven() {
        let bits = bf16Bits([1.0, Float(bitPattern: 0x3F80_8000), Float(bitPattern: 0x3F81_8000), Float(bitPattern: 0x3F80_8001),
                             .infinity, -.nan, 3.4e38])
        XCTAssertEqual(Array(bits[0..<4]), [0x3F80, 0x3F80, 0x3F82, 0x3F81])
        XCTAssertEqual(bits[4], 0x7F80)
        XCTAssertEqual(bits[5] & 0x7FC0, 0x7FC0, "NaN stays NaN")
        XCTAssertEqual(bits[6], 0x7F80, "above the largest bf16, rounds to inf")
    }

    func testBothKernelsMatchTheNaiveReference() throws {
        var rng = SplitMix64(seed: 7)
        for (m, n, k) in [(1, 1, 1), (3, 5, 31), (5, 7, 33), (4, 4, 64), (9, 13, 200), (2, 70, 517), (8, 12, 2), (33, 25, 131),
                          (70, 37, 1), (40, 29, 9_001), (12, 7, 0), (9, 30, 63), (16, 100, 77),
                          (64, 13, 77), (200, 7, 12_001)] {
            // From 8 rows: the packed kernel (from 64 rows its 64-row tile); 9,001 (and 12,001 at 200
            // rows): several k blocks, odd tail; k 0: C = beta·C; n 100: split across threads over one packed A.
            let a = bf16Bits((0..<(m * k)).map { _ in rng.uniform(-1...1) })
            let w = bf16Bits((0..<(n * k)).map { _ in rng.uniform(-1...1) })
            for variant in BF16KernelVariant.allCases where variant.isSupported {
                for beta: Float in [0, 1] {
                    var c = [Float](repeating: 0.25, count: m * n)
                    a.withUnsafeBufferPointer { ap in w.withUnsafeBufferPointer { wp in c.withUnsafeMutableBufferPointer { cp in
                        bf16Gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, w: wp.baseAddress!, ldw: k, c: cp.baseAddress!,
                                 ldc: n, beta: beta, variant: variant)
                    } } }
                    for i in 0..<m {
                        for j in 0..<n {
                            var exact = 0.0, scale = 0.0
                            for p in 0..<k {
                                exact += value(a[i * k + p]) * value(w[j * k + p])
                                scale += abs(value(a[i * k + p]) * value(w[j * k + p]))
                            }
                            exact += Double(beta) * 0.25
                            // Float32 sums of k terms: |error| ≤ k·2⁻²⁴·Σ|terms| (loose); 1e-6·k·scale here.
                            let tolerance = 1e-6 * Double(k) * scale + 1e-7
                            XCTAssertEqual(Double(c[i * n + j]), exact, accuracy: tolerance,
                                           "\(variant) m\(m) n\(n) k\(k) beta \(beta) [\(i), \(j)]")
                        }
                    }
                }
            }
        }
    }

    func testTheAVX512KernelIsAvailableWhereTheCPUHasIt() throws {
        let info = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8)) ?? ""
        guard info.contains("avx512_bf16") else { throw XCTSkip("no avx512_bf16 on this CPU") }
        XCTAssertEqual(BF16KernelVariant.best, .avx512)
    }

    func testWeightProductsInBF16FollowTheRoundedOperands() {
        // A bf16 [n, k] weight used in place and an f32 [k, n] weight packed: both must equal the
        // product of the rounded operands.
        var rng = SplitMix64(seed: 11)
        let (m, n, k) = (3, 20, 45)
        let x = (0..<(m * k)).map { _ in rng.uniform(-1...1) }
        let wf = (0..<(n * k)).map { _ in rng.uniform(-1...1) }     // [n, k]
        let wb = bf16Bits(wf)
        let xb = bf16Bits(x)
        let inPlace = wb.withUnsafeBytes { WeightMatrix(rows: n, columns: k, format: .bf16, copying: $0) }
        var kn = [Float](repeating: 0, count: k * n)                           // [k, n] f32
        for j in 0..<n { for p in 0..<k { kn[p * n + j] = wf[j * k + p] } }
        let packed = WeightMatrix(Tensor(shape: [k, n], storage: kn))
        let input = Tensor(shape: [m, k], storage: x)
        let (y1, y2, exactY) = withProductPrecision(.bf16) {
            (matmul(input, inPlace, transposeB: true), matmul(input, packed), ProductPrecision.current)
        }
        XCTAssertEqual(exactY, .bf16)
        XCTAssertEqual(ProductPrecision.current, .exact, "the precision is scoped")
        for i in 0..<m {
            for j in 0..<n {
                var exact = 0.0
                for p in 0..<k { exact += value(xb[i * k + p]) * value(wb[j * k + p]) }
                XCTAssertEqual(Double(y1[i, j]), exact, accuracy: 1e-4)
                XCTAssertEqual(Double(y2[i, j]), exact, accuracy: 1e-4)
            }
        }
        // And they differ from the exact product (the test can fail if bf16 were ignored).
        let exactProduct = matmul(input, packed)
        XCTAssertGreaterThan((0..<m).map { i in abs(exactProduct[i, 0] - y2[i, 0]) }.max()!, 1e-6)
    }
}

/// Worker threads of `parallelFor` see the caller's product precision.
final class ProductPrecisionThreadTests: XCTestCase {
    func testParallelWorkersInheritThePrecision() {
        let saved = Threading.threads
        Threading.setThreads(2)
        defer { Threading.setThreads(saved) }
        let seen = UnsafeMutablePointer<Bool>.allocate(capacity: 8)
        defer { seen.deallocate() }
        let out = SendablePointer(seen)
        withProductPrecision(.bf16) {
            parallelFor(8) { i in out.base[i] = ProductPrecision.current == .bf16 }
        }
        XCTAssertEqual((0..<8).filter { seen[$0] }.count, 8)
    }
}
