import GlassboxTensor

/// How a checkpoint stores a weight matrix.
public enum WeightLayout: Sendable, Equatable {
    /// `[in, out]`: GPT-2's `Conv1D`; `y = x·W`.
    case inOut
    /// `[out, in]`: `nn.Linear`; `y = x·Wᵀ`.
    case outIn
}

/// An affine map `y[n, out] = x[n, in] · W + b`, with `W` kept in the checkpoint's layout and dtype
/// (no copy, no transpose, no widening at load; the products read it either way, converting panels
/// to Float32 on the fly: docs/methods.md §0.7).
public struct Linear: Sendable {
    /// `[in, out]` or `[out, in]` according to `layout`, in the checkpoint's dtype.
    public let weight: WeightMatrix
    /// How `weight` is laid out: `[in, out]` or `[out, in]`.
    public let layout: WeightLayout
    /// `[out]`, or `nil`.
    public let bias: Tensor?

    /// A layer from a rank-2 `weight` in `layout` (a precondition checks the rank) and an
    /// optional `bias [out]` (not checked).
    public init(weight: Tensor, layout: WeightLayout, bias: Tensor?) {
        precondition(weight.rank == 2, "a linear weight is a matrix, got \(weight.shape)")
        self.init(weight: WeightMatrix(weight), layout: layout, bias: bias)
    }

    /// A layer from a weight matrix in any stored format (what ``WeightReader`` loads), in
    /// `layout`, and an optional `bias [out]` (not checked).
    public init(weight: WeightMatrix, layout: WeightLayout, bias: Tensor?) {
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

    /// The transposed product `g [n, out] → g · Wᵀ [n, in]` (no bias): the gradient with respect
    /// to the input, which relevance sweeps propagate.
    public func backward(_ g: Tensor) -> Tensor {
        matmul(g, weight, transposeB: layout == .inOut)
    }

    /// The weight as a Float32 `[in, out]`/`[out, in]` tensor in `layout` (a converted copy unless
    /// it already is one): for rules that transform every weight (LRP's γ, Chefer's W±).
    public var weightFloat32: Tensor { weight.float32() }

    /// The `[in, out]` element `(i, o)` — a slow accessor for analyses that read single weights.
    public func element(input i: Int, output o: Int) -> Float {
        layout == .inOut ? weight[i, o] : weight[o, i]
    }
}
