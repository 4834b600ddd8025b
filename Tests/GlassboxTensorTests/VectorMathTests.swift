import Foundation
import GlassboxTensor
import XCTest

/// The SIMD16 building blocks vs Foundation's Double functions.
final class VectorMathTests: XCTestCase {
    private func apply(_ xs: [Float], _ f: (SIMD16<Float>) -> SIMD16<Float>) -> [Float] {
        var out = [Float]()
        var i = 0
        while i < xs.count {
            var v = SIMD16<Float>(repeating: 0)
            for l in 0..<min(16, xs.count - i) { v[l] = xs[i + l] }
            let r = f(v)
            for l in 0..<min(16, xs.count - i) { out.append(r[l]) }
            i += 16
        }
        return out
    }

    /// exp: relative error ≤ 3e-7 (≈ 2.5 ulp) on [-87.3, 88.3]; 0 below, +inf above, exact specials.
    func testExp() {
        let xs = (0...17_560).map { Float(-87.3 + Double($0) * 0.01) }
        let y = apply(xs, VectorMath.exp)
        assertClose(y, xs.map { Float(Foundation.exp(Double($0))) }, abs: 0, rel: 3e-7, "exp")
        let special: [Float] = [-.infinity, -1000, -88, 89, 1000, .infinity, 0, .nan]
        let ys = apply(special, VectorMath.exp)
        XCTAssertEqual(Array(ys[0..<3]), [0, 0, 0])
        XCTAssertEqual(Array(ys[3..<6]), [.infinity, .infinity, .infinity])
        XCTAssertEqual(ys[6], 1)
        XCTAssertTrue(ys[7].isNaN)
    }

    /// erf: absolute error ≤ 4e-7 on [-6, 6] (measured 3.3e-7 near ±3.94 on a 2M-point grid); ±1 beyond; odd.
    func testErf() {
        let xs = (0...12_000).map { Float(-6 + Double($0) * 0.001) }
        let y = apply(xs, VectorMath.erf)
        assertClose(y, xs.map { Float(Foundation.erf(Double($0))) }, abs: 4e-7, "erf")
        let big = apply([-100, 100, -.infinity, .infinity], VectorMath.erf)
        XCTAssertEqual(big, [-1, 1, -1, 1])
        XCTAssertEqual(apply([0.5], VectorMath.erf)[0], -apply([-0.5], VectorMath.erf)[0])
    }

    /// sigmoid / tanh: absolute error ≤ 2e-7 on [-20, 20].
    func testSigmoidAndTanh() {
        let xs = (0...4_000).map { Float(-20 + Double($0) * 0.01) }
        assertClose(apply(xs, VectorMath.sigmoid), xs.map { Float(1 / (1 + Foundation.exp(-Double($0)))) },
                    abs: 2e-7, "sigmoid")
        assertClose(apply(xs, VectorMath.tanh), xs.map { Float(Foundation.tanh(Double($0))) }, abs: 2e-7, "tanh")
    }
}
