import Foundation

extension NaiveKernels {
    // MARK: Attention

    /// z [n, H, dh] = softmax(mask(scale · q_h · k_gᵀ)) · v_g for every head `h` (key/value head
    /// `g = h ÷ (H/Hkv)`), one query row at a time in Double: the oracle of `blockedAttention` and
    /// of the forward's unblocked path. q: `[n, H, dh]`; k, v: `[m, Hkv, dh]`; the mask uses the
    /// offset `m − n` as `applyMask` does; a row that sees no key gives zeros.
    public static func attention(q: Tensor, k: Tensor, v: Tensor, scale: Float, mask: AttentionMaskKind) -> Tensor {
        let (n, heads, dh) = (q.shape[0], q.shape[1], q.shape[2])
        let (m, kvHeads) = (k.shape[0], k.shape[1])
        let group = heads / kvHeads
        var z = [Float](repeating: 0, count: n * heads * dh)
        for h in 0..<heads {
            let g = h / group
            for i in 0..<n {
                let last = i + (m - n)
                var scores = [Double](repeating: -.infinity, count: m)
                for j in 0..<m {
                    let hidden: Bool = switch mask {
                    case .none: false
                    case .causal: j > last
                    case .slidingWindow(let w): j > last || last - j >= w
                    case .bidirectionalWindow(let r): abs(last - j) > r
                    }
                    if hidden { continue }
                    var s = 0.0
                    for t in 0..<dh {
                        s += Double(q.storage[(i * heads + h) * dh + t]) * Double(k.storage[(j * kvHeads + g) * dh + t])
                    }
                    scores[j] = Double(scale) * s
                }
                let top = scores.max() ?? -.infinity
                guard top > -.infinity else { continue }
                let e = scores.map { Foundation.exp($0 - top) }
                let total = e.reduce(0, +)
                for t in 0..<dh {
                    var acc = 0.0
                    for j in 0..<m where e[j] > 0 { acc += e[j] * Double(v.storage[(j * kvHeads + g) * dh + t]) }
                    z[(i * heads + h) * dh + t] = Float(acc / total)
                }
            }
        }
        return Tensor(shape: [n, heads, dh], storage: z)
    }
}
