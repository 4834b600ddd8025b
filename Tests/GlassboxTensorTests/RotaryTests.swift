import Foundation
import GlassboxTensor
import XCTest

final class RotaryTests: XCTestCase {
    /// torch's float32 steps (RopeFrequencyTests holds the bit-exact reference): the exponent
    /// rounded to float32 (≤ 2⁻²⁴ relative, amplified by ln base · exponent ≤ 13.2 here), `powf`
    /// (< 1 ulp) and the reciprocal (0.5 ulp) put each value within 16 · 2⁻²⁴ < 1e-6 of the exact one.
    func testInverseFrequencies() {
        for (dim, base) in [(64, 10_000.0), (6, 10_000.0), (128, 500_000.0)] {
            let f = ropeInverseFrequencies(rotaryDim: dim, base: base)
            XCTAssertEqual(f.count, dim / 2)
            XCTAssertEqual(f[0], 1)
            assertClose(f, NaiveKernels.ropeInverseFrequencies(rotaryDim: dim, base: base).map(Float.init),
                        abs: 0, rel: 1e-6, "invFreq dim \(dim) base \(base)")
        }
    }

    /// Tables vs the true cos/sin of the exact product pos·invFreq, to within the float32 rounding
    /// of the angle (HF rounds it too): |Δ| ≤ ulp(angle) + 1e-7. Duplicated halves, scaling applied.
    func testTables() {
        let inv = ropeInverseFrequencies(rotaryDim: 8, base: 10_000)
        let positions = [0, 1, 7, 100, 4096]
        let (c, s) = ropeTables(positions: positions, inverseFrequencies: inv)
        XCTAssertEqual(c.shape, [5, 8])
        for (t, pos) in positions.enumerated() {
            for i in 0..<4 {
                let exact = Double(pos) * Double(inv[i])
                let tol = Float(exact).ulp + 1e-7
                XCTAssertEqual(c[t, i], Float(Foundation.cos(exact)), accuracy: tol)
                XCTAssertEqual(s[t, i], Float(Foundation.sin(exact)), accuracy: tol)
                XCTAssertEqual(c[t, i], c[t, i + 4])
                XCTAssertEqual(s[t, i], s[t, i + 4])
            }
        }
        let ref = NaiveKernels.ropeTables(positions: positions, inverseFrequencies: inv)
        XCTAssertEqual(c, ref.cos)
        XCTAssertEqual(s, ref.sin)
        let (c2, s2) = ropeTables(positions: positions, inverseFrequencies: inv, attentionScaling: 0.5)
        XCTAssertEqual(c2.storage, c.storage.map { $0 * 0.5 })
        XCTAssertEqual(s2.storage, s.storage.map { $0 * 0.5 })
    }

    /// Full and partial rotary vs the naive rotate-half formula (same float ops, so exact);
    /// dims ≥ rotaryDim untouched; position 0 is the identity; pair norms preserved (1e-5 rel).
    func testApplyRotary() {
        var rng = SplitMix64(seed: 40)
        for (headDim, rotaryDim) in [(8, 8), (10, 6), (64, 16), (20, 20)] {
            let n = 4, heads = 3
            let inv = ropeInverseFrequencies(rotaryDim: rotaryDim, base: 10_000)
            let (c, s) = ropeTables(positions: [0, 1, 5, 63], inverseFrequencies: inv)
            let x = rng.tensor([n, heads, headDim])
            var y = x
            applyRotary(&y, cos: c, sin: s)
            XCTAssertEqual(y, NaiveKernels.applyRotary(x, cos: c, sin: s), "headDim \(headDim) rotaryDim \(rotaryDim)")
            let half = rotaryDim / 2
            for h in 0..<heads {
                for j in 0..<headDim { XCTAssertEqual(y[0, h, j], x[0, h, j], "position 0 is identity") }
                for t in 0..<n {
                    for j in rotaryDim..<headDim { XCTAssertEqual(y[t, h, j], x[t, h, j], "pass-through dim") }
                    for i in 0..<half {
                        let before = x[t, h, i] * x[t, h, i] + x[t, h, i + half] * x[t, h, i + half]
                        let after = y[t, h, i] * y[t, h, i] + y[t, h, i + half] * y[t, h, i + half]
                        XCTAssertEqual(after, before, accuracy: 1e-5 * max(before, 1e-3))
                    }
                }
            }
        }
    }
}
