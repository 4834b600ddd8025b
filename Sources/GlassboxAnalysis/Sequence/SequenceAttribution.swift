import Foundation
import GlassboxRuntime
import GlassboxTensor

/// Which method explains each generated token (docs/methods.md §12).
public enum SequenceMethod: Sendable, Equatable {
    /// AttnLRP, CP-LRP or gradient × input: one shared forward, one reverse sweep per target.
    case relevance(RelevanceMethod)
    /// AtMan: one perturbed forward per suppressed source, scoring every later target at once.
    case atman
    /// Attention rollout: one forward, one row of the rollout per target.
    case rollout

    /// The CLI spelling (`attnlrp`, `cp-lrp`, `grad-input`, `atman`, `rollout`).
    public var name: String {
        switch self {
        case .relevance(let method): method.rawValue
        case .atman: "atman"
        case .rollout: "rollout"
        }
    }
}

/// Options of a sequence attribution.
public struct SequenceOptions: Sendable {
    /// The method (default AttnLRP).
    public var method: SequenceMethod
    /// A contrast token `c`: each step also reports `logit(t_i) − logit(c)`, and the gradient
    /// methods explain that difference instead of `logit(t_i)` (as single-step `explain --contrast`).
    public var contrast: Int?
    /// The relevance methods' attention path and checkpointing (`method` is taken from `method`).
    public var relevance: RelevanceOptions
    /// AtMan's factor, κ, score and engine (its target is the generated tokens). The default
    /// shift here is `.visibleKeyMinimum`: the official `.rowMinimum` subtracts the minimum of the
    /// whole raw row, future keys included, so a row of the full sequence would not equal AtMan
    /// on the target's prefix (docs/methods.md §12).
    public var atman: AtMan.Options
    /// Rollout's options; `discardRatio` must be 0 (its cut depends on the sequence length, so a
    /// row of the full sequence's rollout would not be the prefix's).
    public var rollout: RolloutOptions
    /// Called with `(completed, total)` targets (relevance, rollout) or passes (AtMan; where its
    /// targets need several runs, docs/methods.md §12.1, each run is an equal share of the total).
    public var progress: (@Sendable (_ completed: Int, _ total: Int) -> Void)?

    /// AtMan's defaults with the visible-key shift (see `atman`).
    public static var atmanDefaults: AtMan.Options {
        var options = AtMan.Options()
        options.shift = .visibleKeyMinimum
        return options
    }

    /// Options from their fields, as listed above.
    public init(method: SequenceMethod = .relevance(.attnLRP), contrast: Int? = nil,
                relevance: RelevanceOptions = RelevanceOptions(), atman: AtMan.Options = SequenceOptions.atmanDefaults,
                rollout: RolloutOptions = RolloutOptions()) {
        (self.method, self.contrast, self.relevance, self.atman, self.rollout) = (method, contrast, relevance, atman, rollout)
    }
}

/// One generated (or forced) token and the distribution it was read from (docs/methods.md §12).
public struct SequenceStep: Sendable, Equatable {
    /// The token id `t_i`.
    public let id: Int
    /// Its position `p` in the whole sequence; it is explained at the logits of position `p − 1`.
    public let position: Int
    /// `softmax(logits_{p−1})[t_i]`, in [0, 1].
    public let prob: Float
    /// The entropy `−Σ q log q` (nats) of that distribution.
    public let entropy: Float
    /// `logit_{p−1}(t_i)`.
    public let logit: Float
    /// With a contrast token `c`: `logit(t_i) − logit(c)` at `p − 1`; nil without one.
    public let contrastDifference: Float?
}

/// The attribution of every generated token of a sequence to the tokens before it, as inseq
/// (Sarti et al., *Inseq: An Interpretability Toolkit for Sequence Generation Models*, ACL 2023
/// demo) lays it out: a targets × sources matrix (docs/methods.md §12).
///
/// ```swift
/// let s = try SequenceAttribution.explain(model, ids: prompt + generated, promptLength: prompt.count)
/// s.matrix[i][j]      // score of token j for generated token i; nil for j ≥ s.steps[i].position
/// s.steps[i].prob     // the step's probability
/// ```
public struct SequenceAttribution: Sendable, Equatable {
    /// The method, as the CLI spells it.
    public let method: String
    /// Provenance: the method's parameters (and the contrast id).
    public let parameters: [String: String]
    /// All token ids `[n]`: the prompt, then the targets.
    public let ids: [Int]
    /// The number of prompt tokens; targets are positions `promptLength..<n`.
    public let promptLength: Int
    /// `[T]` the targets, in order (`T = n − promptLength`).
    public let steps: [SequenceStep]
    /// `[T][n]`: `matrix[i][j]` is the score of source position `j` for target `i`; nil for
    /// `j ≥ steps[i].position` (the target itself and what follows it cannot be a source).
    public let matrix: [[Float?]]

    /// Explains every token of `ids` after the first `promptLength` with all tokens before it.
    ///
    /// Row `i` equals a single-step explanation of `ids[0..<p_i]` with target `ids[p_i]` at its
    /// last position (docs/methods.md §12 says how exactly per method).
    ///
    /// - Throws: `AnalysisError` for a model that is not a causal language model, a prompt length
    ///   outside `1..<n`, a contrast id outside the vocabulary or an option the method cannot honour.
    public static func explain(_ model: TransformerModel, ids: [Int], promptLength: Int,
                               options: SequenceOptions = SequenceOptions()) throws -> SequenceAttribution {
        let arch = model.architecture
        guard arch.mask == .causal, arch.head == .languageModel else {
            throw AnalysisError.invalidOption("sequence attribution needs a causal language model; this \(arch.modelType) model is not one")
        }
        guard promptLength >= 1, promptLength < ids.count else {
            throw AnalysisError.invalidOption("sequence attribution needs a prompt of at least 1 token and at least 1 target (prompt \(promptLength) of \(ids.count) tokens)")
        }
        if let c = options.contrast, c < 0 || c >= arch.vocabSize {
            throw AnalysisError.invalidOption("contrast token \(c) is outside the vocabulary (0..<\(arch.vocabSize))")
        }
        let rows = Array((promptLength - 1)..<(ids.count - 1))                  // target i at row p_i − 1
        var parameters: [String: String]
        let (matrix, logits): ([[Float?]], Tensor)
        switch options.method {
        case .relevance(let method):
            (matrix, logits, parameters) = try relevanceRows(model, ids: ids, rows: rows, method: method, options: options)
        case .atman:
            (matrix, logits, parameters) = try atmanRows(model, ids: ids, rows: rows, options: options)
        case .rollout:
            (matrix, logits, parameters) = try rolloutRows(model, ids: ids, rows: rows, options: options)
        }
        if let c = options.contrast { parameters["contrast"] = "\(c)" }
        let steps = rows.enumerated().map { i, row in
            step(logits.row(i).storage, id: ids[row + 1], position: row + 1, contrast: options.contrast)
        }
        return SequenceAttribution(method: options.method.name, parameters: parameters, ids: ids, promptLength: promptLength,
                                   steps: steps, matrix: matrix)
    }

    /// A row `[n]` of the matrix from the `row + 1` scores of positions `0...row`.
    static func paddedRow(_ scores: [Float], length n: Int) -> [Float?] {
        scores.map { Optional($0) } + Array(repeating: nil, count: n - scores.count)
    }

    /// The step scores of token `id` at `position` from the logits `[V]` of `position − 1`.
    static func step(_ logits: [Float], id: Int, position: Int, contrast: Int?) -> SequenceStep {
        SequenceStep(id: id, position: position, prob: Foundation.exp(logSoftmax(logits, at: id)), entropy: entropy(logits),
                     logit: logits[id], contrastDifference: contrast.map { logits[id] - logits[$0] })
    }
}
