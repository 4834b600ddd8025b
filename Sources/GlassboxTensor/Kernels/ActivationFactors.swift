internal import CGlassboxKernels

/// A local factor of an activation φ, a function of its input x that gradient and relevance rules
/// multiply the output gradient by: the derivative φ'(x), or the ratio φ(x)/x that AttnLRP's
/// identity rule uses in its place (Achtibat et al. 2024, Eq. 9).
///
/// The ratios are closed forms (no division by x), so x = 0 gives the limit; the tanh-GELU forms use
/// 2u = x·(a + b·x²), a = 2√(2/π), b = 0.044715·a, as ``geluTanh(_:)`` does. Each is computed by the
/// C kernels (`CGlassboxKernels`, the current ``KernelVariant``) from `VectorMath` exp/erf/sigmoid.
public enum ActivationFactor: Sendable, Equatable, CaseIterable {
    /// Φ(x) = ½(1 + erf(x/√2)) = GELU(x)/x.
    case geluErfRatio
    /// GELU'(x) = Φ(x) + x·e^(−x²/2)/√(2π).
    case geluErfDerivative
    /// σ(2u) = tanh-GELU(x)/x.
    case geluTanhRatio
    /// d/dx[x·σ(2u)] = s + x·s·(1 − s)·(a + 3b·x²), s = σ(2u).
    case geluTanhDerivative
    /// σ(1.702·x) = QuickGELU(x)/x.
    case quickGeluRatio
    /// s + 1.702·x·s·(1 − s), s = σ(1.702·x).
    case quickGeluDerivative
    /// σ(x) = SiLU(x)/x.
    case siluRatio
    /// s·(1 + x·(1 − s)), s = σ(x).
    case siluDerivative
    /// 1 where x > 0, else 0: ReLU's ratio and its derivative (NaN gives 0).
    case step
    /// Φ(x) where GELU(x) ≤ 10, else 10/x: `gelu_10`'s ratio.
    case gelu10Ratio
    /// GELU'(x) where GELU(x) < 10, else 0: `gelu_10`'s derivative (torch.clip's: 0 at x = 10).
    case gelu10Derivative
    /// laplace(x)/(x + 1e-10), LXT's form (laplace(0) ≠ 0: the ratio has no limit at 0).
    case laplaceRatio
    /// e^(−z²)/(√π·σ√2), z = (x − μ)/(σ√2): laplace's derivative.
    case laplaceDerivative
    /// 1 where x > 0, else 0.01: leaky ReLU's ratio and derivative.
    case leakyStep
    /// tanh(softplus(x)) = mish(x)/x.
    case mishRatio
    /// t + x·(1 − t²)·σ(x), t = tanh(softplus(x)).
    case mishDerivative
    /// max(x, 0) = relu2(x)/x.
    case relu2Ratio
    /// 2·max(x, 0).
    case relu2Derivative
    /// 1 on (0, 6], 6/x above, else 0: ReLU6's ratio.
    case relu6Ratio
    /// 1 on (0, 6), else 0: ReLU6's derivative (torch's, 0 on the boundaries).
    case relu6Derivative
    /// σ(x)/(x + 1e-10), LXT's form (σ(0) = ½: the ratio has no limit at 0).
    case sigmoidRatio
    /// σ(x)·(1 − σ(x)).
    case sigmoidDerivative
    /// tanh(x)/x, with the limit 1 at 0 (a series below |x| = 0.05).
    case tanhRatio
    /// 1 − tanh²(x).
    case tanhDerivative

    var lanes: gb_unary {
        switch self {
        case .geluErfRatio: GB_UNARY_GELU_ERF_RATIO
        case .geluErfDerivative: GB_UNARY_GELU_ERF_DERIVATIVE
        case .geluTanhRatio: GB_UNARY_GELU_TANH_RATIO
        case .geluTanhDerivative: GB_UNARY_GELU_TANH_DERIVATIVE
        case .quickGeluRatio: GB_UNARY_QUICK_GELU_RATIO
        case .quickGeluDerivative: GB_UNARY_QUICK_GELU_DERIVATIVE
        case .siluRatio: GB_UNARY_SIGMOID
        case .siluDerivative: GB_UNARY_SILU_DERIVATIVE
        case .step: GB_UNARY_STEP
        case .gelu10Ratio: GB_UNARY_GELU10_RATIO
        case .gelu10Derivative: GB_UNARY_GELU10_DERIVATIVE
        case .laplaceRatio: GB_UNARY_LAPLACE_RATIO
        case .laplaceDerivative: GB_UNARY_LAPLACE_DERIVATIVE
        case .leakyStep: GB_UNARY_LEAKY_STEP
        case .mishRatio: GB_UNARY_MISH_RATIO
        case .mishDerivative: GB_UNARY_MISH_DERIVATIVE
        case .relu2Ratio: GB_UNARY_RELU
        case .relu2Derivative: GB_UNARY_RELU2_DERIVATIVE
        case .relu6Ratio: GB_UNARY_RELU6_RATIO
        case .relu6Derivative: GB_UNARY_RELU6_DERIVATIVE
        case .sigmoidRatio: GB_UNARY_SIGMOID_RATIO
        case .sigmoidDerivative: GB_UNARY_SIGMOID_DERIVATIVE
        case .tanhRatio: GB_UNARY_TANH_RATIO
        case .tanhDerivative: GB_UNARY_TANH_DERIVATIVE
        }
    }
}

/// g ⊙= factor(x), elementwise, in place.
///
/// - Parameters:
///   - g: the gradient at the activation's output, any shape; replaced in place.
///   - factor: the local factor to multiply by.
///   - x: the activation's input (pre-activation), the same element count as `g` (any shape).
///
/// 16-lane C kernel with a zero-padded tail, split across `parallelFor` workers in blocks of
/// 32 Ki floats.
public func multiply(_ g: inout Tensor, byActivationFactor factor: ActivationFactor, of x: Tensor) {
    precondition(x.count == g.count, "multiply(byActivationFactor:): x \(x.shape) and g \(g.shape) differ in size")
    let count = x.count
    guard count > 0 else { return }
    let kernels = KernelTable.current, f = factor.lanes
    x.withUnsafeBufferPointer { xb in
        g.withUnsafeMutableBufferPointer { gb in
            let xp = SendablePointer(UnsafeMutablePointer(mutating: xb.baseAddress!))
            let gp = SendablePointer(gb.baseAddress!)
            let grain = 1 << 15
            parallelFor((count + grain - 1) / grain) { block in
                let start = block * grain
                kernels.scale(gp.base + start, by: f, of: xp.base + start, min(grain, count - start))
            }
        }
    }
}
