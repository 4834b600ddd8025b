import XCTest
@testable import GlassboxTensor

/// The deferred NaN/±Inf check: settled by the first product over the whole matrix, while it
/// converts (docs/methods.md §0.7).
final class WeightCheckTests: XCTestCase {
    /// `[rows, cols]` bf16 bits of 0.5 with NaN/±Inf at `bad`.
    private func matrix(rows: Int, cols: Int, bad: [Int]) -> WeightMatrix {
        var bits = [UInt16](repeating: 0x3F00, count: rows * cols)
        for (i, index) in bad.enumerated() { bits[index] = [0x7FC0, 0x7F80, 0xFF80][i % 3] }
        return bits.withUnsafeBytes { WeightMatrix(rows: rows, columns: cols, format: .bf16, copying: $0) }
    }

    func testProductSettlesTheCheckWithTheExactCount() {
        for transposeB in [false, true] {
            let check = WeightCheck(name: "w", file: "f")
            let w = matrix(rows: 40, cols: 24, bad: [3, 500, 959]).deferringCheck(check)
            XCTAssertTrue(check.isPending)
            let a = Tensor(shape: [2, transposeB ? 24 : 40], storage: [Float](repeating: 1, count: transposeB ? 48 : 80))
            var y = Tensor.zeros([2, transposeB ? 40 : 24])
            a.withUnsafeBufferPointer { ab in
                y.withUnsafeMutableBufferPointer { yb in
                    gemm(m: 2, n: transposeB ? 40 : 24, k: transposeB ? 24 : 40, a: ab.baseAddress!, lda: transposeB ? 24 : 40,
                         weight: w, transposeB: transposeB, c: yb.baseAddress!, ldc: transposeB ? 40 : 24,
                         panelElements: 64)   // many panels
                }
            }
            XCTAssertEqual(check.nonFiniteCount, 3, "transposeB \(transposeB)")
        }
    }

    func testAViewLeavesTheCheckPending() {
        let check = WeightCheck(name: "w", file: "f")
        let w = matrix(rows: 8, cols: 8, bad: [0]).deferringCheck(check)
        let view = w.rowBlock(4..<8)
        _ = matmul(Tensor(shape: [1, 8], storage: [Float](repeating: 1, count: 8)), view, transposeB: true)
        XCTAssertTrue(check.isPending, "a product over part of the matrix cannot settle it")
        XCTAssertTrue(view.check === check)
        _ = matmul(Tensor(shape: [1, 8], storage: [Float](repeating: 1, count: 8)), w)
        XCTAssertEqual(check.nonFiniteCount, 1)
    }
}
