// Activation functions, in place over the whole tensor (any shape). Each runs the SIMD16 kernels of
// `VectorMath` and splits large tensors (≥ 64 Ki floats) across `parallelFor` workers.

/// Exact (erf) GELU: y = 0.5·x·(1 + erf(x/√2)), PyTorch's `gelu(approximate="none")` / HF `"gelu"`.
///
/// - Parameter x: any shape, replaced elementwise. Within 2e-6 absolute of the Double formula on
///   [-10, 10] (erf error ≈ 1e-7, scaled by 0.5·|x|).
public func geluErf(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { buf in
        parallelMapInPlace(buf) { v in
            let half = SIMD16<Float>(repeating: 0.5)
            return half * v * (1 + VectorMath.erf(v * 0.70710678118654752))
        }
    }
}

/// Tanh-approximated GELU: y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), HF `gelu_new` /
/// `gelu_pytorch_tanh` (GPT-2).
///
/// - Parameter x: any shape, replaced elementwise. Computed as x·sigmoid(2u) (the same function:
///   0.5·(1 + tanh u) = sigmoid(2u)), within ~1e-6 absolute of the Double formula on [-10, 10].
public func geluTanh(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { buf in
        parallelMapInPlace(buf) { v in
            // 2u = 2·√(2/π)·(x + 0.044715·x³) = x·(a + b·x²)
            let a = SIMD16<Float>(repeating: 1.5957691216057308)          // 2·√(2/π)
            let b = SIMD16<Float>(repeating: 0.071354816)                 // 2·√(2/π)·0.044715
            let twoU = v * a.addingProduct(b, v * v)
            return v * VectorMath.sigmoid(twoU)
        }
    }
}

/// QuickGELU (CLIP): y = x·sigmoid(1.702·x).
///
/// - Parameter x: any shape, replaced elementwise.
public func quickGelu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { buf in
        parallelMapInPlace(buf) { v in v * VectorMath.sigmoid(v * 1.702) }
    }
}

/// SiLU / swish (Llama MLP gate): y = x·sigmoid(x).
///
/// - Parameter x: any shape, replaced elementwise.
public func silu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { buf in
        parallelMapInPlace(buf) { v in v * VectorMath.sigmoid(v) }
    }
}

/// ReLU: y = max(x, 0); NaN stays NaN (as in PyTorch).
///
/// - Parameter x: any shape, replaced elementwise.
public func relu(_ x: inout Tensor) {
    x.withUnsafeMutableBufferPointer { buf in
        parallelMapInPlace(buf) { v in v.replacing(with: 0, where: v .< 0) }
    }
}
