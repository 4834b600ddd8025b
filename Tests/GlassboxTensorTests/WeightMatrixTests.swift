import GlassboxTensor
import XCTest

/// `WeightMatrix` in each stored format against `NaiveKernels` (field-arithmetic decoding, Double
/// accumulation) and against today's f32 `matmul` on a converted copy, which the panel products
/// must equal bit for bit (each dot product still runs over all of k inside one sgemm call).
final class WeightMatrixTests: XCTestCase {
    /// Products: k ≤ 70, values in [-1, 1] → within 2e-5 of the Double reference (as MatmulTests).
    let tolerance: Float = 2e-5

    /// `rows × cols` uniform values rounded to `format`, as a raw matrix holding their bits.
    func matrix(_ rows: Int, _ cols: Int, _ format: WeightFormat, _ rng: inout SplitMix64) -> WeightMatrix {
        let values = rng.tensor([rows, cols]).storage
        var bytes = [UInt8]()
        for v in values {
            switch format {
            case .f32: withUnsafeBytes(of: v.bitPattern.littleEndian) { bytes += $0 }
            case .bf16: withUnsafeBytes(of: bf16(v).littleEndian) { bytes += $0 }
            case .f16: withUnsafeBytes(of: Float16(v).bitPattern.littleEndian) { bytes += $0 }
            }
        }
        // One byte of padding in front: the storage is deliberately misaligned.
        let padded = [0] + bytes
        let owner = Box(padded)
        return owner.bytes.withUnsafeBytes { raw in
            WeightMatrix(rows: rows, columns: cols, format: format, base: raw.baseAddress! + 1, owner: owner)
        }
    }

    /// Round to nearest even bfloat16 bits.
    func bf16(_ v: Float) -> UInt16 {
        let bits = v.bitPattern
        return UInt16(truncatingIfNeeded: (bits &+ 0x7FFF &+ ((bits >> 16) & 1)) >> 16)
    }

    func testProductsMatchNaiveAndF32CopyInEveryFormat() {
        var rng = SplitMix64(seed: 11)
        for format in WeightFormat.allCases {
            for (m, k, n) in [(1, 5, 7), (1, 64, 33), (3, 1, 4), (17, 33, 9), (32, 70, 48)] {
                for transposeB in [false, true] {
                    for withBias in [false, true] {
                        let w = matrix(transposeB ? n : k, transposeB ? k : n, format, &rng)
                        let a = rng.tensor([m, k]), bias = withBias ? rng.tensor([n]) : nil
                        let what = "\(format) m\(m) k\(k) n\(n) transposeB \(transposeB) bias \(withBias)"
                        let y = matmul(a, w, transposeB: transposeB, bias: bias)
                        assertClose(y, NaiveKernels.matmul(a, w, transposeB: transposeB, bias: bias), abs: tolerance, what)
                        XCTAssertEqual(y, matmul(a, w.float32(), transposeB: transposeB, bias: bias), "bitwise vs f32 copy: " + what)
                    }
                }
            }
        }
    }

    /// Splitting the output columns into panels keeps every dot product inside one sgemm call, but
    /// OpenBLAS picks its kernel by shape (small products take a direct kernel that orders the sum
    /// differently), so panels narrower than the matrix are not always bitwise: they stay within
    /// 1e-6 of `Σ_p |a_p·w_p|` (the dot product's scale; measured worst 1.9e-7 here, 28 of 48 cases bitwise).
    func testManyPanelsStayWithinRoundingOfOneProduct() {
        var rng = SplitMix64(seed: 12)
        var worst = 0.0, bitwise = 0, cases = 0
        for format in WeightFormat.allCases where format != .f32 {
            for transposeB in [false, true] {
                for m in [1, 6, 40] {
                    let (k, n) = (96, 200)
                    let w = matrix(transposeB ? n : k, transposeB ? k : n, format, &rng)
                    let a = rng.tensor([m, k]), dense = w.float32()
                    let whole = matmul(a, dense, transposeB: transposeB)
                    for panel in [k, 16 * k, 50 * k, 200 * k] {     // 1, 16, 48 and all 200 columns per panel
                        var y = [Float](repeating: .nan, count: m * n)
                        a.withUnsafeBufferPointer { ap in
                            gemm(m: m, n: n, k: k, a: ap.baseAddress!, lda: k, weight: w, transposeB: transposeB,
                                 c: &y, ldc: n, panelElements: panel)
                        }
                        cases += 1
                        if y == whole.storage { bitwise += 1 }
                        if panel == 200 * k { XCTAssertEqual(y, whole.storage, "one panel is the f32 product itself") }
                        let (av, wv) = (a.storage, dense.storage)
                        for i in 0..<m {
                            for j in 0..<n {
                                var scale = 0.0
                                for p in 0..<k { scale += Double(abs(av[i * k + p] * wv[transposeB ? j * k + p : p * n + j])) }
                                let error = Double(abs(y[i * n + j] - whole.storage[i * n + j])) / scale
                                worst = max(worst, error)
                            }
                        }
                    }
                }
            }
        }
        print("panels: \(bitwise)/\(cases) cases bitwise, worst |diff| / Σ|a·w| = \(worst)")
        XCTAssertLessThan(worst, 1e-6)
    }

    func testViewsRowsElementsAndLookups() {
        var rng = SplitMix64(seed: 13)
        for format in WeightFormat.allCases {
            let w = matrix(9, 12, format, &rng)
            let dense = w.float32()
            for r in 0..<9 { for c in 0..<12 { XCTAssertEqual(dense[r, c], NaiveKernels.element(w, r, c), "\(format) [\(r), \(c)]") } }
            XCTAssertEqual(w[4, 7], dense[4, 7])
            XCTAssertEqual(w.row(3), dense.row(3))
            XCTAssertEqual(w.rows(2..<5), dense.rows(2..<5))
            XCTAssertEqual(w.gatherRows([8, 0, 8]).storage, dense.row(8).storage + dense.row(0).storage + dense.row(8).storage)
            let view = w.columnBlock(3..<7).rowBlock(1..<8)                     // [7, 4]
            XCTAssertEqual(view.float32(), dense.columns(3..<7).rows(1..<8))
            let a = rng.tensor([5, 4])
            assertClose(matmul(a, view, transposeB: true), NaiveKernels.matmul(a, view, transposeB: true), abs: tolerance, "\(format) view")
            XCTAssertEqual(matmul(a, view, transposeB: true), matmul(a, view.float32(), transposeB: true))
            let stacked = w.stackingRows([6..<8, 0..<2])
            XCTAssertEqual(stacked.format, format)
            XCTAssertEqual(stacked.float32(), Tensor(shape: [4, 12], storage: dense.rows(6..<8).storage + dense.rows(0..<2).storage))
            XCTAssertTrue(w.rowBlock(0..<9).sharesStorage(with: w))
            XCTAssertFalse(stacked.sharesStorage(with: w))
        }
    }

    func testHalfDecodingAgreesWithFieldArithmeticOnAllPatterns() {
        for format in [WeightFormat.f16, .bf16] {
            var bits = [UInt16](0...UInt16.max)
            let owner = Box(bits.withUnsafeBytes { Array($0) })
            let w = owner.bytes.withUnsafeBytes { WeightMatrix(rows: 256, columns: 256, format: format, base: $0.baseAddress!, owner: owner) }
            let fast = w.float32()
            var mismatches = 0, nonFinite = 0
            for i in 0..<65_536 {
                let expected = NaiveKernels.element(w, i / 256, i % 256), actual = fast.storage[i]
                if expected.isNaN { nonFinite += 1; if !actual.isNaN { mismatches += 1 }; continue }
                if expected.isInfinite { nonFinite += 1 }
                if actual.bitPattern != expected.bitPattern { mismatches += 1 }
            }
            XCTAssertEqual(mismatches, 0, "\(format)")
            XCTAssertEqual(w.nonFiniteCount(), nonFinite, "\(format)")
            XCTAssertEqual(nonFinite, format == .f16 ? 2 * 1024 : 2 * 128)
            bits.removeAll()
        }
    }

    func testTensorBackedMatrixIsTheTensor() {
        var rng = SplitMix64(seed: 14)
        let t = rng.tensor([6, 5]), w = WeightMatrix(t), a = rng.tensor([3, 5])
        XCTAssertEqual(w.format, .f32)
        XCTAssertEqual(w.float32(), t)
        XCTAssertEqual(matmul(a, w, transposeB: true), matmul(a, t, transposeB: true))
        // A strided f32 view is read in place (ldb = 5) and gives the bits of a contiguous copy.
        let a2 = rng.tensor([3, 6])
        XCTAssertEqual(matmul(a2, w.columnBlock(1..<4)), matmul(a2, t.columns(1..<4)))
    }
}

/// Bytes kept alive for a raw matrix.
private final class Box: @unchecked Sendable {
    let bytes: [UInt8]
    init(_ bytes: [UInt8]) { self.bytes = bytes }
}
