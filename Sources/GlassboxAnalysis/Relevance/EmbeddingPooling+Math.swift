import Foundation
import GlassboxModelIO
import GlassboxTensor

extension EmbeddingPooling {
    /// The pooled embedding `[modes.count · d]` of a hidden state `[n, d]` (fp64 accumulation),
    /// the modes' vectors concatenated in order, rounded to Float.
    public func pool(_ hidden: Tensor) -> [Float] { poolExactly(hidden).map { Float($0) } }

    /// `pool` before rounding: fp64 values.
    public func poolExactly(_ hidden: Tensor) -> [Double] {
        let n = hidden.shape[0], d = hidden.shape[1]
        var out: [Double] = []
        out.reserveCapacity(modes.count * d)
        for mode in modes {
            for j in 0..<d {
                switch mode {
                case .max:
                    out.append(Double(hidden.storage[Self.argmax(hidden, column: j) * d + j]))
                case .cls, .lastToken:
                    out.append(Double(hidden.storage[(mode == .cls ? 0 : n - 1) * d + j]))
                case .mean, .meanSqrtLen, .weightedMean:
                    var sum = 0.0
                    for t in 0..<n { sum += Self.weight(mode, row: t, rows: n) * Double(hidden.storage[t * d + j]) }
                    out.append(mode == .mean ? sum / Double(n) : sum)
                }
            }
        }
        return out
    }

    /// The gradient at the hidden state `[n, d]` of a scalar whose gradient at the pooled embedding
    /// is `g` `[modes.count · d]`: each mode's linear weights, and for `max` the whole of `g` to the
    /// row holding the maximum (the gradient of `torch.max`, also LRP's winner-takes-all rule).
    public func backward(_ g: [Double], hidden: Tensor) -> Tensor {
        let n = hidden.shape[0], d = hidden.shape[1]
        var out = [Double](repeating: 0, count: n * d)
        for (m, mode) in modes.enumerated() {
            for j in 0..<d {
                let gj = g[m * d + j]
                switch mode {
                case .max: out[Self.argmax(hidden, column: j) * d + j] += gj
                case .cls: out[j] += gj
                case .lastToken: out[(n - 1) * d + j] += gj
                case .mean: for t in 0..<n { out[t * d + j] += gj / Double(n) }
                case .meanSqrtLen, .weightedMean:
                    for t in 0..<n { out[t * d + j] += gj * Self.weight(mode, row: t, rows: n) }
                }
            }
        }
        return Tensor(shape: [n, d], storage: out.map { Float($0) })
    }

    /// The share of `hidden[t, j]` in each pooled value it enters, `w·h[t, j] / a[m·d + j]` summed
    /// with `contribution[m·d + j]` as weights: the z-rule through the pooling (Chefer et al.'s
    /// rule for sums) of the pooled relevance `contribution` `[modes.count · d]`, giving `[n, d]`.
    public func zRule(_ contribution: [Float], pooled a: [Float], hidden: Tensor, divide: (Float, Float) -> Float) -> Tensor {
        let n = hidden.shape[0], d = hidden.shape[1]
        var out = Tensor.zeros([n, d])
        for (m, mode) in modes.enumerated() {
            for j in 0..<d {
                let k = m * d + j
                switch mode {
                case .max: out[Self.argmax(hidden, column: j), j] += contribution[k]
                case .cls: out[0, j] += contribution[k]
                case .lastToken: out[n - 1, j] += contribution[k]
                case .mean, .meanSqrtLen, .weightedMean:
                    for t in 0..<n {
                        let h = hidden[t, j]
                        let share = mode == .mean ? h / Float(n) : h * Float(Self.weight(mode, row: t, rows: n))
                        out[t, j] += divide(share, a[k]) * contribution[k]
                    }
                }
            }
        }
        return out
    }

    /// The weight of row `t` of `rows` in a summing mode: `1` for mean (divided afterwards),
    /// `1/√n` for mean_sqrt_len, `(t+1) / Σ(t+1)` for weightedmean.
    static func weight(_ mode: Mode, row t: Int, rows n: Int) -> Double {
        switch mode {
        case .meanSqrtLen: 1 / Double(n).squareRoot()
        case .weightedMean: Double(t + 1) / (Double(n) * Double(n + 1) / 2)
        default: 1
        }
    }

    /// The first row holding column `j`'s maximum of `[n, d]`.
    static func argmax(_ hidden: Tensor, column j: Int) -> Int {
        let n = hidden.shape[0], d = hidden.shape[1]
        var best = 0
        for t in 1..<max(n, 1) where hidden.storage[t * d + j] > hidden.storage[best * d + j] { best = t }
        return best
    }
}
