import Foundation
import GlassboxRuntime

/// The work of AtMan's batched passes, for its time estimate: a pass that suppresses keys from
/// position `s` on reuses the unchanged prefix and recomputes rows `s…n−1` (all `n` rows in a
/// bidirectional model), each through every layer. A row costs its matrix products (`rowWeight`
/// multiply-adds a layer) plus its attention over the keys before it (`keyWeight` a key and layer;
/// row `p` of a causal model reads `p + 1` keys, a bidirectional one `n`), so suffix passes get
/// cheaper as the suppressed position moves right. Timed passes calibrate the units.
public struct AtManCost: Sendable, Equatable {
    /// Multiply-adds of one row through one layer outside attention (projections and MLP).
    public let rowWeight: Double
    /// Multiply-adds of one row against one key in one layer (scores and weighted sum, all heads).
    public let keyWeight: Double

    /// The weights of `architecture`: `d·(2·q + 2·kv) + 3·d·d_ff` a row (the q, k, v and output
    /// projections and up to three MLP matrices) and `2·H·d_head` a key.
    public init(_ architecture: Architecture) {
        let a = architecture
        let (q, kv) = (Double(a.heads * a.headDim), Double(a.kvHeads * a.headDim))
        rowWeight = Double(a.dModel) * (2 * q + 2 * kv) + 3 * Double(a.dModel) * Double(a.dFF)
        keyWeight = 2 * Double(a.heads * a.headDim)
    }

    /// Weights given directly (tests).
    public init(rowWeight: Double, keyWeight: Double) {
        (self.rowWeight, self.keyWeight) = (rowWeight, keyWeight)
    }

    /// The cost (multiply-adds per layer) of a pass recomputing rows `start…length−1`:
    /// `rowWeight·(n − s) + keyWeight·Σ_{p=s}^{n−1} keys(p)`, with `keys(p) = p + 1` when `causal`
    /// (so the sum is `(n(n+1) − s(s+1)) / 2`), else `n` (and `s` taken as 0). 0 when `s ≥ n`.
    public func pass(start: Int, length n: Int, causal: Bool) -> Double {
        let s = causal ? min(max(start, 0), n) : 0
        let rows = Double(n - s)
        let keys = causal ? (Double(n) * Double(n + 1) - Double(s) * Double(s + 1)) / 2 : rows * Double(n)
        return rowWeight * rows + keyWeight * keys
    }

    /// The time of passes starting at `starts`, from timed ones: `seconds` for the passes starting
    /// at `timedStarts`, scaled by the ratio of the summed ``pass(start:length:causal:)`` costs.
    public func seconds(starts: [Int], length n: Int, causal: Bool, timedStarts: [Int], timedSeconds seconds: Double) -> Double {
        let timed = timedStarts.reduce(0) { $0 + pass(start: $1, length: n, causal: causal) }
        guard timed > 0 else { return 0 }
        return seconds * starts.reduce(0) { $0 + pass(start: $1, length: n, causal: causal) } / timed
    }
}
