import Foundation
import GlassboxRuntime
import GlassboxTensor

/// Options of attention rollout, with the reference implementations' defaults.
public struct RolloutOptions: Sendable, Equatable {
    /// First layer multiplied in (Chefer's `start_layer`; Abnar uses all layers: 0).
    public var startLayer: Int = 0
    /// Head fusion (official: mean).
    public var headFusion: HeadFusion = .mean
    /// Add the identity for the residual stream before renormalising (official: on).
    public var addResidual: Bool = true
    /// Fraction of the lowest fused weights of each layer set to 0 before adding the identity
    /// (0 = off), with jacobgil/vit-explain's semantics: the `k = ⌊n²·r⌋` lowest entries of the
    /// flattened matrix are chosen, then entry `[0, 0]` is left out of that choice (so `k − 1`
    /// entries are zeroed when it was among the `k` lowest). Masked (zero) weights of causal
    /// models count among the lowest. A `Double`, so that `⌊n²·r⌋` equals Python's `int(n*n*r)`.
    public var discardRatio: Double = 0

    /// Options from their fields, as listed above; checked when rollout runs.
    public init(startLayer: Int = 0, headFusion: HeadFusion = .mean, addResidual: Bool = true, discardRatio: Double = 0) {
        (self.startLayer, self.headFusion, self.addResidual, self.discardRatio) = (startLayer, headFusion, addResidual, discardRatio)
    }

    var parameters: [String: String] {
        ["startLayer": "\(startLayer)", "headFusion": headFusion.description, "addResidual": "\(addResidual)",
         "discardRatio": "\(discardRatio)"]
    }
}

/// Attention rollout — Abnar & Zuidema, *Quantifying Attention Flow in Transformers* (ACL 2020),
/// §3: `Ã_l = norm_rows(fuse_h(A_l) + I)` (= `0.5·Ā + 0.5·I` for the mean) and
/// `R = Ã_L ⋯ Ã_s`; `R[i, j]` is how much output position `i` draws on input token `j`
/// (samiraabnar/attention_flow `compute_joint_attention`).
public enum AttentionRollout {
    /// The most memory `explain` keeps without `force`: one fused `[n, n]` Float matrix per layer
    /// (`layers · n² · 4` bytes), 2 GiB — 12 layers up to 6,688 tokens, 32 layers up to 4,096
    /// (docs/methods.md §1.2).
    public static let defaultBudget = 2 << 30

    /// The largest input `fullMatrix` multiplies out: the chain costs `layers · n³` operations
    /// and an `[n, n]` result; one row (`row`) is all an explanation needs.
    public static let fullMatrixTokenLimit = 4096

    /// Bytes of the layer matrices kept for `tokens` positions over `layers` layers.
    public static func keptBytes(tokens n: Int, layers: Int) -> Int { layers * n * n * MemoryLayout<Float>.size }
    /// The residual-augmented, row-normalised layer matrix `Ã` from one layer's `pattern [H, n, n]`.
    public static func layerMatrix(_ pattern: Tensor, options: RolloutOptions) -> Tensor {
        var a = options.headFusion.fuse(pattern)                              // [n, n]
        let n = a.shape[0]
        if options.discardRatio > 0 { discardLowest(&a, ratio: options.discardRatio) }
        if options.addResidual { for i in 0..<n { a[i, i] += 1 } }
        normalizeRows(&a)
        return a
    }

    /// jacobgil/vit-explain `vit_rollout.rollout`: `flat.topk(int(n²·r), largest=False)` over all
    /// entries of `a [n, n]`, then `indices[indices != 0]` set to 0. Ties are taken in index order
    /// (torch.topk leaves their order unspecified; only equal non-zero weights straddling the cut
    /// would tell the two apart).
    static func discardLowest(_ a: inout Tensor, ratio: Double) {
        let k = Int(Double(a.count) * ratio)
        guard k > 0 else { return }
        let order = a.storage.indices.sorted { (a.storage[$0], $0) < (a.storage[$1], $1) }
        for i in order.prefix(k) where i != 0 { a.storage[i] = 0 }
    }

    /// Checks a chain of layer matrices: at least one, each `[n, n]` with the same `n` and
    /// storage of `n²` values. Returns `n`. O(layers).
    static func chainSize(_ layers: [Tensor]) throws -> Int {
        guard let first = layers.first else { throw AnalysisError.invalidOption("rollout needs at least one layer matrix") }
        let n = first.rank == 2 ? first.shape[0] : -1
        for (l, a) in layers.enumerated() where a.shape != [n, n] || !a.hasConsistentStorage {
            let size = n < 0 ? "square [n, n]" : "[\(n), \(n)] like layer 0"
            throw AnalysisError.invalidOption("layer matrix \(l) has shape \(a.shape) and \(a.count) values; each must be \(size)")
        }
        return n
    }

    /// The full rollout matrix `R = Ã_last ⋯ Ã_first` `[n, n]` from bottom-to-top layer matrices.
    ///
    /// - Throws: `AnalysisError.invalidOption` for no layers or matrices that are not all `[n, n]`.
    public static func matrix(_ layers: [Tensor]) throws -> Tensor {
        _ = try chainSize(layers)
        var r = layers[0]
        for a in layers.dropFirst() { r = matmul(a, r) }                      // R_l = Ã_l · R_{l-1}
        return r
    }

    /// `matrix`, refused with `AnalysisError.tooLarge` above `fullMatrixTokenLimit` tokens.
    public static func fullMatrix(_ layers: [Tensor]) throws -> Tensor {
        let n = try chainSize(layers)
        guard n <= fullMatrixTokenLimit else {
            throw AnalysisError.tooLarge(
                "the full rollout matrix over \(n) tokens is \(n) × \(n) and takes \(layers.count) products of that size; above \(fullMatrixTokenLimit) tokens only single rows are computed (AttentionRollout.row)")
        }
        return try matrix(layers)
    }

    /// Row `position` of the rollout, `e_pᵀ · Ã_last ⋯ Ã_first` `[n]`, computed top-down with
    /// vector–matrix products (`O(L·n²)`, no `n × n` product).
    ///
    /// - Throws: `AnalysisError` for no layers, matrices that are not all `[n, n]`, or a position
    ///   outside `0..<n`.
    public static func row(_ layers: [Tensor], position: Int) throws -> [Float] {
        let n = try chainSize(layers)
        guard position >= 0 && position < n else { throw AnalysisError.positionOutOfRange(position, length: n) }
        var r = Tensor.zeros([1, n])
        r[0, position] = 1
        for a in layers.reversed() { r = matmul(r, a) }
        return r.storage
    }

    /// Runs `model` once, streaming each layer's pattern into its `Ã` (only `[n, n]` per layer is
    /// kept), and returns the layer matrices from `startLayer` up.
    public static func layerMatrices(_ model: TransformerModel, _ input: ModelInput,
                                     options: RolloutOptions = RolloutOptions()) throws -> [Tensor] {
        try layerMatricesAndLogits(model, input, options: options, logitRows: [0]).matrices
    }

    /// `layerMatrices`, and the same pass's logits `[logitRows.count, V]` at `logitRows` (nil for a
    /// model without a prediction head).
    public static func layerMatricesAndLogits(_ model: TransformerModel, _ input: ModelInput,
                                              options: RolloutOptions = RolloutOptions(),
                                              logitRows: [Int]) throws -> (matrices: [Tensor], logits: Tensor?) {
        let layers = model.architecture.layers
        guard options.startLayer >= 0 && options.startLayer < layers else {
            throw AnalysisError.layerOutOfRange(options.startLayer, layers: layers)
        }
        if case .head(let h) = options.headFusion, h < 0 || h >= model.architecture.heads {
            throw AnalysisError.headOutOfRange(h, heads: model.architecture.heads)
        }
        guard options.discardRatio >= 0 && options.discardRatio < 1 else {
            throw AnalysisError.invalidOption("discard ratio must be in [0, 1), got \(options.discardRatio)")
        }
        let collected = Collector([Int: Tensor]())
        let forward = try PatternStream.run(model, input, layers: Array(options.startLayer..<layers),
                                            logitRows: .positions(logitRows)) { l, p in
            let a = layerMatrix(p, options: options)
            collected.update { $0[l] = a }
        }
        return ((options.startLayer..<layers).map { collected.value[$0]! }, forward.logits)
    }

    /// Rollout scores of the explained position: a row of `R` over the input positions.
    /// Refuses (with a suggestion) inputs whose layer matrices would take more than `budget`
    /// bytes (see `keptBytes`) unless `force`.
    public static func explain(_ model: TransformerModel, _ input: ModelInput, position: Int,
                               options: RolloutOptions = RolloutOptions(), force: Bool = false,
                               budget: Int = defaultBudget) throws -> TokenScores {
        let tokens: Int = switch input {
        case .tokens(let ids, _): ids.count
        case .pixels: (model.architecture.image?.patchCount ?? 0) + 1
        }
        let layers = max(1, model.architecture.layers - max(0, options.startLayer))
        let bytes = keptBytes(tokens: tokens, layers: layers)
        if !force && bytes > budget {
            throw AnalysisError.tooLarge(String(
                format: "attention rollout over %d tokens keeps %d layer matrices of %d × %d (%.1f GB), above the %.1f GB limit; shorten the input, raise --start-layer, use --method attnlrp, or pass --force",
                tokens, layers, tokens, tokens, Double(bytes) / 1e9, Double(budget) / 1e9))
        }
        let matrices = try layerMatrices(model, input, options: options)
        let n = matrices[0].shape[0]
        guard position >= 0 && position < n else { throw AnalysisError.positionOutOfRange(position, length: n) }
        return TokenScores(method: "rollout", parameters: options.parameters, position: position,
                           scores: try row(matrices, position: position), image: model.architecture.image)
    }

    /// Divides each row by its sum; rows summing to 0 stay 0 (no NaN).
    static func normalizeRows(_ a: inout Tensor) {
        let cols = a.shape[1]
        a.withUnsafeMutableBufferPointer { buf in
            for r in 0..<(buf.count / cols) {
                var sum: Float = 0
                for j in 0..<cols { sum += buf[r * cols + j] }
                guard sum > 0 else { continue }
                let scale = 1 / sum
                for j in 0..<cols { buf[r * cols + j] *= scale }
            }
        }
    }
}
