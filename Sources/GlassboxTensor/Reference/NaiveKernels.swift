import Foundation

/// Obviously-correct scalar versions of every fast kernel, kept beside them as test oracles
/// (llm.c style). Plain loops, Double accumulation, no SIMD, no BLAS, no threads. Slow: use small
/// shapes. Each function mirrors the fast kernel of the same name and documents the same shapes.
public enum NaiveKernels {
    // MARK: Matmul

    /// y[m, n] = a[m, k] · b (+ bias[n]); b is [k, n], or [n, k] when `transposeB`. `a` may be
    /// `[..., k]` (leading dims flattened). Double accumulation.
    public static func matmul(_ a: Tensor, _ b: Tensor, transposeB: Bool = false, bias: Tensor? = nil) -> Tensor {
        let k = a.dim(-1)
        let m = a.shape.dropLast().reduce(1, *)
        let n = transposeB ? b.shape[0] : b.shape[1]
        precondition((transposeB ? b.shape[1] : b.shape[0]) == k)
        var y = [Float](repeating: 0, count: m * n)
        for i in 0..<m {
            for j in 0..<n {
                var s = bias.map { Double($0.storage[j]) } ?? 0
                for p in 0..<k {
                    let bv = transposeB ? b.storage[j * k + p] : b.storage[p * n + j]
                    s += Double(a.storage[i * k + p]) * Double(bv)
                }
                y[i * n + j] = Float(s)
            }
        }
        return Tensor(shape: Array(a.shape.dropLast()) + [n], storage: y)
    }

    /// Strided GEMM on arrays: C[m, n] = alpha · A[m, k] · op(B) + beta · C, with row strides
    /// lda / ldb / ldc; op(B) = B ([k, n]) or Bᵀ (B stored [n, k]). When beta == 0, C is not read.
    public static func gemm(m: Int, n: Int, k: Int, a: [Float], lda: Int, b: [Float], ldb: Int,
                            transposeB: Bool, c: inout [Float], ldc: Int,
                            alpha: Float = 1, beta: Float = 0) {
        for i in 0..<m {
            for j in 0..<n {
                var s = 0.0
                for p in 0..<k {
                    let bv = transposeB ? b[j * ldb + p] : b[p * ldb + j]
                    s += Double(a[i * lda + p]) * Double(bv)
                }
                let old = beta == 0 ? 0 : Double(beta) * Double(c[i * ldc + j])
                c[i * ldc + j] = Float(Double(alpha) * s + old)
            }
        }
    }

    // MARK: Softmax

    /// scores [..., q, k]: causal sets key index j > i + (k − q) to −infinity; a sliding window
    /// of w also hides j ≤ i + (k − q) − w; a bidirectional window of radius r hides
    /// |i + (k − q) − j| > r (and nothing else).
    public static func applyMask(_ scores: inout Tensor, _ mask: AttentionMaskKind) {
        let window: Int
        switch mask {
        case .none: return
        case .causal: window = Int.max
        case .slidingWindow(let w): window = w
        case .bidirectionalWindow(let r):
            let q = scores.dim(-2), k = scores.dim(-1)
            for flat in 0..<scores.count {
                let j = flat % k, i = (flat / k) % q + (k - q)
                if abs(i - j) > r { scores.storage[flat] = -.infinity }
            }
            return
        }
        let q = scores.dim(-2), k = scores.dim(-1)
        for flat in 0..<scores.count {
            let j = flat % k, i = (flat / k) % q + (k - q)
            if j > i || (window != Int.max && i - j >= window) { scores.storage[flat] = -.infinity }
        }
    }

    /// Softmax over the last dim in Double; −inf → 0, an all −inf row → zeros, a row holding NaN → NaN.
    public static func softmaxLastDim(_ x: inout Tensor) {
        let d = x.rank == 0 ? 1 : x.dim(-1)
        guard d > 0 else { return }
        for r in 0..<(x.count / d) {
            let row = (r * d)..<((r + 1) * d)
            if x.storage[row].contains(where: \.isNaN) {
                for i in row { x.storage[i] = .nan }
                continue
            }
            let m = x.storage[row].max()!
            if m == -.infinity {
                for i in row { x.storage[i] = 0 }
                continue
            }
            var e = [Double](repeating: 0, count: d)
            for (j, i) in row.enumerated() { e[j] = Foundation.exp(Double(x.storage[i]) - Double(m)) }
            let s = e.reduce(0, +)
            for (j, i) in row.enumerated() { x.storage[i] = Float(e[j] / s) }
        }
    }

    // MARK: Norms

    /// LayerNorm over the last dim in Double: scale = sqrt(biased var + eps), normalized = (x − μ)/scale.
    public static func layerNormalize(_ x: Tensor, eps: Float) -> (normalized: Tensor, scale: Tensor) {
        normalize(x, eps: eps, centered: true)
    }

    /// RMSNorm over the last dim in Double: scale = sqrt(mean(x²) + eps), normalized = x / scale.
    public static func rmsNormalize(_ x: Tensor, eps: Float) -> (normalized: Tensor, scale: Tensor) {
        normalize(x, eps: eps, centered: false)
    }

    private static func normalize(_ x: Tensor, eps: Float, centered: Bool) -> (normalized: Tensor, scale: Tensor) {
        let d = x.dim(-1)
        let rows = x.count / d
        var y = x
        var scale = [Float](repeating: 0, count: rows)
        for r in 0..<rows {
            let v = x.storage[(r * d)..<((r + 1) * d)].map(Double.init)
            let mean = centered ? v.reduce(0, +) / Double(d) : 0
            let ms = v.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(d)
            let s = (ms + Double(eps)).squareRoot()
            scale[r] = Float(s)
            for j in 0..<d { y.storage[r * d + j] = Float((v[j] - mean) / s) }
        }
        return (y, Tensor(shape: Array(x.shape.dropLast()) + [1], storage: scale))
    }

    /// y[n, d] = x ⊙ gamma[d] + beta[d] (nil = 1 / 0).
    public static func affine(_ x: Tensor, gamma: Tensor?, beta: Tensor?) -> Tensor {
        let d = x.dim(-1)
        var y = x
        for i in 0..<x.count {
            y.storage[i] = x.storage[i] * (gamma?.storage[i % d] ?? 1) + (beta?.storage[i % d] ?? 0)
        }
        return y
    }

    // MARK: Activations (Double formulas)

    /// 0.5·x·(1 + erf(x/√2)) in Double.
    public static func geluErf(_ x: Double) -> Double { 0.5 * x * (1 + Foundation.erf(x / 2.0.squareRoot())) }
    /// 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))) in Double.
    public static func geluTanh(_ x: Double) -> Double {
        0.5 * x * (1 + Foundation.tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    /// x·sigmoid(1.702·x) in Double.
    public static func quickGelu(_ x: Double) -> Double { x / (1 + Foundation.exp(-1.702 * x)) }
    /// x·sigmoid(x) in Double.
    public static func silu(_ x: Double) -> Double { x / (1 + Foundation.exp(-x)) }
    /// max(x, 0).
    public static func relu(_ x: Double) -> Double { x < 0 ? 0 : x }
    /// min(GELU(x), 10) (erf GELU, transformers' `gelu_10`) in Double.
    public static func gelu10(_ x: Double) -> Double { Swift.min(geluErf(x), 10) }
    /// 0.5·(1 + erf((x − 0.707107)/(0.282095·√2))) in Double (transformers' `laplace`).
    public static func laplace(_ x: Double) -> Double { 0.5 * (1 + Foundation.erf((x - 0.707107) / (0.282095 * 2.0.squareRoot()))) }
    /// x for x > 0, else 0.01·x.
    public static func leakyRelu(_ x: Double) -> Double { x > 0 ? x : 0.01 * x }
    /// x·tanh(log(1 + e^x)) in Double (softplus = x above 20, as torch).
    public static func mish(_ x: Double) -> Double { x * Foundation.tanh(x > 20 ? x : Foundation.log1p(Foundation.exp(x))) }
    /// max(x, 0)².
    public static func relu2(_ x: Double) -> Double { x < 0 ? 0 : x * x }
    /// min(max(x, 0), 6).
    public static func relu6(_ x: Double) -> Double { Swift.min(Swift.max(x, 0), 6) }
    /// 1/(1 + e^−x) in Double.
    public static func sigmoid(_ x: Double) -> Double { 1 / (1 + Foundation.exp(-x)) }
    /// tanh(x) in Double.
    public static func tanh(_ x: Double) -> Double { Foundation.tanh(x) }

    /// Applies a Double formula elementwise (any shape), rounding each result to Float.
    public static func map(_ x: Tensor, _ f: (Double) -> Double) -> Tensor {
        Tensor(shape: x.shape, storage: x.storage.map { Float(f(Double($0))) })
    }

    // MARK: Rotary

    /// invFreq[i] = 1 / base^(2i / rotaryDim), i < rotaryDim / 2, in Double.
    public static func ropeInverseFrequencies(rotaryDim: Int, base: Double) -> [Double] {
        (0..<(rotaryDim / 2)).map { 1 / Foundation.pow(base, Double(2 * $0) / Double(rotaryDim)) }
    }

    /// cos / sin [n, rotaryDim] of HF's float32 angle Float(pos)·invFreq, as emb = cat(freqs, freqs)
    /// (`.halves`) or repeat_interleave(freqs, 2) (`.interleaved`, GPT-J).
    public static func ropeTables(positions: [Int], inverseFrequencies: [Float], attentionScaling: Float = 1,
                                  layout: RotaryLayout = .halves) -> (cos: Tensor, sin: Tensor) {
        let half = inverseFrequencies.count
        var c = [Float](), s = [Float]()
        for pos in positions {
            let angles = inverseFrequencies.map { Double(Float(pos) * $0) }
            let cr = angles.map { Float(Foundation.cos($0)) * attentionScaling }
            let sr = angles.map { Float(Foundation.sin($0)) * attentionScaling }
            switch layout {
            case .halves: c += cr + cr; s += sr + sr
            case .interleaved: c += cr.flatMap { [$0, $0] }; s += sr.flatMap { [$0, $0] }
            }
        }
        return (Tensor(shape: [positions.count, 2 * half], storage: c),
                Tensor(shape: [positions.count, 2 * half], storage: s))
    }

    /// x [n, heads, headDim]: first rotaryDim dims → x·cos + rotated·sin, rotated = cat(−x2, x1)
    /// (`.halves`) or (−x1, x0, −x3, x2, …) (`.interleaved`); the rest unchanged.
    public static func applyRotary(_ x: Tensor, cos: Tensor, sin: Tensor, layout: RotaryLayout = .halves) -> Tensor {
        let heads = x.shape[1], headDim = x.shape[2], rotaryDim = cos.shape[1], half = rotaryDim / 2
        var y = x
        for t in 0..<x.shape[0] {
            for h in 0..<heads {
                let base = (t * heads + h) * headDim
                for j in 0..<rotaryDim {
                    let rotated: Float = switch layout {
                    case .halves: j < half ? -x.storage[base + j + half] : x.storage[base + j - half]
                    case .interleaved: j % 2 == 0 ? -x.storage[base + j + 1] : x.storage[base + j - 1]
                    }
                    y.storage[base + j] = x.storage[base + j] * cos[t, j] + rotated * sin[t, j]
                }
            }
        }
        return y
    }

    // MARK: Elementwise

    /// a + b, same shape.
    public static func added(_ a: Tensor, _ b: Tensor) -> Tensor {
        Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map { $0 + $1 })
    }

    /// a [n, d] + row [d] broadcast over rows.
    public static func addRow(_ a: Tensor, _ row: Tensor) -> Tensor {
        let d = a.dim(-1)
        var y = a
        for i in 0..<a.count { y.storage[i] += row.storage[i % d] }
        return y
    }

    /// a · s.
    public static func scaled(_ a: Tensor, _ s: Float) -> Tensor {
        Tensor(shape: a.shape, storage: a.storage.map { $0 * s })
    }

    /// Σ of finite entries in Double.
    public static func finiteSum(_ a: Tensor) -> Double {
        a.storage.filter(\.isFinite).map(Double.init).reduce(0, +)
    }
}
