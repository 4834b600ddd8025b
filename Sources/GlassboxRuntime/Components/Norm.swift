import GlassboxTensor

/// A normalisation layer's kind and affine parameters.
public struct Norm: Sendable {
    /// LayerNorm or RMSNorm, with its ε.
    public let kind: NormKind
    /// `γ [d]`.
    public let weight: Tensor
    /// `β [d]` (LayerNorm; `nil` for RMSNorm or bias-free LayerNorm).
    public let bias: Tensor?

    /// A norm from `γ [d]` and an optional `β [d]` (shapes not checked; the loaders check them).
    public init(kind: NormKind, weight: Tensor, bias: Tensor?) {
        self.kind = kind
        self.weight = weight
        self.bias = bias
    }

    /// Normalises `x [n, d]`, firing `scale` and `normalized` hooks through `fire`, and returns the
    /// affine output `γ·normalized + β`.
    func callAsFunction(_ x: Tensor, scalePoint: HookPoint, normalizedPoint: HookPoint,
                        hooks: inout HookRun) throws -> Tensor {
        var (normalized, scale) = switch kind {
        case .layerNorm(let eps): layerNormalize(x, eps: eps)
        case .rmsNorm(let eps): rmsNormalize(x, eps: eps)
        }
        try hooks.fire(scalePoint, &scale)
        try hooks.fire(normalizedPoint, &normalized)
        return affine(normalized, gamma: weight, beta: bias)
    }
}
