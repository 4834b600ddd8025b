/// Which attention entries are hidden before the softmax.
public enum AttentionMaskKind: Sendable, Equatable {
    /// Every query sees every key.
    case none
    /// Query `i` sees keys `0 ... i + (k - q)`: with a KV cache (q < k) the last query sees all keys.
    case causal
    /// Causal, and query `i` sees only the `window` most recent keys: key `j` is visible iff
    /// `j ≤ i'` and `i' − j < window`, with `i' = i + (k − q)` (Mistral/Qwen2 sliding windows, as
    /// `transformers`' `sliding_window_overlay`).
    case slidingWindow(Int)
    /// Bidirectional, and query `i` sees only keys within `radius` positions on either side: key `j`
    /// is visible iff `|i' − j| ≤ radius`, with `i' = i + (k − q)` (ModernBERT's local layers,
    /// `ModernBertModel._update_attention_mask`: `distance <= local_attention // 2`; radius ≥ 0).
    case bidirectionalWindow(Int)

    /// The keys `0..<keys` that the query at position `last` (`i' = i + (k − q)`) sees; may be empty.
    @inline(__always)
    public func visibleKeys(last: Int, keys: Int) -> Range<Int> {
        switch self {
        case .none: return 0..<keys
        case .causal: return 0..<min(keys, max(0, last + 1))
        case .slidingWindow(let w):
            let upper = min(keys, max(0, last + 1))
            return min(upper, max(0, last - w + 1))..<upper
        case .bidirectionalWindow(let r):
            let upper = min(keys, max(0, last + r + 1))
            return min(upper, max(0, last - r))..<upper
        }
    }
}

/// Applies `mask` to attention scores in place.
///
/// - Parameter scores: `[..., q, k]` (rank ≥ 2). With `.causal`, entries whose key index exceeds
///   `query index + (k - q)` become `-infinity`; `.slidingWindow(w)` also hides keys `w` or more
///   positions back; `.bidirectionalWindow(r)` hides keys more than `r` positions away on either
///   side; other entries are untouched. When `q > k` the first `q - k` query rows are
///   entirely masked (and `softmaxLastDim` turns them into zeros).
public func applyMask(_ scores: inout Tensor, _ mask: AttentionMaskKind) {
    switch mask {
    case .none: return
    case .causal: break
    case .slidingWindow(let w):
        precondition(w > 0, "applyMask: the sliding window must be positive, got \(w)")
    case .bidirectionalWindow(let r):
        precondition(r >= 0, "applyMask: the window radius must not be negative, got \(r)")
    }
    precondition(scores.rank >= 2, "applyMask: scores must be [..., q, k], got \(scores.shape)")
    let q = scores.dim(-2), k = scores.dim(-1)
    guard q > 0, k > 0 else { return }
    let matrices = scores.count / (q * k)
    let offset = k - q
    scores.withUnsafeMutableBufferPointer { buf in
        let p = buf.baseAddress!
        for mIndex in 0..<matrices {
            let base = p + mIndex * q * k
            for i in 0..<q {
                let visible = mask.visibleKeys(last: i + offset, keys: k)
                if visible.upperBound < k {
                    (base + i * k + visible.upperBound).update(repeating: -.infinity, count: k - visible.upperBound)
                }
                if visible.lowerBound > 0 {
                    (base + i * k).update(repeating: -.infinity, count: visible.lowerBound)
                }
            }
        }
    }
}

/// Softmax over the last dimension, in place.
///
/// - Parameter x: `[..., d]`; each length-`d` row is replaced by `exp(x - max) / Σ exp(x - max)`.
///   `-infinity` entries become exactly 0, and a row that is entirely `-infinity` becomes all zeros
///   (no NaN). A NaN anywhere in a row makes the whole row NaN, also when the other entries are
///   all `-infinity` (PyTorch's softmax does the same).
public func softmaxLastDim(_ x: inout Tensor) {
    guard x.count > 0 else { return }
    let d = x.rank == 0 ? 1 : x.dim(-1)
    x.withUnsafeMutableBufferPointer { softmaxRows($0, rowLength: d) }
}

/// Softmax of each consecutive `rowLength`-float row of `x`, in place (see `softmaxLastDim`).
///
/// - Parameters:
///   - x: `rows · rowLength` floats, row-major.
///   - rowLength: `d`, the length of the softmax axis (> 0, must divide `x.count`).
///
/// Each row runs the C kernel of the current ``KernelVariant``: its max, then exp(x − max)
/// (`VectorMath.exp`, 16 lanes, tail padded with −inf) with a 16-lane running sum reduced
/// pairwise, then a multiply by 1/sum. Rows are spread over `parallelFor` workers when there are
/// more than ~32 Ki floats.
public func softmaxRows(_ x: UnsafeMutableBufferPointer<Float>, rowLength: Int) {
    guard let base = x.baseAddress, x.count > 0 else { return }
    precondition(rowLength > 0 && x.count % rowLength == 0,
                 "softmaxRows: \(x.count) floats are not whole rows of \(rowLength)")
    let rows = x.count / rowLength
    let kernels = KernelTable.current
    let ptr = SendablePointer(base)
    let rowsPerBlock = max(1, (1 << 15) / rowLength)
    parallelChunks(rows, grain: rowsPerBlock) { range in
        kernels.softmaxRows(ptr.base + range.lowerBound * rowLength, rows: range.count, d: rowLength)
    }
}

/// `softmaxRows` on the calling thread only: `rows` rows of `rowLength` (> 0) floats at `x`, in
/// place, with the same C kernel (for `parallelFor` bodies, which must not fan out again).
public func softmaxRowsSerial(_ x: UnsafeMutablePointer<Float>, rows: Int, rowLength: Int) {
    guard rows > 0 else { return }
    precondition(rowLength > 0, "softmaxRowsSerial: the row length must be positive")
    KernelTable.current.softmaxRows(x, rows: rows, d: rowLength)
}
