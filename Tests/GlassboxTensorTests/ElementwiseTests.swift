import GlassboxTensor
import XCTest

/// Elementwise helpers vs `NaiveKernels` (same single Float operation per element, so exact).
final class ElementwiseTests: XCTestCase {
    func testAddScaleAndRow() {
        var rng = SplitMix64(seed: 50)
        let a = rng.tensor([5, 19]), b = rng.tensor([5, 19]), row = rng.tensor([19])
        var x = a
        addInPlace(&x, b)
        XCTAssertEqual(x, NaiveKernels.added(a, b))
        XCTAssertEqual(added(a, b), NaiveKernels.added(a, b))
        var r = a
        addRowInPlace(&r, row)
        XCTAssertEqual(r, NaiveKernels.addRow(a, row))
        var s = a
        scaleInPlace(&s, -0.37)
        XCTAssertEqual(s, NaiveKernels.scaled(a, -0.37))
        let empty = Tensor.zeros([0, 4])
        var e = empty
        addRowInPlace(&e, Tensor.zeros([4]))
        XCTAssertEqual(e, empty)
    }

    func testFiniteSumSkipsNonFinite() {
        let t = Tensor(shape: [6], storage: [1.5, .nan, 2, .infinity, -.infinity, -0.25])
        XCTAssertEqual(finiteSum(t), 3.25)
        var rng = SplitMix64(seed: 51)
        let r = rng.tensor([100])
        XCTAssertEqual(finiteSum(r), NaiveKernels.finiteSum(r), accuracy: 1e-12)
    }

    func testMaxAbsDifference() {
        let a = Tensor(shape: [2, 3], storage: [1, 2, 3, 4, 5, 6])
        var b = a
        XCTAssertEqual(maxAbsDifference(a, b).value, 0)
        b[1, 1] = 5.5
        b[0, 0] = 0.9
        let d = maxAbsDifference(a, b)
        XCTAssertEqual(d.value, 0.5)
        XCTAssertEqual(d.index, 4)
        // NaN vs number → +inf; NaN vs NaN and equal infinities → 0; opposite infinities → +inf.
        let n1 = Tensor(shape: [4], storage: [.nan, .nan, .infinity, 1])
        let n2 = Tensor(shape: [4], storage: [.nan, 1, .infinity, 1])
        XCTAssertEqual(maxAbsDifference(n1, n2).value, .infinity)
        XCTAssertEqual(maxAbsDifference(n1, n2).index, 1)
        let i1 = Tensor(shape: [3], storage: [.infinity, -.infinity, 2])
        let i2 = Tensor(shape: [3], storage: [.infinity, -.infinity, 2.25])
        XCTAssertEqual(maxAbsDifference(i1, i2).value, 0.25)
        XCTAssertEqual(maxAbsDifference(i1, i2).index, 2)
        let i3 = Tensor(shape: [3], storage: [-.infinity, -.infinity, 2])
        XCTAssertEqual(maxAbsDifference(i1, i3).value, .infinity)
        XCTAssertEqual(maxAbsDifference(Tensor.zeros([0]), Tensor.zeros([0])).index, -1)
    }
}
