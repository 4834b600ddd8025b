import GlassboxTensor

extension Linear {
    /// This map with its output multiplied by `factor`: weight and bias as a Float32 copy, or the map
    /// itself when `factor` is 1. How a constant the model applies after a linear layer is folded in at
    /// load (Granite's `residual_multiplier` and `logits_scaling`, Cohere's `logit_scale`).
    func scaled(by factor: Float) -> Linear {
        guard factor != 1 else { return self }
        var weight = self.weight.float32Replacing()                     // [out, in] or [in, out]
        scaleInPlace(&weight, factor)
        var bias = self.bias
        if var b = bias { scaleInPlace(&b, factor); bias = b }
        return Linear(weight: weight, layout: layout, bias: bias)
    }
}
