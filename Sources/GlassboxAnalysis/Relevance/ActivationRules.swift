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
            }
            multiply(&g, byActivationFactor: factor, of: x)
        }
    }
}

/// A pointer that may cross into `parallelFor` bodies (disjoint writes only).
struct UnsafeSendable: @unchecked Sendable {
    let base: UnsafeMutablePointer<Float>
    init(_ base: UnsafeMutablePointer<Float>) { self.base = base }
}
