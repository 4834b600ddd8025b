import GlassboxRuntime
import GlassboxTensor

/// The backward of `y = x·W + b` under the `.gradient` and `.gamma` rules.
enum LinearRules {
    /// `g_in [m, in]` from `g_out [m, out]`.
    ///
    /// - `.gradient`: `g_in = g_out · Wᵀ` — ε-LRP with ε = 0, the bias in the denominator absorbing
    ///   its share `b·R/z` (Arras et al. 2025, §3; docs/methods.md §2.1).
    /// - `.gamma(γ)`: zennit's generalized Gamma (`zennit.rules.Gamma`) in LXT's gradient × input form.
    ///   `input` is `x [m, in]`; the output `z = x·W + b` is recomputed (bitwise as in the forward).
    static func backward(_ linear: Linear, _ gOut: Tensor, rule: RelevanceRule, input: () throws -> Tensor) rethrows -> Tensor {
        switch rule {
        case .gamma(let gamma):
            return gammaBackward(linear, gOut, gamma: gamma, input: try input())
        default:
            return gradientBackward(linear, gOut)
        }
    }

    /// `g_out · Wᵀ`: `[m, out] · W[in, out]ᵀ`, or `[m, out] · W[out, in]`. Rows of `g_out` that are
    /// all zero (above the explained position of the last block, say) give zero rows: when they are
    /// the majority only the others are multiplied.
    ///
    /// Rows with only a few non-zero outputs each (logit seeds at the `[V]`-wide output layer) are
    /// summed from those outputs' weights, `Σ_k g_k · W[:, k]`, instead of reading all of `W` (in
    /// `[rows of W]` order, so each sum is the product's: every other term is an exact zero).
    static func gradientBackward(_ linear: Linear, _ gOut: Tensor) -> Tensor {
        let transpose = linear.layout == .inOut
        let out = gOut.dim(-1), rows = gOut.count / max(out, 1)
        if rows <= 256, let nonzero = fewOutputs(gOut, rows: rows, out: out) {
            let inputs = linear.inFeatures
            var result = Tensor.zeros(Array(gOut.shape.dropLast()) + [inputs])
            for (r, outputs) in nonzero.enumerated() {
                for k in outputs {                                       // ascending output index
                    let g = gOut.storage[r * out + k]
                    let w = linear.layout == .outIn ? linear.weight.row(k).storage
                        : (0..<inputs).map { linear.weight[$0, k] }          // W[in, out]: column k
                    for j in 0..<inputs { result.storage[r * inputs + j] += g * w[j] }
                }
            }
            return result
        }
        let matrix = gOut.reshaped([rows, out])
        guard let live = sparseRows(matrix) else { return matmul(gOut, linear.weight, transposeB: transpose) }
        let product = matmul(matrix.gatherRows(live), linear.weight, transposeB: transpose)
        return product.scatterRows(live, count: rows).reshaped(Array(gOut.shape.dropLast()) + [product.shape[1]])
    }

    /// Per row of `g [rows, out]`, its non-zero outputs, when every row has fewer than `out / 256`;
    /// nil as soon as one has more.
    static func fewOutputs(_ g: Tensor, rows: Int, out: Int) -> [[Int]]? {
        g.withUnsafeBufferPointer { p in
            var all: [[Int]] = []
            for r in 0..<rows {
                var outputs: [Int] = []
                for k in 0..<out where p[r * out + k] != 0 {
                    outputs.append(k)
                    if outputs.count * 256 >= out { return nil }
                }
                all.append(outputs)
            }
            return all
        }
    }

    /// The rows of `g [rows, …]` that are not entirely zero, when they are fewer than half of them
    /// (the top layer's gradient, nonzero only at the explained positions); nil otherwise. A zero
    /// row stays zero through every step of a sweep but attention, so those steps may skip it.
    static func sparseRows(_ g: Tensor) -> [Int]? {
        let rows = g.shape.first ?? 0, size = g.rowSize
        var live: [Int] = []
        g.withUnsafeBufferPointer { p in
            for r in 0..<rows where (0..<size).contains(where: { p[r * size + $0] != 0 }) {
                live.append(r)
                if live.count * 2 >= rows { return }
            }
        }
        return live.count * 2 < rows ? live : nil
    }

    /// Generalized Gamma (Montavon et al. 2019; Andéol et al. 2021) exactly as `zennit.rules.Gamma`
    /// (zennit 0.5.1) under LXT's `zennit_patches.backward`:
    ///
    /// `R = z ⊙ g_out`; with `W± = W + γ·max/min(W, 0)`, `b± = b + γ·max/min(b, 0)`, `x⁺ = max(x, 0)`,
    /// `x⁻ = min(x, 0)`:
    /// `o₀ = x⁺W⁺ + b⁺`, `o₁ = x⁻W⁻`, `o₂ = x⁺W⁻ + b⁻`, `o₃ = x⁻W⁺`;
    /// `s₊ = [z > 0]·R / stab(o₀ + o₁)`, `s₋ = [z < 0]·R / stab(o₂ + o₃)` with zennit's sign-aware
    /// `stab(v) = v + 1e-6·sign(v)` (sign 0 counted +);
    /// `R_in = x⁺ ⊙ (s₊W⁺ᵀ + s₋W⁻ᵀ) + x⁻ ⊙ (s₊W⁻ᵀ + s₋W⁺ᵀ)`; `g_in = R_in / (x + 1e-10·sign x)`.
    static func gammaBackward(_ linear: Linear, _ gOut: Tensor, gamma: Float, input x: Tensor) -> Tensor {
        gammaBackwardAccounted(linear, gOut, gamma: gamma, input: x).gradient
    }

    /// `gammaBackward`, plus what the rule keeps: `Σ z ⊙ g_out − Σ x ⊙ g_in` (the modified bias and
    /// the stabiliser's share; fp64 sums).
    static func gammaBackwardAccounted(_ linear: Linear, _ gOut: Tensor, gamma: Float,
                                       input x: Tensor) -> (gradient: Tensor, kept: Double) {
        let transpose = linear.layout == .outIn
        let w = linear.weightFloat32
        let wPlus = map(w) { $0 + gamma * max($0, 0) }, wMinus = map(w) { $0 + gamma * min($0, 0) }
        let bPlus = linear.bias.map { b in map(b) { $0 + gamma * max($0, 0) } }
        let bMinus = linear.bias.map { b in map(b) { $0 + gamma * min($0, 0) } }
        let xPos = map(x) { max($0, 0) }, xNeg = map(x) { min($0, 0) }
        let z = matmul(x, w, transposeB: transpose, bias: linear.bias)                     // [m, out]
        let positive = zip2(matmul(xPos, wPlus, transposeB: transpose, bias: bPlus),
                            matmul(xNeg, wMinus, transposeB: transpose), +)            // o₀ + o₁
        let negative = zip2(matmul(xPos, wMinus, transposeB: transpose, bias: bMinus),
                            matmul(xNeg, wPlus, transposeB: transpose), +)             // o₂ + o₃
        var sPos = z, sNeg = z
        for i in 0..<z.count {
            let zi = z.storage[i], r = zi * gOut.storage[i]
            sPos.storage[i] = zi > 0 ? r / stabilize(positive.storage[i], 1e-6) : 0
            sNeg.storage[i] = zi < 0 ? r / stabilize(negative.storage[i], 1e-6) : 0
        }
        // Back through each modified weight: [m, out] → [m, in].
        let back = { (s: Tensor, weight: Tensor) in matmul(s, weight, transposeB: !transpose) }
        let throughPos = zip2(back(sPos, wPlus), back(sNeg, wMinus), +)                 // reaches x⁺
        let throughNeg = zip2(back(sPos, wMinus), back(sNeg, wPlus), +)                 // reaches x⁻
        var gIn = x
        var kept = 0.0
        for i in 0..<z.count { kept += Double(z.storage[i]) * Double(gOut.storage[i]) }
        for i in 0..<x.count {
            let r = xPos.storage[i] * throughPos.storage[i] + xNeg.storage[i] * throughNeg.storage[i]
            gIn.storage[i] = r / stabilize(x.storage[i], 1e-10)
            kept -= Double(x.storage[i]) * Double(gIn.storage[i])
        }
        return (gIn, kept)
    }

    /// zennit `stabilize`: `v + ε·sign(v)`, with sign(0) = +1.
    @inline(__always)
    static func stabilize(_ v: Float, _ epsilon: Float) -> Float { v >= 0 ? v + epsilon : v - epsilon }

    private static func map(_ t: Tensor, _ f: (Float) -> Float) -> Tensor {
        Tensor(shape: t.shape, storage: t.storage.map(f))
    }

    private static func zip2(_ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float) -> Tensor {
        Tensor(shape: a.shape, storage: zip(a.storage, b.storage).map(f))
    }
}
