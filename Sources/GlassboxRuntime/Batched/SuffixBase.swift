import Foundation
import GlassboxTensor

/// The unperturbed pass that batched suffix passes (`forwardSuffixes`) start from: the plain
/// forward's result, the first residual stream, and — for causal models — every layer's keys and
/// values, which positions before an item's `start` share with it.
public struct SuffixBase: Sendable {
    /// The plain forward pass (logits at `logitRows`; its cache holds what was asked for, plus the
    /// points the engine keeps: `blocks.0.hook_resid_pre` and, for causal models, `attn.hook_v` and the
    /// scored keys, `attn.hook_rot_k` in rotary models and `attn.hook_k` otherwise).
    public let result: ForwardResult
    /// The positions whose logits every suffix pass returns (a classifier's pooled position: `[0]`
    /// for encoders, whose logits are read at `[CLS]`).
    public let logitRows: [Int]
    /// Input length `n`.
    public let length: Int
    /// True when positions before a perturbation are unaffected by it (causal attention).
    public let isCausal: Bool
    /// `[n − firstRow, d]`: the input of block 0 (embeddings, after the embedding norm where there
    /// is one) of positions `firstRow..<n`.
    let embedded: Tensor
    /// `[n − firstRow, d]`: the token (or `[CLS]` + patch) embedding rows, `hook_embed`, before
    /// positions are added.
    let tokenEmbeddings: Tensor
    /// The first position `embedded` holds: 0 for a base pass; the first new position of a decode
    /// step (`KVCache`), whose items all start there.
    let firstRow: Int
    /// `[n]`: the token types of the input (empty for images and models without them).
    let tokenTypes: [Int]
    /// Per layer `[n, Hkv, dh]` (`[firstRow, Hkv, dh]` in a decode step), post-RoPE (`hook_rot_k`;
    /// causal models only; empty otherwise).
    let keys: [Tensor]
    /// Per layer `[n, Hkv, dh]` (`[firstRow, Hkv, dh]` in a decode step; causal models only; empty otherwise).
    let values: [Tensor]
    /// Per layer `[n, d]`: `blocks.l.hook_resid_pre`, kept when the base was made with
    /// `keepResiduals` (items that start at a later layer read theirs from here); empty otherwise.
    let residuals: [Tensor]

    /// `[logitRows.count, V]` (or `[1, labels]`): the unperturbed logits.
    public var logits: Tensor { result.logits! }
}

/// A replacement of input embedding rows: the `hook_embed` rows at `positions` (token
/// embeddings, or `[CLS]` and patch projections of a ViT) become `rows`; position and token-type
/// embeddings are added to them as usual, and the embedding norm (BERT) runs on the sum. This is
/// how perturbation curves remove a token or a patch (docs/methods.md §9).
public struct EmbeddingEdit: Sendable, Equatable {
    /// The replaced positions, each at most once.
    public let positions: [Int]
    /// `[positions.count, d]`: the new `hook_embed` rows, in the order of `positions`.
    public let rows: Tensor

    /// Replaces the rows at `positions` by `rows [positions.count, d]` (checked when the batch runs).
    public init(positions: [Int], rows: Tensor) {
        (self.positions, self.rows) = (positions, rows)
    }

    /// Replaces every row at `positions` by the same vector `row [d]`.
    public init(positions: [Int], row: [Float]) {
        let storage = Array(positions.map { _ in row }.joined())
        self.init(positions: positions, rows: Tensor(shape: [positions.count, row.count], storage: storage))
    }
}

/// One perturbed pass in a batch: where recomputation starts, how attention scores are edited and
/// which input embedding rows are replaced.
public struct SuffixItem: Sendable, Equatable {
    /// The first recomputed position. In causal models positions before it are taken from the base
    /// pass, so it must not exceed the first edited key or replaced embedding row. Bidirectional
    /// models recompute every position.
    public let start: Int
    /// The edit (`nil`: none — the pass reproduces the base pass).
    public let edit: AttentionScoreEdit?
    /// The first recomputed layer: the pass starts from the base pass's `hook_resid_pre` of this
    /// layer (the base must keep its residuals when it is above 0). Every patch and edited layer
    /// must be at or after it.
    public let startLayer: Int
    /// Activations replaced during the pass (activation patching).
    public let patches: [ActivationPatch]
    /// Input embedding rows replaced before block 0 (`nil`: none).
    public let embedding: EmbeddingEdit?

    /// A pass recomputing positions `start...` from layer `startLayer` with `edit` applied and
    /// `patches` spliced in (checked when the batch runs).
    public init(start: Int, edit: AttentionScoreEdit?, startLayer: Int = 0, patches: [ActivationPatch] = []) {
        (self.start, self.edit, self.startLayer, self.patches, self.embedding) = (start, edit, startLayer, patches, nil)
    }

    /// A patched pass that starts where its patches can first change anything: at the lowest patched
    /// layer and (causal models) the lowest patched position. Bidirectional models recompute
    /// every position of those layers anyway.
    public init(patches: [ActivationPatch]) {
        self.init(start: patches.flatMap(\.positions).min() ?? 0, edit: nil,
                  startLayer: patches.map(\.layer).min() ?? 0, patches: patches)
    }

    /// A pass recomputing positions `start...` with the input embedding rows of `embedding`
    /// replaced (and `edit`, if any, applied to the attention scores); it starts at layer 0.
    public init(start: Int, embedding: EmbeddingEdit, edit: AttentionScoreEdit? = nil) {
        (self.start, self.edit, self.startLayer, self.patches, self.embedding) = (start, edit, 0, [], embedding)
    }

    /// Starts at the first replaced row (the earliest position the replacement can change).
    public init(embedding: EmbeddingEdit) {
        self.init(start: max(0, embedding.positions.min() ?? 0), embedding: embedding)
    }

    /// Starts at the edit's first key (the earliest position it can change).
    public init(edit: AttentionScoreEdit) {
        self.init(start: max(0, edit.keys.min() ?? 0), edit: edit)
    }
}

/// How a batch of suffix passes runs.
public struct SuffixOptions: Sendable {
    /// At most this many stacked rows (Σ of recomputed positions over the items) go through one
    /// chunk; bounds memory (each row holds about `d·6 + dff·2` floats while a layer runs). An
    /// item longer than the budget runs alone.
    public var rowBudget: Int
    /// Called after each layer of each chunk with `(completed, total)` units of work (row·layers).
    public var progress: (@Sendable (_ completed: Int, _ total: Int) -> Void)?

    /// Options as listed above; `rowBudget` must be at least 1 (checked when the batch runs).
    public init(rowBudget: Int = 4096, progress: (@Sendable (_ completed: Int, _ total: Int) -> Void)? = nil) {
        (self.rowBudget, self.progress) = (rowBudget, progress)
    }
}

/// Why a batch of suffix passes cannot run.
public enum SuffixError: Error, LocalizedError, Equatable {
    /// The model (its `model_type` given) has no output layer, so there are no logits to compare.
    case noHead(String)
    /// Item `item` replaces embedding row `position`, outside `0..<length`, or gives a replacement
    /// of the wrong shape (`position` is -1 then).
    case embeddingOutOfRange(item: Int, position: Int, length: Int)
    /// In a causal model, item `item` starts after its replaced embedding row `position`.
    case startAfterReplacedRow(item: Int, start: Int, position: Int)
    /// Item `item`'s `start` is outside `0..<length`.
    case startOutOfRange(item: Int, start: Int, length: Int)
    /// In a causal model, item `item` starts after its edited key `key`, so positions it would
    /// take from the base pass would be wrong.
    case startAfterEditedKey(item: Int, start: Int, key: Int)
    /// Item `item` edits a key outside `0..<length`.
    case keyOutOfRange(item: Int, key: Int, length: Int)
    /// Item `item` edits a layer outside `0..<layers`.
    case layerOutOfRange(item: Int, layer: Int, layers: Int)
    /// Item `item` has a factor that is NaN or infinite.
    case invalidFactor(item: Int, factor: Float)
    /// `SuffixOptions.rowBudget` is below 1.
    case invalidRowBudget(Int)
    /// Item `item` starts at layer `layer`, outside `0..<layers`, or edits a layer before it.
    case startLayerOutOfRange(item: Int, layer: Int, layers: Int)
    /// Item `item` starts after layer 0 but the base pass kept no residuals (`keepResiduals`).
    case residualsNotKept(item: Int)
    /// Item `item` has a patch that does not fit the model or the item: `reason` says how.
    case invalidPatch(item: Int, reason: String)
    /// The model's classifier averages every row (ModernBERT's `classifier_pooling` `mean`); the
    /// engine recomputes and reads one pooled row, so it is not run on it.
    case meanPooledClassifier(String)

    /// One readable line naming the perturbation and the offending value.
    public var errorDescription: String? {
        switch self {
        case .noHead(let type):
            "this \(type) model has no prediction head, so there are no logits to perturb"
        case .embeddingOutOfRange(let item, let position, let n):
            position < 0 ? "perturbation \(item): the replacement rows do not match the positions and the model width"
                : "perturbation \(item): embedding row \(position) is outside the input (0..<\(n))"
        case .startAfterReplacedRow(let item, let start, let position):
            "perturbation \(item): start \(start) is after the replaced embedding row \(position)"
        case .startOutOfRange(let item, let start, let n):
            "perturbation \(item): start \(start) is outside the input (0..<\(n))"
        case .startAfterEditedKey(let item, let start, let key):
            "perturbation \(item): start \(start) is after the edited key \(key); positions from \(key) on change"
        case .keyOutOfRange(let item, let key, let n):
            "perturbation \(item): key \(key) is outside the input (0..<\(n))"
        case .layerOutOfRange(let item, let layer, let layers):
            "perturbation \(item): layer \(layer) is outside 0..<\(layers)"
        case .invalidFactor(let item, let factor):
            "perturbation \(item): factor \(factor) is not a finite number"
        case .invalidRowBudget(let budget):
            "the row budget must be at least 1, got \(budget)"
        case .startLayerOutOfRange(let item, let layer, let layers):
            "perturbation \(item): start layer \(layer) is outside 0..<\(layers) or after an edited layer"
        case .residualsNotKept(let item):
            "perturbation \(item) starts after layer 0 but the base pass kept no residuals; make it with keepResiduals: true"
        case .invalidPatch(let item, let reason):
            "perturbation \(item): \(reason)"
        case .meanPooledClassifier(let type):
            "this \(type) classifier averages every position (classifier_pooling 'mean'); perturbation runs (AtMan, patching, tracing, deletion curves) read one pooled row and are not run on it"
        }
    }
}

extension TransformerModel {
    /// Runs the unperturbed pass for `forwardSuffixes`.
    ///
    /// - Parameters:
    ///   - input: token ids or pixels, as for `forward`.
    ///   - logitRows: the positions whose logits every pass returns (ignored by classifiers, which
    ///     read `[CLS]`).
    ///   - capture: extra hook points to keep in `result.cache` (e.g. `hook_embed`).
    ///   - keepResiduals: keep every layer's `hook_resid_pre` `[n, d]`, so that items can start at a
    ///     later layer (`SuffixItem.startLayer`).
    ///   - interventions: edits of the base pass itself (e.g. causal tracing's noised embeddings);
    ///     the suffix passes start from the edited activations and must not recompute an edited
    ///     point (their first layer and positions must come after it).
    public func suffixBase(_ input: ModelInput, logitRows: [Int], capture: HookFilter = .none,
                           keepResiduals: Bool = false, interventions: Interventions = Interventions()) throws -> SuffixBase {
        let arch = architecture
        guard weights.head.unembed != nil else { throw SuffixError.noHead(arch.modelType) }
        if case .sequenceClassification(_, .mean) = arch.head { throw SuffixError.meanPooledClassifier(arch.modelType) }
        let causal = arch.mask == .causal
        let layers = arch.layers
        let keys = arch.scoredKey                            // the rotated keys in rotary models
        let engine: @Sendable (HookPoint) -> Bool = { point in
            switch point {
            case .block(0, .residPre), .embed: true
            case .block(_, .residPre): keepResiduals
            case .block(let l, let site) where site == keys || site == .v: causal && l < layers
            default: false
            }
        }
        let filter = HookFilter.matching { engine($0) || capture.contains($0) }
        let rows: [Int] = arch.classifierPosition(input).map { [$0] } ?? logitRows   // a classifier's pooled row
        let result = try forward(input, capture: filter, interventions: interventions, logitRows: .positions(rows))
        let cache = result.cache
        let embedded = cache[.block(0, .residPre)]!
        let n = embedded.shape[0]
        let types: [Int] = if case .tokens(let ids, let t) = input { t ?? Array(repeating: 0, count: ids.count) } else { [] }
        return SuffixBase(result: result, logitRows: rows, length: n, isCausal: causal, embedded: embedded,
                          tokenEmbeddings: cache[.embed]!, firstRow: 0, tokenTypes: types,
                          keys: causal ? (0..<layers).map { arch.scored(cache[.block($0, keys)]!) } : [],
                          values: causal ? (0..<layers).map { layer in
                              var v = cache[.block(layer, .v)]!   // hook_v is before clip_qkv (OLMo, OLMoE)
                              arch.clipQKV(&v)
                              return v
                          } : [],
                          residuals: keepResiduals ? (0..<layers).map { cache[.block($0, .residPre)]! } : [])
    }
}
