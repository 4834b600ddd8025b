import Foundation
import GlassboxFiles
import GlassboxModelIO
import GlassboxTensor

/// Which positions the output layer projects (the vocabulary projection dominates small inputs).
public enum LogitRows: Sendable, Equatable {
    /// Every position: logits `[n, V]`.
    case all
    /// Only these positions, in this order: logits `[positions.count, V]`.
    case positions([Int])
}

/// What one forward pass returns.
public struct ForwardResult: Sendable {
    /// `[rows, V]` token logits, `[1, labels]` class logits, or `nil` for a model without a head.
    public let logits: Tensor?
    /// The positions the logit rows belong to (a classifier: its pooled position, `[0]` for encoders).
    public let logitPositions: [Int]
    /// The last hidden state `[n, d]` (after the final norm of pre-norm models).
    public let hidden: Tensor
    /// The pooled `[1, d]` vector of models with a pooler.
    public let pooled: Tensor?
    /// The captured activations.
    public let cache: ActivationCache
}

/// A loaded transformer: typed architecture plus weights. Immutable and `Sendable`; hooks are
/// per call (`forward(capture:interventions:)`), so many passes can run at once.
public struct TransformerModel: Sendable {
    /// Sizes and typed variations (norms, positions, mask, head) of the model.
    public let architecture: Architecture
    /// Read-only view of the weights, for analyses.
    public let weights: TransformerWeights
    /// The folder the model was loaded from.
    public let directory: URL?
    /// Storage dtypes found in the checkpoint (e.g. `["F16"]`).
    public let checkpointDTypes: [String]
    /// Weights holding NaN or ±Inf, loaded only with `LoadOptions.allowNonFinite` (name and count).
    public let nonFiniteWeights: [(tensor: String, count: Int)]
    /// Whether `forward` stops with `ForwardError.nonFiniteActivation` when the residual stream or
    /// the output holds NaN or ±Inf (true unless loaded with `LoadOptions.allowNonFinite`).
    public var checksActivations: Bool
    /// The NaN/±Inf checks the strict checkpoint deferred to the products (see `verifyWeights()`).
    public let deferredChecks: DeferredWeightChecks?

    /// A model from an architecture and matching weights (not checked: `load(directory:)`
    /// checks every weight against the config; use this for hand-built test models).
    public init(architecture: Architecture, weights: TransformerWeights, directory: URL? = nil,
                checkpointDTypes: [String] = ["F32"], nonFiniteWeights: [(tensor: String, count: Int)] = [],
                checksActivations: Bool = true, deferredChecks: DeferredWeightChecks? = nil) {
        self.architecture = architecture
        self.weights = weights
        self.directory = directory
        self.checkpointDTypes = checkpointDTypes
        self.nonFiniteWeights = nonFiniteWeights
        self.checksActivations = checksActivations
        self.deferredChecks = deferredChecks
    }

    /// Loads a Hugging Face model folder (config.json + safetensors), strictly: every weight is
    /// checked for NaN and ±Inf once (an error naming the tensor, unless `options.allowNonFinite`).
    /// Weight matrices are checked by the first forward's products as they convert them (see
    /// `verifyWeights()`), small tensors and permissive loads at load.
    public static func load(directory: URL, options: LoadOptions = LoadOptions()) throws -> TransformerModel {
        let config = try ConfigFile(directory: directory)
        let modelType = try config.modelType()
        let loader = try ModelRegistry.loader(for: modelType)
        // A composite checkpoint's sizes are those of its text model (`text_config`).
        let (sizes, sizesType) = TextModelConfig.sizes(of: config, modelType: modelType)
        try IntegerConfigFields.check(sizes, modelType: sizesType)
        try IntegerConfigFields.checkUnreadMembers(config, modelType: modelType)   // the sizes of a vision tower left unread
        let problemType = try config.problemType()    // checked for every model, as PretrainedConfig does
        try QuantizationConfig.check(config)          // before any weight: a quantized checkpoint is named as such
        let checkpoint = try Checkpoint(directory: directory, allowNonFinite: options.allowNonFinite,
                                        scanMatrices: options.scansWeights)
        try CheckpointCounts.check(sizes, modelType: sizesType, checkpoint: checkpoint, textTensorPrefixes: TextModelConfig.tensorPrefixes(modelType: modelType))
        let head = try HeadClass.requested(by: config.firstArchitecture, modelType: modelType, file: config.url.path)
        var (architecture, weights) = try loader.load(configData: config.data, configFile: config.url,
                                                      checkpoint: checkpoint, directory: directory, head: head)
        if case .sequenceClassification = architecture.head { architecture.problemType = problemType }
        let dtypes = Set(checkpoint.tensorNames.compactMap { checkpoint.entry($0)?.dtype.rawValue })
        return TransformerModel(architecture: architecture, weights: weights, directory: directory,
                                checkpointDTypes: dtypes.sorted(), nonFiniteWeights: checkpoint.nonFiniteTensors,
                                checksActivations: !options.allowNonFinite, deferredChecks: checkpoint.deferredChecks)
    }

    /// Runs the model on one token sequence (see `forward(_:capture:interventions:logitRows:)`).
    ///
    /// - Parameters:
    ///   - ids: token ids `[n]`, `1 ≤ n ≤ contextLength`, each `< vocabSize`.
    ///   - tokenTypes: segment ids `[n]` for models with token types (default all 0).
    public func forward(_ ids: [Int], tokenTypes: [Int]? = nil, capture: HookFilter = .none,
                        interventions: Interventions = Interventions(),
                        logitRows: LogitRows = .all, attention: AttentionPath = .automatic) throws -> ForwardResult {
        try forward(.tokens(ids, types: tokenTypes), capture: capture, interventions: interventions, logitRows: logitRows,
                    attention: attention)
    }

    /// Settles the weights' deferred NaN/±Inf checks (scanning the matrices no product has read
    /// whole) and throws `ModelIOError.nonFiniteValues` for the first bad one; `forward` calls it
    /// after running (docs/methods.md §0.7). Nothing to do for a model loaded with
    /// `allowNonFinite`, without `scansWeights`, or built in memory.
    public func verifyWeights() throws {
        try deferredChecks?.verify()
    }

    /// Runs the model on one input.
    ///
    /// - Parameters:
    ///   - input: token ids, or pixels `[C, H, W]` for vision models (preprocessed as the
    ///     checkpoint's image processor says; see `ImagePreprocessor`).
    ///   - capture: the hook points to keep in the result's cache. Points listed by name
    ///     (`points(_:)`) must be points of this model (`hookPoints`), else `HookError.noSuchPoint`.
    ///   - interventions: edits applied at hook points during this call only; their listed points
    ///     are checked the same way.
    ///   - logitRows: positions to project to logits (token heads).
    ///   - attention: blocked or unblocked attention (`automatic`: blocked in every layer whose
    ///     scores and pattern no hook reads or edits); the results agree to 1e-5 relative.
    ///
    /// With `checksActivations` (the default), the embeddings, every block's output and the
    /// logits are checked for NaN and ±Inf (one pass over `[n, d]` each); the first one found is
    /// `ForwardError.nonFiniteActivation`, naming the first hook point, in forward order, where a
    /// non-finite value appears. That point is found by running the input once more with the same
    /// capture filter and attention path, keeping nothing: each tensor the pass materialises is
    /// checked as its hook fires and the pass stops at the first bad one. So the rerun needs no
    /// more memory than the run itself (at most one layer's tensors; with blocked attention, no
    /// `[H, n, n]` scores, and an overflow in the scores is then named at `hook_z`).
    public func forward(_ input: ModelInput, capture: HookFilter = .none,
                        interventions: Interventions = Interventions(),
                        logitRows: LogitRows = .all, attention: AttentionPath = .automatic) throws -> ForwardResult {
        try checkListedPoints(capture: capture, interventions: interventions)
        let result: ForwardResult
        do {
            result = try run(input, capture: capture, interventions: interventions, logitRows: logitRows,
                             attention: attention, check: checksActivations)
        } catch {
            try verifyWeights()   // a NaN weight is named before the activation it spoilt
            throw error
        }
        try verifyWeights()
        return result
    }

    private func run(_ input: ModelInput, capture: HookFilter, interventions: Interventions, logitRows: LogitRows,
                     attention: AttentionPath = .automatic, check: Bool, diagnose: Bool = false) throws -> ForwardResult {
        func requireFinite(_ t: Tensor?) throws {
            guard check, let t, NonFinite.count(t) > 0 else { return }
            throw firstNonFinite(input, capture: capture, interventions: interventions, logitRows: logitRows,
                                 attention: attention)
        }
        let arch = architecture
        var x: Tensor
        var hooks: HookRun
        switch input {
        case .tokens(let ids, let types):
            try validate(ids, tokenTypes: types)
            hooks = HookRun(inputIDs: ids, capture: capture, interventions: interventions)
            hooks.stopsAtNonFinite = diagnose
            x = try weights.embeddings.forward(ids, tokenTypes: types ?? Array(repeating: 0, count: ids.count),
                                               hooks: &hooks)
        case .pixels(let pixels):
            let geometry = try validate(pixels: pixels)
            hooks = HookRun(inputIDs: [], capture: capture, interventions: interventions)
            hooks.stopsAtNonFinite = diagnose
            x = try weights.embeddings.forward(pixels: pixels, geometry: geometry, hooks: &hooks)
        }
        hooks.attentionPath = attention
        try requireFinite(x)
        let n = x.shape[0]
        if case .positions(let positions) = logitRows {
            for p in positions where p < 0 || p >= n { throw InputError.positionOutOfRange(position: p, length: n) }
        }
        let rotary = arch.rotaryTables(length: n)
        for (l, block) in weights.blocks.enumerated() {
            x = try block.forward(x, layer: l, architecture: arch, rotary: rotary(l), hooks: &hooks)
            try requireFinite(x)
        }
        let pooledRow = arch.classifierPosition(input) ?? 0
        let rows: [Int]? = switch (arch.head, logitRows) {
        case (.sequenceClassification, _): [pooledRow]     // a decoder's `score` reads its pooled row only
        case (_, .positions(let p)): p
        case (_, .all): nil
        }
        let top = try weights.head.forward(x, architecture: arch, rows: rows, hooks: &hooks)
        try requireFinite(top.logits)
        try requireFinite(top.pooled)
        let positions: [Int] = switch arch.head {
        case .sequenceClassification: [pooledRow]
        default: rows ?? Array(0..<n)
        }
        return ForwardResult(logits: top.logits, logitPositions: top.logits == nil ? [] : positions,
                             hidden: top.hidden, pooled: top.pooled, cache: hooks.cache)
    }

    /// Runs `input` again, materialising what the failed run did and keeping nothing, and names
    /// the first hook point (in forward order) that holds NaN or ±Inf (−Inf in attention scores is
    /// masking, not an error): the pass stops as that hook fires (bounded as `forward` says).
    private func firstNonFinite(_ input: ModelInput, capture: HookFilter, interventions: Interventions,
                                logitRows: LogitRows, attention: AttentionPath) -> Error {
        do {
            _ = try run(input, capture: capture, interventions: interventions, logitRows: logitRows, attention: attention,
                        check: false, diagnose: true)
        } catch let hit as HookRun.NonFiniteHit where hit.byIntervention {
            return ForwardError.nonFiniteEdit(hook: hit.point.name, count: hit.count, total: hit.total)
        } catch let hit as HookRun.NonFiniteHit {
            return ForwardError.nonFiniteActivation(hook: hit.point.name, count: hit.count, total: hit.total)
        } catch {}
        return ForwardError.nonFiniteActivation(hook: "the output", count: 0, total: 0)
    }

    /// Checks that `pixels` suit this vision model: shape `[channels, height, width]`, storage of
    /// that many values, all finite (one pass). Returns the model's image geometry.
    @discardableResult
    public func validate(pixels: Tensor) throws -> ImageGeometry {
        guard let geometry = architecture.image else {
            throw architecture.textModelOf.map(InputError.visionTowerNotRun) ?? InputError.imageForTextModel(architecture.modelType)
        }
        let expected = [geometry.channels, geometry.height, geometry.width]
        guard pixels.shape == expected else { throw InputError.pixelShape(expected: expected, got: pixels.shape) }
        guard pixels.hasConsistentStorage else { throw InputError.pixelCount(shape: pixels.shape, count: pixels.count) }
        let bad = NonFinite.count(pixels)
        guard bad == 0 else { throw InputError.nonFinitePixels(count: bad, total: pixels.count) }
        return geometry
    }

    func validate(_ ids: [Int], tokenTypes: [Int]?) throws {
        guard architecture.image == nil else { throw InputError.tokensForVisionModel(architecture.modelType) }
        guard !ids.isEmpty else { throw InputError.empty }
        guard ids.count <= architecture.contextLength else {
            throw InputError.tooLong(length: ids.count, contextLength: architecture.contextLength)
        }
        for (i, id) in ids.enumerated() where id < 0 || id >= architecture.vocabSize {
            throw InputError.tokenOutOfRange(id: id, position: i, vocabularySize: architecture.vocabSize)
        }
        if let tokenTypes {
            guard tokenTypes.count == ids.count else {
                throw InputError.tokenTypeCount(expected: ids.count, got: tokenTypes.count)
            }
            for (i, t) in tokenTypes.enumerated() where t < 0 || t >= max(architecture.tokenTypes, 1) {
                throw InputError.tokenTypeOutOfRange(type: t, position: i, tokenTypes: architecture.tokenTypes)
            }
        }
    }
}

/// What a model runs on.
public enum ModelInput: Sendable {
    /// Token ids `[n]` and optional token types `[n]`.
    case tokens([Int], types: [Int]?)
    /// Pixel values `[C, H, W]` of a vision model.
    case pixels(Tensor)
}

/// How `TransformerModel.load` treats what it reads.
public struct LoadOptions: Sendable, Equatable {
    /// Load weights that hold NaN or ±Inf (listed in `TransformerModel.nonFiniteWeights`) instead
    /// of stopping, and let `forward` run on with non-finite activations: for inspecting a broken
    /// checkpoint (`glassbox … --allow-nonfinite --trace`).
    public var allowNonFinite: Bool
    /// Scan every weight matrix for NaN and ±Inf at load (one pass over the whole file). `false`
    /// only maps the matrices, so loading reads the headers and the small tensors (norms, biases)
    /// and nothing else: for describing a model (`glassbox info`), never for running it.
    public var scansWeights: Bool

    /// Options for a load; the default refuses non-finite weights and scans every matrix.
    public init(allowNonFinite: Bool = false, scansWeights: Bool = true) {
        self.allowNonFinite = allowNonFinite
        self.scansWeights = scansWeights
    }
}

/// Why a forward pass stopped.
public enum ForwardError: Error, LocalizedError, Equatable {
    /// NaN or ±Inf appeared during the run; `hook` is the first hook point (forward order) that
    /// holds one, with `count` such values among `total`.
    case nonFiniteActivation(hook: String, count: Int, total: Int)
    /// An intervention at `hook` returned `count` NaN or ±Inf values among `total` for a finite
    /// activation: the first non-finite values of the run came from the edit, not the model.
    case nonFiniteEdit(hook: String, count: Int, total: Int)

    /// One line naming the hook point.
    public var errorDescription: String? {
        switch self {
        case let .nonFiniteActivation(hook, count, total):
            "the forward pass produced NaN or ±Inf: first at \(hook) (\(count) of \(total) values); the weights or "
                + "the input overflow Float32 (`--allow-nonfinite --trace` prints every hook point's sum)"
        case let .nonFiniteEdit(hook, count, total):
            "the intervention at \(hook) returned NaN or ±Inf (\(count) of \(total) values) for a finite activation; edits must be finite"
        }
    }
}
