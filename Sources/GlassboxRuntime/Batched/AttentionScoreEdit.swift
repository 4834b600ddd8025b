import GlassboxTensor

/// A multiplicative edit of attention scores on chosen key columns: the manipulation of AtMan
/// (Deiseroth et al., *AtMan: Understanding Transformer Predictions Through Memory Efficient
/// Attention Manipulation*, NeurIPS 2023; `Aleph-Alpha/AtMan:atman-magma/atman_magma/manipulate_attention.py`).
///
/// For every head of every edited layer and every query row `i` that can see at least one edited
/// key, the scaled scores `S[i, :]` become `(S[i, j] − m_i) · F[j]` on the visible keys `j`, where
/// `F[j]` is the factor of key `j` (1 for keys not listed) and `m_i` the row's shift (`Shift`).
/// Masked keys stay masked. The whole key column is edited, for all query rows, as the reference's
/// factor tensor `F[b, :, :, j] = f` does.
///
/// Differences from the reference, all exact in real arithmetic:
/// - the reference edits the unscaled `q·kᵀ` and scales afterwards; a positive scale commutes with
///   the shift and the product, so editing the scaled scores is the same;
/// - the reference shifts *every* row; rows that see no edited key are left untouched here, since a
///   shift alone does not change a softmax. This keeps them bitwise equal to the unedited pass (the
///   locality a prefix cache relies on);
/// - the reference writes −10000 into masked entries and clamps at −10000; after the shift every
///   visible score is ≥ 0 (for factors ≥ 0), so −∞ gives the same softmax.
public struct AttentionScoreEdit: Sendable, Equatable {
    /// What is subtracted from a row before the factors multiply it.
    public enum Shift: Sendable, Equatable, CaseIterable {
        /// The minimum over the whole raw row, keys the query cannot see (causally-future, outside a
        /// sliding window) included: the official code's shift (the default), whose minimum runs
        /// before the causal mask is applied. Needs the unmasked row.
        case rowMinimum
        /// Glassbox's own variant: the minimum over the keys the query can see, so every visible
        /// score becomes 0 or more and a factor below 1 always moves a score down towards the
        /// smallest score the query actually sees. Equal to `.rowMinimum` when a query sees every
        /// key (bidirectional models).
        case visibleKeyMinimum
        /// No shift: scores are multiplied as they are (BLIP's ViT variant in the AtMan repository).
        /// A factor below 1 then *raises* negative scores.
        case none
    }

    /// The edited key positions.
    public let keys: [Int]
    /// One factor per key (`< 1` suppresses, `> 1` amplifies). A repeated key takes its last factor,
    /// as the reference's successive assignments do.
    public let factors: [Float]
    /// What is subtracted from each edited row before the factors multiply it.
    public let shift: Shift
    /// The layers edited (`nil`: every layer).
    public let layers: [Int]?

    /// An edit of the key columns `keys` by `factors` (one each; a precondition checks the
    /// counts match) in `layers` (nil: all). Ranges are checked by `forwardSuffixes`.
    public init(keys: [Int], factors: [Float], shift: Shift = .rowMinimum, layers: [Int]? = nil) {
        precondition(keys.count == factors.count, "AttentionScoreEdit: \(keys.count) keys but \(factors.count) factors")
        (self.keys, self.factors, self.shift, self.layers) = (keys, factors, shift, layers)
    }

    /// One factor for all `keys`.
    public init(keys: [Int], factor: Float, shift: Shift = .rowMinimum, layers: [Int]? = nil) {
        self.init(keys: keys, factors: Array(repeating: factor, count: keys.count), shift: shift, layers: layers)
    }

    /// True when layer `layer` is edited.
    public func edits(layer: Int) -> Bool { layers.map { $0.contains(layer) } ?? true }

    /// `F [n]`: the factor of every key position (1 where not edited).
    public func denseFactors(length n: Int) -> [Float] {
        var f = [Float](repeating: 1, count: n)
        for (k, factor) in zip(keys, factors) where k >= 0 && k < n { f[k] = factor }
        return f
    }

    /// Applies the edit to one layer's scaled, masked scores, as an `attn.hook_attn_scores`
    /// intervention would.
    ///
    /// - Parameters:
    ///   - scores: `[H, q, k]`, masked entries `-inf` (what `hook_attn_scores` carries). The visible
    ///     keys of each row must be contiguous (true for causal, sliding-window and full masks).
    ///   - layer: the layer the scores belong to (unedited layers are returned unchanged).
    ///   - rawScores: `[H, q, k]`, the same scores before masking; required for `.rowMinimum` (the
    ///     default shift), since the masked entries of `scores` no longer hold the row's minimum.
    public func apply(to scores: inout Tensor, layer: Int, rawScores: Tensor? = nil) {
        guard edits(layer: layer), scores.rank == 3 else { return }
        let (heads, q, k) = (scores.shape[0], scores.shape[1], scores.shape[2])
        if shift == .rowMinimum {
            precondition(rawScores?.shape == scores.shape, "AttentionScoreEdit: .rowMinimum needs the raw (unmasked) scores \(scores.shape); pass rawScores or use .visibleKeyMinimum")
        }
        let factors = denseFactors(length: k)
        let raw = rawScores?.storage ?? []
        scores.withUnsafeMutableBufferPointer { buf in
            factors.withUnsafeBufferPointer { f in
                for r in 0..<(heads * q) {
                    let row = buf.baseAddress! + r * k
                    guard let first = (0..<k).first(where: { row[$0].isFinite }),
                          let last = (0..<k).last(where: { row[$0].isFinite }) else { continue }
                    let rowMin = shift == .rowMinimum ? raw[(r * k)..<((r + 1) * k)].min()! : 0
                    editRow(row, visible: first..<(last + 1), factors: f.baseAddress!, rowMinimum: rowMin)
                }
            }
        }
    }

    /// Edits one row in place (the kernel both the hook path and the batched engine use).
    ///
    /// - Parameters:
    ///   - row: the scaled scores of one query; only `visible` is read or written.
    ///   - visible: the keys this query sees.
    ///   - factors: `F`, at least `visible.upperBound` floats.
    ///   - rowMinimum: the minimum of the raw (unmasked) row, used by `.rowMinimum`.
    /// - Returns: false (and leaves the row alone) when no edited key is visible.
    @discardableResult
    func editRow(_ row: UnsafeMutablePointer<Float>, visible: Range<Int>, factors: UnsafePointer<Float>,
                 rowMinimum: Float) -> Bool {
        guard keys.contains(where: { visible.contains($0) }) else { return false }
        let m: Float
        switch shift {
        case .visibleKeyMinimum:
            var v = Float.infinity
            for j in visible where row[j] < v { v = row[j] }
            m = v
        case .rowMinimum: m = rowMinimum
        case .none: m = 0
        }
        for j in visible { row[j] = (row[j] - m) * factors[j] }
        return true
    }
}
