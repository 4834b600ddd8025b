import Foundation
import GlassboxTensor
import XCTest

/// Activations vs their Double formulas (`NaiveKernels`) on a dense grid over [-10, 10] (20 001
/// points, so the SIMD tail is exercised), plus ±80 for saturation. Tolerances, absolute:
/// GELU (erf) 2e-6 — the brief's bound for matching torch; GELU (tanh), QuickGELU, SiLU
/// 1e-6 + 2e-7·|x| (a few ulp of the result); ReLU exact. The other ACT2FN functions: gelu_10 as
/// GELU (erf), laplace 1e-6 (erf's error), mish 1e-6 + 2e-7·|x|, sigmoid 1e-7, tanh 2e-7 (its
/// 2σ(2x) − 1 form), leaky ReLU 1e-7·|x| (0.01 rounded to Float), relu2 and relu6 exact.
final class ActivationsTests: XCTestCase {
    static let grid: Tensor = {
        let xs = (0...20_000).map { Float(-10 + Double($0) * 0.001) } + [-80, -40, -20, 20, 40, 80, 0, -0.0]
        return Tensor(shape: [xs.count], storage: xs)
    }()

    private func check(_ name: String, _ kernel: (inout Tensor) -> Void, _ formula: (Double) -> Double,
                       abs absTol: Float, rel: Float, input: Tensor = grid,
                       file: StaticString = #filePath, line: UInt = #line) {
        var y = input
        kernel(&y)
        let ref = NaiveKernels.map(input, formula)
        // Tolerance scales with |x| (not |y|): errors come from rounding x-sized intermediates.
        let tol = input.storage.map { absTol + rel * Swift.abs($0) }
        var worst: (excess: Float, index: Int)? = nil
        for i in 0..<y.count {
            let d = Swift.abs(y.storage[i] - ref.storage[i])
            if !(d <= tol[i]) , worst == nil || d - tol[i] > worst!.excess { worst = (d - tol[i], i) }
        }
        if let w = worst {
            XCTFail("\(name): x = \(input.storage[w.index]) gives \(y.storage[w.index]), Double formula \(ref.storage[w.index])",
                    file: file, line: line)
        }
    }

    func testGeluErf() { check("geluErf", geluErf, NaiveKernels.geluErf, abs: 2e-6, rel: 0) }
    func testGeluTanh() { check("geluTanh", geluTanh, NaiveKernels.geluTanh, abs: 1e-6, rel: 2e-7) }
    func testQuickGelu() { check("quickGelu", quickGelu, NaiveKernels.quickGelu, abs: 1e-6, rel: 2e-7) }
    func testSilu() { check("silu", silu, NaiveKernels.silu, abs: 1e-6, rel: 2e-7) }
    func testRelu() { check("relu", relu, NaiveKernels.relu, abs: 0, rel: 0) }
    func testGelu10() { check("gelu10", gelu10, NaiveKernels.gelu10, abs: 2e-6, rel: 0) }
    func testLaplace() { check("laplace", laplace, NaiveKernels.laplace, abs: 1e-6, rel: 0) }
    func testLeakyRelu() { check("leakyRelu", leakyRelu, NaiveKernels.leakyRelu, abs: 0, rel: 1e-7) }
    func testMish() { check("mish", mish, NaiveKernels.mish, abs: 1e-6, rel: 2e-7) }
    func testRelu2() { check("relu2", relu2, NaiveKernels.relu2, abs: 0, rel: 0) }
    func testRelu6() { check("relu6", relu6, NaiveKernels.relu6, abs: 0, rel: 0) }
    func testSigmoid() { check("sigmoid", sigmoidActivation, NaiveKernels.sigmoid, abs: 1e-7, rel: 0) }
    func testTanh() { check("tanh", tanhActivation, NaiveKernels.tanh, abs: 2e-7, rel: 0) }

    /// 70 000 random values: the multi-worker path must agree with the same formulas.
    func testParallelPathAndShapePreserved() {
        var rng = SplitMix64(seed: 30)
        let x = rng.tensor([7, 10_000], -10...10)
        check("geluErf parallel", geluErf, NaiveKernels.geluErf, abs: 2e-6, rel: 0, input: x)
        check("silu parallel", silu, NaiveKernels.silu, abs: 1e-6, rel: 2e-7, input: x)
        var y = x
        geluTanh(&y)
        XCTAssertEqual(y.shape, [7, 10_000])
    }

    func testNaNPropagates() {
        for kernel in [geluErf, geluTanh, quickGelu, silu, relu, gelu10, laplace, leakyRelu, mish, relu2, relu6,
                       sigmoidActivation, tanhActivation] as [(inout Tensor) -> Void] {
            var x = Tensor(shape: [3], storage: [.nan, 1, -1])
            kernel(&x)
            XCTAssertTrue(x.storage[0].isNaN)
            XCTAssertFalse(x.storage[1].isNaN || x.storage[2].isNaN)
        }
    }
}
