import Foundation
import GlassboxTensor
import XCTest

/// The C kernels (`CGlassboxKernels`) in every variant this CPU runs — the dispatched fast one
/// (AVX2 + FMA + F16C where available) and the portable fallback, forced with
/// `KernelVariant.using` — against the naive references (`NaiveKernels`, Foundation in Double),
/// with the tolerances of the kernel tests (VectorMathTests, ActivationsTests, SoftmaxTests,
/// NormsTests). The half-precision conversions are tested in GlassboxModelIOTests.
final class KernelVariantTests: XCTestCase {
    // MARK: Dispatch

    func testBestVariantMatchesTheCPU() {
        XCTAssertTrue(KernelVariant.portable.isSupported)
        XCTAssertTrue(KernelVariant.best.isSupported)
        XCTAssertEqual(KernelVariant.current, KernelVariant.best, "no override outside `using`")
        #if arch(x86_64)
        let flags = (try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8))?
            .split(separator: "\n").first { $0.hasPrefix("flags") }?
            .split(separator: " ").map(String.init) ?? []
        if !flags.isEmpty {
            let expected = ["avx2", "fma", "f16c"].allSatisfy(flags.contains)
            XCTAssertEqual(KernelVariant.avx2.isSupported, expected, "cpuinfo flags avx2/fma/f16c")
            XCTAssertEqual(KernelVariant.best, expected ? .avx2 : .portable)
        }
        #else
        XCTAssertFalse(KernelVariant.avx2.isSupported)
        XCTAssertEqual(KernelVariant.best, .portable)
        #endif
    }

    func testUsingIsScopedAndNests() {
        KernelVariant.using(.portable) {
            XCTAssertEqual(KernelVariant.current, .portable)
            KernelVariant.using(KernelVariant.best) {
                XCTAssertEqual(KernelVariant.current, KernelVariant.best)
            }
            XCTAssertEqual(KernelVariant.current, .portable)
        }
        XCTAssertEqual(KernelVariant.current, KernelVariant.best)
    }

    /// The override really switches code: on x86-64 the portable build rounds its multiply-adds
    /// twice, so some of 20 001 tanh-GELU values differ from the fused build's (by a few ulp).
    func testVariantsRunDifferentCode() throws {
        guard KernelVariant.avx2.isSupported else { throw XCTSkip("no AVX2/FMA/F16C on this CPU") }
        var fast = ActivationsTests.grid, portable = ActivationsTests.grid
        KernelVariant.using(.avx2) { geluTanh(&fast) }
        KernelVariant.using(.portable) { geluTanh(&portable) }
        XCTAssertNotEqual(fast.storage, portable.storage)
        assertClose(portable, fast, abs: 1e-6, rel: 1e-6, "portable vs avx2 geluTanh")
    }

    // MARK: Elementary functions

    func testVectorMathMatchesFoundation() {
        let expGrid = (0...17_560).map { Float(-87.3 + Double($0) * 0.01) }
        let erfGrid = (0...12_000).map { Float(-6 + Double($0) * 0.001) }
        let grid = (0...4_000).map { Float(-20 + Double($0) * 0.01) }
        for variant in KernelVariant.supported {
            KernelVariant.using(variant) {
                assertClose(lanes(expGrid, VectorMath.exp), expGrid.map { Float(Foundation.exp(Double($0))) },
                            abs: 0, rel: 3e-7, "\(variant) exp")
                let special = lanes([-.infinity, -1000, -88, 89, 1000, .infinity, 0, .nan], VectorMath.exp)
                XCTAssertEqual(Array(special[0..<6]), [0, 0, 0, .infinity, .infinity, .infinity], "\(variant) exp limits")
                XCTAssertEqual(special[6], 1)
                XCTAssertTrue(special[7].isNaN)
                assertClose(lanes(erfGrid, VectorMath.erf), erfGrid.map { Float(Foundation.erf(Double($0))) },
                            abs: 4e-7, "\(variant) erf")
                XCTAssertEqual(lanes([-100, 100, -.infinity, .infinity], VectorMath.erf), [-1, 1, -1, 1])
                assertClose(lanes(grid, VectorMath.sigmoid), grid.map { Float(1 / (1 + Foundation.exp(-Double($0)))) },
                            abs: 2e-7, "\(variant) sigmoid")
                assertClose(lanes(grid, VectorMath.tanh), grid.map { Float(Foundation.tanh(Double($0))) },
                            abs: 2e-7, "\(variant) tanh")
            }
        }
    }

    // MARK: Activations and their factors

    func testActivationsMatchNaive() {
        var rng = SplitMix64(seed: 40)
        let wide = rng.tensor([7, 10_000], -10...10)          // several parallel blocks
        let cases: [(String, (inout Tensor) -> Void, (Double) -> Double, Float, Float)] = [
            ("geluErf", geluErf, NaiveKernels.geluErf, 2e-6, 0),
            ("geluTanh", geluTanh, NaiveKernels.geluTanh, 1e-6, 2e-7),
            ("quickGelu", quickGelu, NaiveKernels.quickGelu, 1e-6, 2e-7),
            ("silu", silu, NaiveKernels.silu, 1e-6, 2e-7),
            ("relu", relu, NaiveKernels.relu, 0, 0),
            ("gelu10", gelu10, NaiveKernels.gelu10, 2e-6, 0),
            ("laplace", laplace, NaiveKernels.laplace, 1e-6, 0),
            ("mish", mish, NaiveKernels.mish, 1e-6, 2e-7),
            ("relu6", relu6, NaiveKernels.relu6, 0, 0),
            ("sigmoid", sigmoidActivation, NaiveKernels.sigmoid, 1e-7, 0),
            ("tanh", tanhActivation, NaiveKernels.tanh, 2e-7, 0),
        ]
        for variant in KernelVariant.supported {
            for (name, kernel, formula, absTol, rel) in cases {
                for input in [ActivationsTests.grid, wide] {
                    var y = input
                    KernelVariant.using(variant) { kernel(&y) }
                    assertWithin(y, NaiveKernels.map(input, formula), of: input, abs: absTol, rel: rel, "\(variant) \(name)")
                }
                var x = Tensor(shape: [3], storage: [.nan, 1, -1])
                KernelVariant.using(variant) { kernel(&x) }
                XCTAssertTrue(x.storage[0].isNaN, "\(variant) \(name) NaN")
                XCTAssertFalse(x.storage[1].isNaN || x.storage[2].isNaN)
            }
        }
    }

    /// Ratios φ(x)/x against the naive activation divided by x (the closed-form limit ½ at 0 for
    /// the GELUs and SiLU); derivatives against a central difference of the naive activation in
    /// Double (h = 1e-4: truncation error ~1e-9). Tolerance 1e-6 + 2e-7·|x|.
    func testActivationFactorsMatchNaive() {
        let xs = (0...8_000).map { Float(-10 + Double($0) * 0.0025) } + [0, -0.0, 40, -40]
        let x = Tensor(shape: [xs.count], storage: xs)
        let activations: [(ActivationFactor, ActivationFactor, (Double) -> Double)] = [
            (.geluErfRatio, .geluErfDerivative, NaiveKernels.geluErf),
            (.geluTanhRatio, .geluTanhDerivative, NaiveKernels.geluTanh),
            (.quickGeluRatio, .quickGeluDerivative, NaiveKernels.quickGelu),
            (.siluRatio, .siluDerivative, NaiveKernels.silu),
            (.step, .step, NaiveKernels.relu),
        ]
        let h = 1e-4
        for variant in KernelVariant.supported {
            for (ratio, derivative, phi) in activations {
                let ratioRef = xs.map { v -> Float in
                    if ratio == .step { return v > 0 ? 1 : 0 }
                    return v == 0 ? 0.5 : Float(phi(Double(v)) / Double(v))
                }
                let derivativeRef = xs.map { v -> Float in
                    if derivative == .step { return v > 0 ? 1 : 0 }
                    let d = Double(v)
                    return Float((phi(d + h) - phi(d - h)) / (2 * h))
                }
                for (factor, reference) in [(ratio, ratioRef), (derivative, derivativeRef)] {
                    // g = 1 gives the factor itself; g = 3 checks that it multiplies.
                    for g0: Float in [1, 3] {
                        var g = Tensor(shape: x.shape, repeating: g0)
                        KernelVariant.using(variant) { multiply(&g, byActivationFactor: factor, of: x) }
                        let expected = Tensor(shape: x.shape, storage: reference.map { g0 * $0 })
                        let tolerance: (Float, Float) = factor == .step ? (0, 0) : (g0 * 1e-6, g0 * 2e-7)
                        assertWithin(g, expected, of: x, abs: tolerance.0, rel: tolerance.1, "\(variant) \(factor) g=\(g0)")
                    }
                }
            }
        }
    }

    // MARK: Softmax and norms

    func testSoftmaxMatchesNaive() {
        var rng = SplitMix64(seed: 41)
        for variant in KernelVariant.supported {
            for shape in [[4, 1], [3, 16], [2, 3, 17], [5, 40], [2, 300], [300, 256]] {
                for range: ClosedRange<Float> in [-3...3, -80...80] {
                    var x = rng.tensor(shape, range)
                    if shape == [5, 40] {
                        for j in [0, 3, 17, 39] { x[0, j] = -.infinity }        // some −inf
                        for j in 0..<40 { x[1, j] = -.infinity }               // a whole row
                        for j in 0..<39 { x[2, j] = -.infinity }               // only the tail survives
                        x[3, 5] = .nan                                          // NaN spreads over its row
                    }
                    var ref = x
                    KernelVariant.using(variant) { softmaxLastDim(&x) }
                    NaiveKernels.softmaxLastDim(&ref)
                    if shape == [5, 40] {
                        XCTAssertEqual(x.row(1).storage, [Float](repeating: 0, count: 40), "\(variant) all −inf row")
                        XCTAssertEqual(x[2, 39], 1)
                        XCTAssertTrue(x.row(3).storage.allSatisfy(\.isNaN), "\(variant) NaN row")
                        for j in 0..<40 { x[3, j] = 0; ref[3, j] = 0 }
                    }
                    assertClose(x, ref, abs: 1e-6, "\(variant) softmax \(shape) range \(range)")
                }
            }
        }
    }

    func testNormsMatchNaive() {
        var rng = SplitMix64(seed: 42)
        for variant in KernelVariant.supported {
            // d below one vector, with a tail, over one 256-float block, and many rows (parallel).
            for shape in [[1, 1], [3, 16], [4, 37], [2, 300], [2, 3, 20], [70, 1000]] {
                let x = rng.tensor(shape, -2...3)
                for centered in [true, false] {
                    let (y, s) = KernelVariant.using(variant) {
                        centered ? layerNormalize(x, eps: 1e-5) : rmsNormalize(x, eps: 1e-5)
                    }
                    let (yRef, sRef) = centered ? NaiveKernels.layerNormalize(x, eps: 1e-5) : NaiveKernels.rmsNormalize(x, eps: 1e-5)
                    let name = "\(variant) \(centered ? "LN" : "RMS") \(shape)"
                    assertClose(s, sRef, abs: 0, rel: 1e-6, "\(name) scale")
                    assertClose(y, yRef, abs: 2e-6, "\(name) normalized")
                }
            }
            let offset = rng.tensor([3, 300], 999...1001)
            let (y, s) = KernelVariant.using(variant) { layerNormalize(offset, eps: 1e-12) }
            let (yRef, sRef) = NaiveKernels.layerNormalize(offset, eps: 1e-12)
            assertClose(s, sRef, abs: 0, rel: 1e-6, "\(variant) LN scale, offset 1000")
            assertClose(y, yRef, abs: 1e-4, "\(variant) LN normalized, offset 1000")
        }
    }

    // MARK: Helpers

    /// `f` over `xs` in 16-lane vectors (zero-padded).
    private func lanes(_ xs: [Float], _ f: (SIMD16<Float>) -> SIMD16<Float>) -> [Float] {
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

    /// |y − ref| ≤ abs + rel·|x| elementwise (errors of activations scale with the input).
    private func assertWithin(_ y: Tensor, _ ref: Tensor, of x: Tensor, abs absTol: Float, rel: Float, _ what: String,
                              file: StaticString = #filePath, line: UInt = #line) {
        var worst: (excess: Float, index: Int)? = nil
        for i in 0..<y.count {
            let d = Swift.abs(y.storage[i] - ref.storage[i]), tol = absTol + rel * Swift.abs(x.storage[i])
            if !(d <= tol), worst == nil || d - tol > worst!.excess { worst = (d - tol, i) }
        }
        if let w = worst {
            XCTFail("\(what): x = \(x.storage[w.index]) gives \(y.storage[w.index]), reference \(ref.storage[w.index])",
                    file: file, line: line)
        }
    }
}
