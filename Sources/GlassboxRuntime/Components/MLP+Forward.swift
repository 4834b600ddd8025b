import GlassboxTensor

extension MLPWeights {
    /// `x [n, d] → [n, d]`: `W_out·act(W_in·x)` (standard) or `W_out·(act(W_gate·x) ⊙ W_up·x)` (gated),
    /// firing mlp.hook_pre, hook_pre_linear (gated) and hook_post.
    func forward(_ x: Tensor, layer: Int, activation: Activation, hooks: inout HookRun) throws -> Tensor {
        var pre = input(x)                                  // [n, dff]
        try hooks.fire(.block(layer, .mlpPre), &pre)
        var post = pre
        apply(activation, &post)
        if let up {
            var linear = up(x)                              // [n, dff]
            try hooks.fire(.block(layer, .mlpPreLinear), &linear)
            multiplyInPlace(&post, linear)
        }
        try hooks.fire(.block(layer, .mlpPost), &post)
        return output(post)
    }
}

/// Applies an activation in place.
func apply(_ activation: Activation, _ x: inout Tensor) {
    switch activation {
    case .gelu: geluErf(&x)
    case .geluTanh: geluTanh(&x)
    case .quickGelu: quickGelu(&x)
    case .relu: relu(&x)
    case .silu: silu(&x)
    }
}
