import GlassboxTensor

extension ActivationCache {
    /// The activations of the first `length` positions, as a forward pass over only those positions
    /// would have captured them in a causal model (docs/methods.md §12: position `i` of a causal
    /// model reads only positions `≤ i`, so the full pass's rows `0..<length` are the prefix's).
    ///
    /// Position-major tensors `[n, …]` keep rows `0..<length`; attention scores and patterns
    /// `[H, n, n]` keep the `[H, length, length]` corner; the output layer's points
    /// (`unembed.hook_in|hook_out`, `[rows, …]` over the logit rows) keep row `logitRow` only
    /// (nil: they are dropped).
    ///
    /// - Returns: nil when a captured tensor does not have the positions on its first axis
    ///   (mixture-of-experts points hold only the routed tokens), so the caller runs the prefix instead.
    public func prefix(_ length: Int, logitRow: Int?) -> ActivationCache? {
        packedPrefixes([length], logitRows: logitRow.map { $0..<($0 + 1) }, including: { _ in true })
    }

    /// `[H, n, n]` → `[H, m, m]`: the top-left corner of every head's matrix.
    static func corner(_ t: Tensor, length m: Int) -> Tensor {
        let (heads, n) = (t.shape[0], t.shape[1])
        var storage = [Float](); storage.reserveCapacity(heads * m * m)
        for h in 0..<heads { for i in 0..<m { storage += t.storage[((h * n + i) * n)..<((h * n + i) * n + m)] } }
        return Tensor(shape: [heads, m, m], storage: storage)
    }
}

extension ForwardResult {
    /// This causal pass as seen by a pass over its first `length` positions with one logit row:
    /// the cache's prefix (`ActivationCache.prefix`), logit row `logitRow` `[1, V]` (whose position
    /// must be below `length`) and the first `length` hidden rows. nil where `ActivationCache.prefix` is.
    public func prefix(_ length: Int, logitRow: Int) -> ForwardResult? {
        guard let cache = cache.prefix(length, logitRow: logitRow) else { return nil }
        precondition(logitRow < logitPositions.count && logitPositions[logitRow] < length,
                     "logit row \(logitRow) is not within the prefix of \(length)")
        return ForwardResult(logits: logits?.rows(logitRow..<(logitRow + 1)), logitPositions: [logitPositions[logitRow]],
                             hidden: hidden.rows(0..<length), pooled: nil, cache: cache)
    }
}
