import Foundation
@testable import GlassboxAnalysis
import Glassbox
import GlassboxRuntime
import GlassboxTensor
import GlassboxTestSupport
import XCTest

/// Every `hidden_act` of transformers' ACT2FN but `prelu`, against transformers' own modules
/// (scripts/fixtures/generate_activations.py → Tests/Fixtures/activations/functions.safetensors:
/// φ(x) and autograd's φ'(x) in float64 on [-12, 12] by 0.05 plus 0, ±1e-6, ±1e-3, the kinks 6 and
/// 10, ±20.5, ±30, ±100). Checks the forward kernel (`Activation.apply`), the gradient rule
/// (φ') and the identity rule (φ(x)/x; its limit at 0; LXT's φ(x)/(x + 1e-10) for sigmoid and
/// laplace, which are not 0 at 0, checked as ρ·(x + 1e-10) against φ since ρ carries φ's error
/// divided by x). Tolerance 2e-6 + 2e-6·|reference| (a few float32 ulp above
/// the 1e-7 of tanh and 3.3e-7 of erf), for every supported `KernelVariant`.
final class ActivationTorchParityTests: XCTestCase {
    static let file = Fixtures.root.appendingPathComponent("Tests/Fixtures/activations/functions.safetensors")

    private func close(_ a: Float, _ b: Float) -> Bool { abs(a - b) <= 2e-6 + 2e-6 * abs(b) }

    /// The names in the fixture are ACT2FN's minus prelu, and Glassbox maps every one of them.
    func testEveryReferenceNameIsSupported() throws {
        let reference = try SafetensorsFile(url: Self.file)
        let names = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(reference.metadata["names"]).utf8))
        XCTAssertEqual(names.count, 19)
        XCTAssertEqual(Set(names), Set(Activation.huggingFaceNames))
        for name in names { XCTAssertNotNil(Activation(huggingFaceName: name), name) }
    }

    func testValuesDerivativesAndRatiosMatchTorch() throws {
        let reference = try SafetensorsFile(url: Self.file)
        let names = try JSONDecoder().decode([String].self, from: Data(try XCTUnwrap(reference.metadata["names"]).utf8))
        let x = try reference.tensor("x")
        for name in names {
            let activation = try XCTUnwrap(Activation(huggingFaceName: name), name)
            let value = try reference.tensor("\(name).value"), grad = try reference.tensor("\(name).grad")
            for variant in KernelVariant.supported {
            var y = x, derivative = Tensor(shape: x.shape, repeating: 1), ratio = derivative
            KernelVariant.using(variant) {
                activation.apply(&y)
                ActivationRules.apply(.model(activation), rule: .gradient, x: x, to: &derivative)
                ActivationRules.apply(.model(activation), rule: .identity, x: x, to: &ratio)
            }
            let lxt = activation == .sigmoid || activation == .laplace
            var failures = 0
            for i in 0..<x.count where failures < 3 {
                let v = x.storage[i], phi = value.storage[i]
                var expectedRatio = phi / v
                if lxt {        // ρ·(x + 1e-10) against φ: ρ carries φ's error divided by x + 1e-10
                    let product = Float(Double(ratio.storage[i]) * (Double(v) + 1e-10))
                    if !close(product, phi) { failures += 1; XCTFail("\(variant) \(name) φ/(x + 1e-10) at \(v): \(ratio.storage[i])") }
                }
                if v == 0 && !lxt {                        // the limit of φ(x)/x at 0
                    expectedRatio = ["gelu_10": 0.5, "leaky_relu": 0.01, "linear": 1, "relu": 0, "relu2": 0, "relu6": 0,
                                     "mish": Float(Foundation.tanh(Foundation.log(2.0))), "tanh": 1][name] ?? 0.5
                }
                let checks: [(String, Float, Float)] = [("φ", y.storage[i], phi), ("φ'", derivative.storage[i], grad.storage[i])]
                    + (lxt ? [] : [("φ/x", ratio.storage[i], expectedRatio)])
                for (what, got, want) in checks where !close(got, want) {
                    failures += 1
                    XCTFail("\(variant) \(name) \(what)(\(v)) = \(got), torch \(want)")
                }
            }
            }
        }
    }
}
