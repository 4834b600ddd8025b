import GlassboxRuntime
import GlassboxTensor

/// Raw attention patterns per layer and head (Vig 2019's head and model views; the "raw
/// attention" baselines of Abnar & Zuidema 2020 and Chefer et al. 2021): post-softmax `A`, masked
/// keys at 0, in the eager path.
public enum AttentionMaps {
    /// One layer's patterns for the chosen heads.
    public struct Layer: Sendable, Equatable {
        /// Index of the layer, 0-based.
        public let layer: Int
        /// The heads kept, in order.
        public let heads: [Int]
        /// `[heads.count, n, n]` — or `[heads.count, m, m]` when pooled to `maxSize`.
        public let patterns: Tensor
        /// For pooled maps: the input positions `[start, end)` each output row/column covers.
        public let bins: [Range<Int>]
    }

    /// Runs the model once and keeps only the requested layers and heads. With `maxSize`, each
    /// `n × n` map larger than that is max-pooled to `maxSize × maxSize` as it streams by (so a
    /// 2,048-token input never holds more than one layer's full patterns).
    public static func collect(_ model: TransformerModel, _ input: ModelInput, layers: [Int]? = nil,
                               heads: [Int]? = nil, maxSize: Int? = nil) throws -> [Layer] {
        try collect(model, input, layers: layers, heads: heads, maxSize: maxSize, capturing: []).layers
    }

    /// `collect`, also keeping the activations at `points` from the same forward pass (the
    /// attention page's q and k), so the model runs once.
    public static func collect(_ model: TransformerModel, _ input: ModelInput, layers: [Int]? = nil, heads: [Int]? = nil,
                               maxSize: Int? = nil, capturing points: [HookPoint]) throws -> (layers: [Layer], cache: ActivationCache) {
        let arch = model.architecture
        let chosenLayers = layers ?? Array(0..<arch.layers)
        let chosenHeads = heads ?? Array(0..<arch.heads)
        for l in chosenLayers where l < 0 || l >= arch.layers { throw AnalysisError.layerOutOfRange(l, layers: arch.layers) }
        for h in chosenHeads where h < 0 || h >= arch.heads { throw AnalysisError.headOutOfRange(h, heads: arch.heads) }
        if let maxSize, maxSize < 1 { throw AnalysisError.invalidOption("the pooled size must be at least 1") }
        let collected = Collector([Int: Layer]())
        let forward = try PatternStream.run(model, input, layers: chosenLayers, capture: .points(points),
                                            logitRows: .positions([0])) { l, pattern in
            let n = pattern.shape[1]
            let bins = poolBins(n, maxSize ?? n)
            let size = n * n, m = bins.count
            let kept = Tensor(shape: [chosenHeads.count, m, m]) { out in
                pattern.withUnsafeBufferPointer { p in
                    for (slot, h) in chosenHeads.enumerated() {
                        let src = p.baseAddress! + h * size, dst = out.baseAddress! + slot * m * m
                        if m == n {
                            dst.update(from: src, count: size)
                            continue
                        }
                        for (bi, rows) in bins.enumerated() {
                            for (bj, cols) in bins.enumerated() {
                                var best: Float = 0
                                for i in rows { for j in cols { best = Swift.max(best, src[i * n + j]) } }
                                dst[bi * m + bj] = best
                            }
                        }
                    }
                }
            }
            collected.update { $0[l] = Layer(layer: l, heads: chosenHeads, patterns: kept, bins: bins) }
        }
        return (chosenLayers.map { collected.value[$0]! }, forward.cache)
    }

    /// `count` contiguous, near-equal bins covering `0..<n` (`n` bins of one when `n ≤ count`).
    static func poolBins(_ n: Int, _ count: Int) -> [Range<Int>] {
        let m = Swift.min(n, count)
        return (0..<m).map { (($0 * n) / m)..<((($0 + 1) * n) / m) }
    }

    /// The "attention" explanation: the explained position's row of the last layer's fused
    /// attention (Chefer et al. 2021's `generate_attn_last_layer`, without zeroing `[CLS]→[CLS]`).
    public static func explainLastLayer(_ model: TransformerModel, _ input: ModelInput, position: Int,
                                        fusion: HeadFusion = .mean) throws -> TokenScores {
        let last = model.architecture.layers - 1
        let layer = try collect(model, input, layers: [last])[0]
        let n = layer.patterns.shape[1]
        guard position >= 0 && position < n else { throw AnalysisError.positionOutOfRange(position, length: n) }
        let fused = fusion.fuse(layer.patterns)
        return TokenScores(method: "attention", parameters: ["layer": "\(last)", "headFusion": fusion.description],
                           position: position, scores: fused.row(position).storage, image: model.architecture.image)
    }
}
