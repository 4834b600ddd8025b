import Foundation
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
    /// The positions the logit rows belong to (`[0]` for a classifier).
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

    /// A model from an architecture and matching weights (not checked: `load(directory:)`
    /// checks every weight against the config; use this for hand-built test models).
    public init(architecture: Architecture, weights: TransformerWeights, directory: URL? = nil,
                checkpointDTypes: [String] = ["F32"]) {
        self.architecture = architecture
        self.weights = weights
        self.directory = directory
        self.checkpointDTypes = checkpointDTypes
    }

    /// Loads a Hugging Face model folder (config.json + safetensors), strictly.
    public static func load(directory: URL) throws -> TransformerModel {
        let configURL = directory.appendingPathComponent("config.json")
        guard FileManager.default.fileExists(atPath: configURL.path) else {
            throw LoadError.configMissing(directory: directory.path)
        }
        let data: Data
        do { data = try Data(contentsOf: configURL) } catch {
            throw LoadError.configUnreadable(file: configURL.path, detail: error.localizedDescription)
        }
        let probe = try ConfigDecoding.decode(ModelTypeProbe.self, from: data, file: configURL)
        guard let modelType = probe.modelType else {
            throw LoadError.invalidConfig(file: configURL.path, key: "model_type",
                                          detail: "is missing; supported: \(ModelRegistry.supportedModelTypes.joined(separator: ", "))")
        }
        let loader = try ModelRegistry.loader(for: modelType)
        let checkpoint = try Checkpoint(directory: directory)
        let (architecture, weights) = try loader.load(configData: data, configFile: configURL,
                                                      checkpoint: checkpoint, directory: directory)
        let dtypes = Set(checkpoint.tensorNames.compactMap { checkpoint.entry($0)?.dtype.rawValue })
        return TransformerModel(architecture: architecture, weights: weights, directory: directory,
                                checkpointDTypes: dtypes.sorted())
    }

    /// Runs the model on one token sequence (see `forward(_:capture:interventions:logitRows:)`).
    ///
    /// - Parameters:
    ///   - ids: token ids `[n]`, `1 ≤ n ≤ contextLength`, each `< vocabSize`.
    ///   - tokenTypes: segment ids `[n]` for models with token types (default all 0).
    public func forward(_ ids: [Int], tokenTypes: [Int]? = nil, capture: HookFilter = .none,
                        interventions: Interventions = Interventions(),
                        logitRows: LogitRows = .all) throws -> ForwardResult {
        try forward(.tokens(ids, types: tokenTypes), capture: capture, interventions: interventions, logitRows: logitRows)
    }

    /// Runs the model on one input.
    ///
    /// - Parameters:
    ///   - input: token ids, or pixels `[C, H, W]` for vision models (preprocessed as the
    ///     checkpoint's image processor says; see `ImagePreprocessor`).
    ///   - capture: the hook points to keep in the result's cache.
    ///   - interventions: edits applied at hook points during this call only.
    ///   - logitRows: positions to project to logits (token heads).
    public func forward(_ input: ModelInput, capture: HookFilter = .none,
                        interventions: Interventions = Interventions(),
                        logitRows: LogitRows = .all) throws -> ForwardResult {
        let arch = architecture
        var x: Tensor
        var hooks: HookRun
        switch input {
        case .tokens(let ids, let types):
            try validate(ids, tokenTypes: types)
            hooks = HookRun(inputIDs: ids, capture: capture, interventions: interventions)
            x = try weights.embeddings.forward(ids, tokenTypes: types ?? Array(repeating: 0, count: ids.count),
                                               hooks: &hooks)
        case .pixels(let pixels):
            guard let geometry = arch.image else { throw InputError.imageForTextModel(arch.modelType) }
            let expected = [geometry.channels, geometry.height, geometry.width]
            guard pixels.shape == expected else { throw InputError.pixelShape(expected: expected, got: pixels.shape) }
            hooks = HookRun(inputIDs: [], capture: capture, interventions: interventions)
            x = try weights.embeddings.forward(pixels: pixels, geometry: geometry, hooks: &hooks)
        }
        let n = x.shape[0]
        if case .positions(let positions) = logitRows {
            for p in positions where p < 0 || p >= n { throw InputError.positionOutOfRange(position: p, length: n) }
        }
        let rotary: RotaryTables? = if case .rotary(let rope) = arch.position {
            { let t = rope.tables(length: n); return RotaryTables(cos: t.cos, sin: t.sin) }()
        } else { nil }
        for (l, block) in weights.blocks.enumerated() {
            x = try block.forward(x, layer: l, architecture: arch, rotary: rotary, hooks: &hooks)
        }
        let rows: [Int]? = if case .positions(let p) = logitRows { p } else { nil }
        let top = try weights.head.forward(x, architecture: arch, rows: rows, hooks: &hooks)
        let positions: [Int] = switch arch.head {
        case .sequenceClassification: [0]
        default: rows ?? Array(0..<n)
        }
        return ForwardResult(logits: top.logits, logitPositions: top.logits == nil ? [] : positions,
                             hidden: top.hidden, pooled: top.pooled, cache: hooks.cache)
    }

    private func validate(_ ids: [Int], tokenTypes: [Int]?) throws {
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
