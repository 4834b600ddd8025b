// Activation functions, in place over the whole tensor (any shape). Each runs a SIMD16 kernel built
// on `VectorMath` and splits large tensors (≥ 64 Ki floats) across `parallelFor` workers.

/// Exact (erf) GELU: y = 0.5·x·(1 + erf(x/√2)), PyTorch's `gelu(approximate="none")` / HF `"gelu"`.
///
/// - Parameter x: any shape, replaced elementwise. Within 2e-6 absolute of the Double formula on
///   [-10, 10] (measured 1.0e-6: erf's ≤ 3.3e-7 error, scaled by 0.5·|x|).
public func geluErf(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GeluErfLanes.self) }
}

/// Tanh-approximated GELU: y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), HF `gelu_new` /
/// `gelu_pytorch_tanh` (GPT-2).
///
/// - Parameter x: any shape, replaced elementwise. Computed as x·sigmoid(2u), the same function
///   (0.5·(1 + tanh u) = sigmoid(2u)); within 1e-6 + 2e-7·|x| of the Double formula.
public func geluTanh(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, GeluTanhLanes.self) }
}

/// QuickGELU (CLIP): y = x·sigmoid(1.702·x).
///
/// - Parameter x: any shape, replaced elementwise.
public func quickGelu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, QuickGeluLanes.self) }
}

/// SiLU / swish (Llama MLP gate): y = x·sigmoid(x).
///
/// - Parameter x: any shape, replaced elementwise.
public func silu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, SiluLanes.self) }
}

/// ReLU: y = max(x, 0); NaN stays NaN (as in PyTorch).
///
/// - Parameter x: any shape, replaced elementwise.
public func relu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { parallelMapInPlace($0, ReluLanes.self) }
}

// MARK: - Lane functions

private enum GeluErfLanes: LaneFunction {
    @inline(__always)
    static func apply(_ v: SIMD16<Float>) -> SIMD16<Float> {
        0.5 * v * (1 + VectorMath.erf(v * 0.70710678118654752))
    }
}

private enum GeluTanhLanes: LaneFunction {
    @inline(__always)
    static func apply(_ v: SIMD16<Float>) -> SIMD16<Float> {
        // 2u = 2·√(2/π)·(x + 0.044715·x³) = x·(a + b·x²)
        let a = SIMD16<Float>(repeating: 1.5957691216057308)          // 2·√(2/π)
        let b = SIMD16<Float>(repeating: 0.071354816)                 // 2·√(2/π)·0.044715
        return v * VectorMath.sigmoid(v * a.addingProduct(b, v * v))
    }
}

private enum QuickGeluLanes: LaneFunction {
    @inline(__always)
    static func apply(_ v: SIMD16<Float>) -> SIMD16<Float> { v * VectorMath.sigmoid(v * 1.702) }
}

private enum SiluLanes: LaneFunction {
    @inline(__always)
    static func apply(_ v: SIMD16<Float>) -> SIMD16<Float> { v * VectorMath.sigmoid(v) }
}

private enum ReluLanes: LaneFunction {
    @inline(__always)
    static func apply(_ v: SIMD16<Float>) -> SIMD16<Float> { v.replacing(with: 0, where: v .< 0) }
}
