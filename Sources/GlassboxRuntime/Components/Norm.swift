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

    /// Whether `self` and `other` are one norm: the same `γ` (and `β`) storage, not merely equal
    /// values (Phi's `input_layernorm` serves as both `ln1` and `ln2`).
    public func sharesStorage(with other: Norm) -> Bool {
        func same(_ a: Tensor?, _ b: Tensor?) -> Bool {
            guard let a, let b else { return a == nil && b == nil }
            return a.shape == b.shape && a.storage.withUnsafeBufferPointer { p in
                b.storage.withUnsafeBufferPointer { q in p.baseAddress == q.baseAddress }
            }
        }
        return kind == other.kind && same(weight, other.weight) && same(bias, other.bias)
    }

    /// The statistics of `x [n, d]`, before the affine part: `normalized` `x̂ [n, d]` = `(x−μ)/scale`
    /// (LayerNorm) or `x/scale` (RMSNorm), and `scale [n, 1]`. The forward pass computes them with this
    /// same kernel, so analyses that recompute `x̂` from a cached norm input get the forward's bits.
    public func normalize(_ x: Tensor) -> (normalized: Tensor, scale: Tensor) {
        switch kind {
        case .layerNorm(let eps): layerNormalize(x, eps: eps)
        case .rmsNorm(let eps): rmsNormalize(x, eps: eps)
        case .identity: (x, Tensor(shape: [x.count / max(x.dim(-1), 1), 1], repeating: 1))
        }
    }

    /// The norm's output `γ ⊙ x̂ + β` `[n, d]` for `x [n, d]`, as the forward pass computes it (no hooks).
    public func callAsFunction(_ x: Tensor) -> Tensor {
        affine(normalize(x).normalized, gamma: weight, beta: bias)
    }

    /// The norm applied to each head of `x [n, heads, dh]` over its last axis (QK-norm), no hooks:
    /// `γ ⊙ x̂ + β` `[n, heads, dh]` (`perHeadAffine`).
    func perHead(_ x: Tensor) -> Tensor {
        let dh = x.dim(-1)
        return perHeadAffine(normalize(x.reshaped([x.count / max(dh, 1), dh])).normalized.reshaped(x.shape))
    }

    /// `γ ⊙ x̂ + β` `[n, heads, dh]` for a QK-norm's `x̂ [n, heads, dh]`: `γ`, `β` `[dh]` shared by every
    /// head (Qwen3, Gemma 3, Phi), or `[heads·dh]`, head `h`'s at `h·dh..<(h+1)·dh` (StableLM's
    /// `StableLmLayerNormPerHead`, one `nn.LayerNorm(dh)` per head).
    public func perHeadAffine(_ normalized: Tensor) -> Tensor {
        let dh = normalized.dim(-1)
        let width = weight.count == dh ? dh : normalized.dim(-2) * dh
        precondition(weight.count == width, "per-head norm: γ \(weight.shape) for heads of \(dh)")
        return affine(normalized.reshaped([normalized.count / max(width, 1), width]), gamma: weight, beta: bias)
            .reshaped(normalized.shape)
    }

    /// Normalises `x [n, d]`, firing the `scale` and `normalized` hooks, and returns the output
    /// `γ ⊙ x̂ + β`. As in TransformerLens: LayerNorm fires `hook_normalized` on the output (after `γ`,
    /// `β`; its `LayerNorm`), RMSNorm on `x̂` before `γ` (its `RMSNorm`). Either way, what the hook
    /// holds after any intervention is what the rest of the forward pass reads (for RMSNorm, times `γ`).
    /// An edited `hook_scale` divides the (centred) input in its place, as TransformerLens's does.
    func callAsFunction(_ x: Tensor, scalePoint: HookPoint, normalizedPoint: HookPoint,
                        hooks: inout HookRun) throws -> Tensor {
        var (normalized, scale) = normalize(x)
        if hooks.interventions.touches(scalePoint) {
            let statistic = scale
            try hooks.fire(scalePoint, &scale)
            if scale.storage != statistic.storage { normalized = divided(x, by: scale) }
        } else {
            try hooks.fire(scalePoint, &scale)
        }
        switch kind {
        case .layerNorm, .identity:
            var output = affine(normalized, gamma: weight, beta: bias)
            try hooks.fire(normalizedPoint, &output)
            return output
        case .rmsNorm:
            try hooks.fire(normalizedPoint, &normalized)
            return affine(normalized, gamma: weight, beta: bias)
        }
    }

    /// `(x − μ)/scale` (LayerNorm) or `x/scale` (RMSNorm) per row of `x [n, d]`, for an edited
    /// `scale [n, 1]` (μ accumulated in Double).
    func divided(_ x: Tensor, by scale: Tensor) -> Tensor {
        let d = x.dim(-1), rows = x.count / max(d, 1)
        var out = x
        let centred = if case .layerNorm = kind { true } else { false }
        for r in 0..<rows {
            var mean = 0.0
            if centred { for j in 0..<d { mean += Double(x.storage[r * d + j]) } }
            mean /= Double(max(d, 1))
            for j in 0..<d { out.storage[r * d + j] = Float((Double(x.storage[r * d + j]) - mean) / Double(scale.storage[r])) }
        }
        return out
    }
}
