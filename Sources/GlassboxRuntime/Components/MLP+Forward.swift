import GlassboxTensor

extension MLPWeights {
    /// `x [n, d] → [n, d]`: `W_out·act(W_in·x)` (standard) or `W_out·(act(W_gate·x) ⊙ W_up·x)` (gated),
    /// firing mlp.hook_pre, hook_pre_linear (gated) and hook_post; a mixture of experts instead runs
    /// `MixtureWeights.forward` and fires its points.
    func forward(_ x: Tensor, layer: Int, activation: Activation, hooks: inout HookRun) throws -> Tensor {
        if let mixture { return try mixture.forward(x, layer: layer, activation: activation, hooks: &hooks) }
        var pre = input(x)                                  // [n, dff]
        try hooks.fire(.block(layer, .mlpPre), &pre)
        var post = pre
        activation.apply(&post)
        if let up {
            var linear = up(x)                              // [n, dff]
            try hooks.fire(.block(layer, .mlpPreLinear), &linear)
            multiplyInPlace(&post, linear)
        }
        try hooks.fire(.block(layer, .mlpPost), &post)
        return output(post)
    }
}

extension Activation {
    /// Applies the activation elementwise to `x` (any shape, e.g. `[n, dff]`) in place, with the
    /// forward pass's own kernels (analyses that recompute an activation call this, so their values
    /// are bitwise the forward's).
    public func apply(_ x: inout Tensor) {
        switch self {
        case .gelu: GlassboxTensor.geluErf(&x)
        case .geluTanh: GlassboxTensor.geluTanh(&x)
        case .quickGelu: GlassboxTensor.quickGelu(&x)
        case .relu: GlassboxTensor.relu(&x)
        case .silu: GlassboxTensor.silu(&x)
        case .gelu10: GlassboxTensor.gelu10(&x)
        case .laplace: GlassboxTensor.laplace(&x)
        case .leakyRelu: GlassboxTensor.leakyRelu(&x)
        case .linear: break
        case .mish: GlassboxTensor.mish(&x)
        case .relu2: GlassboxTensor.relu2(&x)
        case .relu6: GlassboxTensor.relu6(&x)
        case .sigmoid: GlassboxTensor.sigmoidActivation(&x)
        case .tanh: GlassboxTensor.tanhActivation(&x)
        }
    }
}
