import Foundation
import GlassboxRuntime
import GlassboxTensor

/// An elementwise non-linearity on the relevance path: the model's MLP activation, the tanh of
/// BERT's pooler, or Gemma 2's soft-cap `cap·tanh(x/cap)` (final logits; the attention scores use
/// `softCapFactor` tile by tile).
enum PointwiseFunction: Sendable, Equatable {
    case model(Activation)
    case tanh
    case softCap(Float)
}

/// Local derivatives of activations under the `.identity` and `.gradient` rules.
///
/// Identity rule (AttnLRP Eq. 9): the derivative is replaced by `ρ(x) = φ(x)/x`, in closed form
/// rather than LXT's `φ(x)/(x + 1e-10)` (`identity_rule_implicit_fn`). The two agree except at
/// exactly `x = 0`, where LXT gives 0 and the closed form gives the limit (Φ(0) = ½ for GELU,
/// σ(0) = ½ for SiLU), and within float rounding where `φ(x)` cancels (|x| ≳ 5 for GELU), where
/// either value carries negligible relevance. `sigmoid` and `laplace` are not 0 at 0, so φ(x)/x
/// has no limit there: they use LXT's `φ(x)/(x + 1e-10)` itself. Leaky ReLU's ratio at 0 is its
/// derivative there, 0.01 (torch's).
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
        case .softCap(let cap):
            g.withUnsafeMutableBufferPointer { gb in
                for i in gb.indices { gb[i] *= softCapFactor(x.storage[i], cap: cap, rule: rule) }
            }
        case .model(let activation):
            let factor: ActivationFactor
            switch (activation, ratio) {
            case (.gelu, true): factor = .geluErfRatio
            case (.gelu, false): factor = .geluErfDerivative
            case (.geluTanh, true): factor = .geluTanhRatio
            case (.geluTanh, false): factor = .geluTanhDerivative
            case (.quickGelu, true): factor = .quickGeluRatio
            case (.quickGelu, false): factor = .quickGeluDerivative
            case (.relu, _): factor = .step                                // ρ = φ' = step(x > 0)
            case (.silu, true): factor = .siluRatio
            case (.silu, false): factor = .siluDerivative
            case (.gelu10, true): factor = .gelu10Ratio
            case (.gelu10, false): factor = .gelu10Derivative
            case (.laplace, true): factor = .laplaceRatio                  // LXT's φ/(x + 1e-10)
            case (.laplace, false): factor = .laplaceDerivative
            case (.leakyRelu, _): factor = .leakyStep                       // ρ = φ' = 1 or 0.01
            case (.linear, _): return                                        // ρ = φ' = 1
            case (.mish, true): factor = .mishRatio
            case (.mish, false): factor = .mishDerivative
            case (.relu2, true): factor = .relu2Ratio
            case (.relu2, false): factor = .relu2Derivative
            case (.relu6, true): factor = .relu6Ratio
            case (.relu6, false): factor = .relu6Derivative
            case (.sigmoid, true): factor = .sigmoidRatio                   // LXT's φ/(x + 1e-10)
            case (.sigmoid, false): factor = .sigmoidDerivative
            case (.tanh, true): factor = .tanhRatio
            case (.tanh, false): factor = .tanhDerivative
            }
            multiply(&g, byActivationFactor: factor, of: x)
        }
    }
}

extension ActivationRules {
    /// The local factor of the soft-cap `y = cap·tanh(x/cap)` at `x`: under the identity rule
    /// `y/x` (1 − (x/cap)²/3 near 0, its limit), else the derivative `1 − tanh²(x/cap)`
    /// (docs/methods.md §2.5e). Computed in Double.
    static func softCapFactor(_ x: Float, cap: Float, rule: RelevanceRule) -> Float {
        let u = Double(x) / Double(cap), t = Foundation.tanh(u)
        if rule == .identity { return Float(abs(u) < 1e-4 ? 1 - u * u / 3 : t / u) }
        return Float(1 - t * t)
    }
}

/// A pointer that may cross into `parallelFor` bodies (disjoint writes only).
struct UnsafeSendable: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}
