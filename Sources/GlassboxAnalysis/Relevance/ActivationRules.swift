import Foundation
import GlassboxRuntime
import GlassboxTensor

/// An elementwise non-linearity on the relevance path: the model's MLP activation, or the tanh of
/// BERT's pooler.
enum PointwiseFunction: Sendable, Equatable {
    case model(Activation)
    case tanh
}

/// Local derivatives of activations under the `.identity` and `.gradient` rules.
///
/// Identity rule (AttnLRP Eq. 9): the derivative is replaced by `ρ(x) = φ(x)/x`, in closed form
/// rather than LXT's `φ(x)/(x + 1e-10)` (`identity_rule_implicit_fn`). The two agree except at
/// exactly `x = 0`, where LXT gives 0 and the closed form gives the limit (Φ(0) = ½ for GELU,
/// σ(0) = ½ for SiLU), and within float rounding where `φ(x)` cancels (|x| ≳ 5 for GELU), where
/// either value carries negligible relevance.
enum ActivationRules {
    /// `g ⊙= ρ(x)` (identity rule) or `g ⊙= φ'(x)` (gradient rule), elementwise.
    ///
    /// - Parameters:
    ///   - x: the activation's input (pre-activation), any shape.
    ///   - g: the gradient at the activation's output, same element count; replaced in place.
    static func apply(_ function: PointwiseFunction, rule: RelevanceRule, x: Tensor, to g: inout Tensor) {
        precondition(x.count == g.count, "activation rule: x \(x.shape) and g \(g.shape) differ")
        let ratio = rule == .identity
        switch function {
        case .tanh:
            // Only the pooler (d values): scalar Foundation tanh, exact near 0.
            g.withUnsafeMutableBufferPointer { gb in
                for i in gb.indices {
                    let v = Double(x.storage[i]), t = Foundation.tanh(v)
                    let factor = ratio ? (abs(v) < 1e-4 ? 1 - v * v / 3 : t / v) : 1 - t * t
                    gb[i] *= Float(factor)
                }
            }
        case .model(let activation):
            switch (activation, ratio) {
            case (.gelu, true): map(x, &g, GeluErfRatio.self)
            case (.gelu, false): map(x, &g, GeluErfDerivative.self)
            case (.geluTanh, true): map(x, &g, GeluTanhRatio.self)
            case (.geluTanh, false): map(x, &g, GeluTanhDerivative.self)
            case (.quickGelu, true): map(x, &g, QuickGeluRatio.self)
            case (.quickGelu, false): map(x, &g, QuickGeluDerivative.self)
            case (.relu, _): map(x, &g, Step.self)                        // ρ = φ' = step(x > 0)
            case (.silu, true): map(x, &g, SiluRatio.self)
            case (.silu, false): map(x, &g, SiluDerivative.self)
            }
        }
    }

    /// `g[i] *= F(x[i])` in SIMD16 lanes (zero-padded tail), split across workers for large tensors.
    private static func map<F: Lanes>(_ x: Tensor, _ g: inout Tensor, _: F.Type) {
        let count = x.count
        guard count > 0 else { return }
        x.withUnsafeBufferPointer { xb in
            g.withUnsafeMutableBufferPointer { gb in
                let xp = UnsafeSendable(UnsafeMutablePointer(mutating: xb.baseAddress!)), gp = UnsafeSendable(gb.baseAddress!)
                let grain = 1 << 15
                parallelFor((count + grain - 1) / grain) { block in
                    var i = block * grain
                    let end = min(count, i + grain)
                    while i + 16 <= end {
                        let v = UnsafeRawPointer(xp.base + i).loadUnaligned(as: SIMD16<Float>.self)
                        let w = UnsafeRawPointer(gp.base + i).loadUnaligned(as: SIMD16<Float>.self)
                        UnsafeMutableRawPointer(gp.base + i).storeBytes(of: w * F.apply(v), as: SIMD16<Float>.self)
                        i += 16
                    }
                    while i < end {
                        let width = min(16, end - i)
                        var v = SIMD16<Float>(repeating: 0), w = SIMD16<Float>(repeating: 0)
                        for j in 0..<width { v[j] = xp.base[i + j]; w[j] = gp.base[i + j] }
                        let out = w * F.apply(v)
                        for j in 0..<width { gp.base[i + j] = out[j] }
                        i += width
                    }
                }
            }
        }
    }
}

/// A pointer that may cross into `parallelFor` bodies (disjoint writes only).
struct UnsafeSendable: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}

/// A lane function as a type, so each loop is specialised.
protocol Lanes: SendableMetatype {
    static func apply(_ x: SIMD16<Float>) -> SIMD16<Float>
}

private typealias V = SIMD16<Float>

/// Φ(x) = ½(1 + erf(x/√2)) = GELU(x)/x.
private enum GeluErfRatio: Lanes {
    static func apply(_ x: V) -> V { 0.5 * (1 + VectorMath.erf(x * 0.70710678118654752)) }
}

/// GELU'(x) = Φ(x) + x·e^{−x²/2}/√(2π).
private enum GeluErfDerivative: Lanes {
    static func apply(_ x: V) -> V {
        0.5 * (1 + VectorMath.erf(x * 0.70710678118654752)) + x * VectorMath.exp(-0.5 * x * x) * 0.3989422804014327
    }
}

/// ½(1 + tanh u) = σ(2u) with 2u = x·(a + b·x²), a = 2√(2/π), b = 0.044715·a.
private enum GeluTanhRatio: Lanes {
    static func apply(_ x: V) -> V { VectorMath.sigmoid(x * (1.5957691216057308 + 0.071354816 * x * x)) }
}

/// d/dx[x·σ(2u)] = s + x·s(1 − s)·(a + 3b·x²).
private enum GeluTanhDerivative: Lanes {
    static func apply(_ x: V) -> V {
        let s = VectorMath.sigmoid(x * (1.5957691216057308 + 0.071354816 * x * x))
        return s + x * s * (1 - s) * (1.5957691216057308 + 3 * 0.071354816 * x * x)
    }
}

private enum QuickGeluRatio: Lanes {
    static func apply(_ x: V) -> V { VectorMath.sigmoid(1.702 * x) }
}

private enum QuickGeluDerivative: Lanes {
    static func apply(_ x: V) -> V {
        let s = VectorMath.sigmoid(1.702 * x)
        return s + 1.702 * x * s * (1 - s)
    }
}

private enum Step: Lanes {
    static func apply(_ x: V) -> V { V(repeating: 0).replacing(with: 1, where: x .> 0) }
}

private enum SiluRatio: Lanes {
    static func apply(_ x: V) -> V { VectorMath.sigmoid(x) }
}

private enum SiluDerivative: Lanes {
    static func apply(_ x: V) -> V {
        let s = VectorMath.sigmoid(x)
        return s * (1 + x * (1 - s))
    }
}
