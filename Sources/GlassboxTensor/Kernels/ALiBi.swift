/// ALiBi (Press et al. 2022, "Train Short, Test Long"), as transformers' `build_alibi_tensor`
/// (models/bloom/modeling_bloom.py) adds it: head `h`'s score of key position `j` gains
/// `slope_h · j`, the same for every query row (softmax is shift-invariant per row, so this equals
/// the paper's `slope_h · (j − i)` after the softmax; the scores hold transformers' values).

/// `row[c] += slope · Float(keys.lowerBound + c)` for the `keys.count` entries of one score row
/// whose key positions are `keys` (the float32 product `slope · j` is transformers' alibi entry).
@inline(__always)
public func addKeyPositionBias(_ row: UnsafeMutablePointer<Float>, keys: Range<Int>, slope: Float) {
    let first = keys.lowerBound
    for c in 0..<keys.count { row[c] += slope * Float(first + c) }
}

/// Where ALiBi's key positions count from. Softmax is shift-invariant per row, so both give the same
/// pattern (up to float rounding); they differ in the scores `hook_attn_scores` holds.
public enum ALiBiOrigin: Sendable, Equatable {
    /// Key `j` at `slope · j` (BLOOM's `build_alibi_tensor` over the attention mask's cumsum).
    case firstKey
    /// Key `j` of `k` at `slope · (j − (k − 1))`, the last key at 0: MPT's `build_mpt_alibi_tensor`
    /// (`arange(1 − L, 1)` over `max_seq_len`, which `MptAttention` slices to the last `k` keys).
    case lastKey

    /// The key positions the bias multiplies for a row of `k` keys.
    public func positions(keys k: Int) -> Range<Int> {
        switch self {
        case .firstKey: 0..<k
        case .lastKey: (1 - k)..<1
        }
    }
}

/// Adds ALiBi to scores `[heads, q, k]` (any leading shape whose product is `slopes.count`; keys at
/// positions `0..<k`) in place: entry `[h, i, j]` gains `slopes[h] · j` (`origin` `.lastKey`:
/// `slopes[h] · (j − (k − 1))`).
public func addALiBi(_ scores: inout Tensor, slopes: [Float], origin: ALiBiOrigin = .firstKey) {
    precondition(scores.rank >= 2, "addALiBi: scores must be [..., q, k], got \(scores.shape)")
    let k = scores.dim(-1)
    let rowsPerHead = scores.dim(-2)
    precondition(scores.count == slopes.count * rowsPerHead * k,
                 "addALiBi: \(slopes.count) slopes for scores \(scores.shape)")
    scores.withUnsafeMutableBufferPointer { buf in
        guard let base = buf.baseAddress else { return }
        for (h, slope) in slopes.enumerated() {
            for i in 0..<rowsPerHead {
                addKeyPositionBias(base + (h * rowsPerHead + i) * k, keys: origin.positions(keys: k), slope: slope)
            }
        }
    }
}
