internal import CGlassboxKernels

// Activation functions, in place over the whole tensor (any shape). Each runs a 16-lane C kernel
// (`CGlassboxKernels`, the current ``KernelVariant``) built on the `VectorMath` functions and
// splits large tensors (≥ 64 Ki floats) across `parallelFor` workers.

/// Exact (erf) GELU: y = 0.5·x·(1 + erf(x/√2)), PyTorch's `gelu(approximate="none")` / HF `"gelu"`.
///
/// - Parameter x: any shape, replaced elementwise. Within 2e-6 absolute of the Double formula on
///   [-10, 10] (measured 1.0e-6: erf's ≤ 3.3e-7 error, scaled by 0.5·|x|).
public func geluErf(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_GELU_ERF) }
}

/// Tanh-approximated GELU: y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), HF `gelu_new` /
/// `gelu_pytorch_tanh` (GPT-2).
///
/// - Parameter x: any shape, replaced elementwise. Computed as x·sigmoid(2u), the same function
///   (0.5·(1 + tanh u) = sigmoid(2u)); within 1e-6 + 2e-7·|x| of the Double formula.
public func geluTanh(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_GELU_TANH) }
}

/// QuickGELU (CLIP): y = x·sigmoid(1.702·x).
///
/// - Parameter x: any shape, replaced elementwise.
public func quickGelu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_QUICK_GELU) }
}

/// SiLU / swish (Llama MLP gate): y = x·sigmoid(x).
///
/// - Parameter x: any shape, replaced elementwise.
public func silu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_SILU) }
}

/// ReLU: y = max(x, 0); NaN stays NaN (as in PyTorch).
///
/// - Parameter x: any shape, replaced elementwise.
public func relu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_RELU) }
}

/// GELU (erf) clipped to [-10, 10] (HF `gelu_10`, `ClippedGELUActivation`): y = min(GELU(x), 10)
/// (GELU ≥ −0.17, so the lower clip never acts); NaN stays NaN.
///
/// - Parameter x: any shape, replaced elementwise.
public func gelu10(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_GELU10) }
}

/// HF `laplace` (MEGA): y = 0.5·(1 + erf((x − 0.707107)/(0.282095·√2))), a Gaussian CDF.
///
/// - Parameter x: any shape, replaced elementwise.
public func laplace(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_LAPLACE) }
}

/// Leaky ReLU with nn.LeakyReLU's default slope (HF `leaky_relu`): y = x for x > 0, else 0.01·x.
///
/// - Parameter x: any shape, replaced elementwise.
public func leakyRelu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_LEAKY_RELU) }
}

/// Mish (HF `mish`): y = x·tanh(softplus(x)), with tanh(softplus(x)) = n/(n + 2),
/// n = e^x·(e^x + 2), and 1 above 20 (torch's softplus threshold).
///
/// - Parameter x: any shape, replaced elementwise.
public func mish(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_MISH) }
}

/// Squared ReLU (HF `relu2`, Primer): y = max(x, 0)².
///
/// - Parameter x: any shape, replaced elementwise.
public func relu2(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_RELU2) }
}

/// ReLU6 (HF `relu6`): y = min(max(x, 0), 6); NaN stays NaN.
///
/// - Parameter x: any shape, replaced elementwise.
public func relu6(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_RELU6) }
}

/// The logistic sigmoid as an activation (HF `sigmoid`): y = 1/(1 + e^−x).
///
/// - Parameter x: any shape, replaced elementwise.
public func sigmoidActivation(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_SIGMOID) }
}

/// tanh as an activation (HF `tanh`): y = 2·sigmoid(2x) − 1 (within 1e-7 absolute of tanh).
///
/// - Parameter x: any shape, replaced elementwise.
public func tanhActivation(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GB_UNARY_TANH) }
}
