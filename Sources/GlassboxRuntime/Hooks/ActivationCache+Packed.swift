import GlassboxTensor

extension ActivationCache {
    /// Several prefixes of this causal pass laid end to end (docs/methods.md §12, "packed
    /// sweeps"): prefix `t` of `lengths[t]` positions occupies rows `Σ_{s<t} lengths[s] ..<` of
    /// every position-major tensor `[n, …]` → `[Σ lengths, …]` (one prefix: `prefix(_:logitRow:)`).
    /// The output layer's points (`[rows, …]` over the logit rows) keep `logitRows`, in order (nil:
    /// they are dropped). Attention scores and patterns `[H, n, n]` of a single prefix keep their
    /// `[H, m, m]` corner. Only points `including` accepts are packed. `positions` is the pass's
    /// length `n` (default: its input ids; a cache of `forwardBlock` has none).
    ///
    /// - Returns: nil when a packed tensor does not have the positions on its first axis (a mixture's
    ///   routed-token points, or `[H, n, n]` scores and patterns of several prefixes), so the caller
    ///   runs the prefixes one by one instead.
    public func packedPrefixes(_ lengths: [Int], positions: Int? = nil, logitRows: Range<Int>?,
                               including: (HookPoint) -> Bool) -> ActivationCache? {
        let n = positions ?? inputIDs.count
        precondition(lengths.allSatisfy { $0 >= 1 && $0 <= n }, "prefixes \(lengths) of \(n) positions")
        var out = ActivationCache(inputIDs: inputIDs.isEmpty ? [] : lengths.flatMap { inputIDs.prefix($0) })
        for (point, tensor) in entries where including(point) {
            switch point {
            case .unembedIn, .unembedOut:
                guard let logitRows else { continue }
                out.record(point, tensor.rows(logitRows))
            case .block(_, .attnScores), .block(_, .pattern):
                guard lengths.count == 1 else { return nil }
                out.record(point, Self.corner(tensor, length: lengths[0]))         // [H, n, n] → [H, m, m]
            case .poolerOut:
                continue
            default:
                guard tensor.shape.first == n else { return nil }
                out.record(point, Self.packRows(tensor, lengths))
            }
        }
        return out
    }

    /// `[n, …]` → `[Σ lengths, …]`: rows `0..<lengths[t]` for each `t`, end to end.
    static func packRows(_ t: Tensor, _ lengths: [Int]) -> Tensor {
        let size = t.rowSize
        var shape = t.shape
        shape[0] = lengths.reduce(0, +)
        return Tensor(shape: shape) { dst in
            t.withUnsafeBufferPointer { src in
                var offset = 0
                for m in lengths {
                    (dst.baseAddress! + offset).update(from: src.baseAddress!, count: m * size)
                    offset += m * size
                }
            }
        }
    }
}
