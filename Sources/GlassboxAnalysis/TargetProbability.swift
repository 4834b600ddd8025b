import Foundation
import GlassboxRuntime

extension ClassScoreFunction {
    /// `log σ(z) = −softplus(−z)`, in Double and stable for any `z`: `−log1p(e^{−z})` for `z ≥ 0`,
    /// `z − log1p(e^{z})` below. The log-probability that a label a sigmoid head scores is on.
    public static func logSigmoid(_ z: Double) -> Double {
        z >= 0 ? -Foundation.log1p(Foundation.exp(-z)) : z - Foundation.log1p(Foundation.exp(z))
    }

    /// `σ(z) = 1 / (1 + e^{−z})` in Double (as `elementwiseScore` computes it).
    public static func sigmoid(_ z: Double) -> Double { 1 / (1 + Foundation.exp(-z)) }
}
