import GlassboxTensor

/// How the heads of one layer's attention become one matrix.
public enum HeadFusion: Sendable, Equatable, CustomStringConvertible {
    /// `(1/H) Σ_h A_h` — the official rollout (Abnar & Zuidema 2020).
    case mean
    /// Elementwise max over heads (jacobgil/vit-explain).
    case max
    /// Elementwise min over heads (jacobgil/vit-explain).
    case min
    /// One head.
    case head(Int)

    /// `mean`, `max`, `min` or `head h`, for provenance.
    public var description: String {
        switch self {
        case .mean: "mean"
        case .max: "max"
        case .min: "min"
        case .head(let h): "head \(h)"
        }
    }

    /// Fuses `pattern [H, n, n]` (optionally restricted to `heads`) into `[n, n]`.
    public func fuse(_ pattern: Tensor, heads: [Int]? = nil) -> Tensor {
        precondition(pattern.rank == 3, "fuse: pattern must be [H, n, n], got \(pattern.shape)")
        let (count, n) = (pattern.shape[0], pattern.shape[1])
        let size = n * pattern.shape[2]
        let chosen: [Int] = if case .head(let h) = self { [h] } else { heads ?? Array(0..<count) }
        precondition(!chosen.isEmpty && chosen.allSatisfy { $0 >= 0 && $0 < count }, "fuse: heads \(chosen) out of 0..<\(count)")
        var out = Tensor(shape: [n, pattern.shape[2]], storage: Array(pattern.storage[(chosen[0] * size)..<((chosen[0] + 1) * size)]))
        out.withUnsafeMutableBufferPointer { o in
            pattern.withUnsafeBufferPointer { p in
                for h in chosen.dropFirst() {
                    let head = p.baseAddress! + h * size
                    switch self {
                    case .mean, .head: for i in 0..<size { o[i] += head[i] }
                    case .max: for i in 0..<size { o[i] = Swift.max(o[i], head[i]) }
                    case .min: for i in 0..<size { o[i] = Swift.min(o[i], head[i]) }
                    }
                }
                if case .mean = self, chosen.count > 1 {
                    let scale = 1 / Float(chosen.count)
                    for i in 0..<size { o[i] *= scale }
                }
            }
        }
        return out
    }
}
