import GlassboxTensor

/// How a checkpoint stores a weight matrix.
public enum WeightLayout: Sendable, Equatable {
    /// `[in, out]`: GPT-2's `Conv1D`; `y = x·W`.
    case inOut
    /// `[out, in]`: `nn.Linear`; `y = x·Wᵀ`.
    case outIn
}

/// An affine map `y[n, out] = x[n, in] · W + b`, with `W` kept in the checkpoint's layout (no copy,
/// no transpose at load; the matmul reads it either way).
public struct Linear: Sendable {
    /// `[in, out]` or `[out, in]` according to `layout`.
    public let weight: Tensor
    /// How `weight` is laid out: `[in, out]` or `[out, in]`.
    public let layout: WeightLayout
    /// `[out]`, or `nil`.
    public let bias: Tensor?

    /// A layer from a rank-2 `weight` in `layout` (a precondition checks the rank) and an
    /// optional `bias [out]` (not checked).
    public init(weight: Tensor, layout: WeightLayout, bias: Tensor?) {
        precondition(weight.rank == 2, "a linear weight is a matrix, got \(weight.shape)")
        self.weight = weight
        self.layout = layout
        self.bias = bias
    }

    /// Input width `in`.
    public var inFeatures: Int { layout == .inOut ? weight.shape[0] : weight.shape[1] }
    /// Output width `out`.
    public var outFeatures: Int { layout == .inOut ? weight.shape[1] : weight.shape[0] }

    /// `x [n, in] → [n, out]`.
    public func callAsFunction(_ x: Tensor) -> Tensor {
        matmul(x, weight, transposeB: layout == .outIn, bias: bias)
    }

    /// The `[in, out]` element `(i, o)` — a slow accessor for analyses that read single weights.
    public func element(input i: Int, output o: Int) -> Float {
        layout == .inOut ? weight[i, o] : weight[o, i]
    }
}
