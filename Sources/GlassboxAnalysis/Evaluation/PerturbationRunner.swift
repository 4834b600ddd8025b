import Foundation
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor

/// Runs one input with sets of its units removed and reads the target (docs/methods.md §9.1).
///
/// "Removed" means the unit's input embedding row (`hook_embed`: a token's embedding, or a
/// patch's projection) is replaced by the baseline row; position and token-type embeddings stay,
/// as do the units not listed. The passes of one `read` call run as one batch of the suffix engine
/// (`forwardSuffixes`: stacked rows, in causal models only the positions from the first removed
/// unit on recomputed); identical sets run once. Similarity targets (no head) run one plain forward
/// per set with a `hook_embed` intervention.
public struct PerturbationRunner: Sendable {
    /// The model run.
    public let model: TransformerModel
    /// The unperturbed input.
    public let input: ModelInput
    /// What is read.
    public let target: PerturbationTarget
    /// `[d]`: the row a removed unit's `hook_embed` row becomes.
    public let baselineRow: [Float]
    /// The target's reading on the unperturbed input.
    public let original: TargetReading
    /// Input length `n` (tokens, or `[CLS]` + patches).
    public let length: Int
    /// Chunk size and progress of the batched passes.
    public var options: SuffixOptions

    private let base: SuffixBase?
    private let logitRow: Int
    /// How a reading's probability is computed: softmax over the row, or the sigmoid of the
    /// target's logit (sigmoid classifiers).
    private let scores: ClassScoreFunction
    private let otherPooled: [Double]

    /// Prepares the unperturbed pass.
    ///
    /// - Parameters:
    ///   - baselineRow: `[d]`; `PerturbationBaseline.row(for:)` for text, `meanPixelRow` for images.
    public init(model: TransformerModel, input: ModelInput, target: PerturbationTarget, baselineRow: [Float],
                options: SuffixOptions = SuffixOptions()) throws {
        // hook_embed's width: the token table's (ELECTRA: embedding_size), else d.
        let d = model.architecture.image == nil ? model.weights.embeddings.token.shape[1] : model.architecture.dModel
        guard baselineRow.count == d else {
            throw AnalysisError.invalidOption("the baseline row has \(baselineRow.count) values, hook_embed's width is \(d)")
        }
        if model.architecture.head == .replacedTokenDetection {
            throw AnalysisError.oneLogitPerToken(model.architecture.modelType, method: "evaluate (perturbation curves)")
        }
        if case .label = target, model.architecture.head.classLabels == nil {
            throw AnalysisError.invalidOption("this \(model.architecture.modelType) model has no class labels; explain a token")
        }
        (self.model, self.input, self.target, self.baselineRow, self.options) = (model, input, target, baselineRow, options)
        scores = if case .label = target {
            try model.architecture.probabilityScores(for: "evaluate (its curves)")
        } else { .softmax }
        switch target {
        case .similarity(let other, let pooling):
            let forward = try model.forward(input)
            length = forward.hidden.shape[0]
            otherPooled = pooling.poolExactly(try model.forward(other).hidden)
            (base, logitRow) = (nil, 0)
            original = try Self.cosine(pooling.poolExactly(forward.hidden), otherPooled)
        case .token(let id, let position):
            let base = try model.suffixBase(input, logitRows: [position])
            (self.base, length, logitRow, otherPooled) = (base, base.length, 0, [])
            original = try Self.reading(base.logits, row: 0, index: id)
        case .label(let index):
            let base = try model.suffixBase(input, logitRows: [0])
            (self.base, length, logitRow, otherPooled) = (base, base.length, 0, [])
            original = try Self.reading(base.logits, row: 0, index: index, scores: scores)
        }
    }

    /// The target's reading with each set of positions removed, in the order given (an empty set
    /// reads the unperturbed input).
    public func read(_ removals: [[Int]]) throws -> [TargetReading] {
        let keys = removals.map { Array(Set($0)).sorted() }
        for key in keys { for p in key where p < 0 || p >= length { throw AnalysisError.positionOutOfRange(p, length: length) } }
        var unique: [[Int]] = [], slot: [[Int]: Int] = [:]
        for key in keys where !key.isEmpty && slot[key] == nil {
            slot[key] = unique.count
            unique.append(key)
        }
        let readings = try readUnique(unique)
        return keys.map { $0.isEmpty ? original : readings[slot[$0]!] }
    }

    private func readUnique(_ sets: [[Int]]) throws -> [TargetReading] {
        guard !sets.isEmpty else { return [] }
        switch target {
        case .similarity(_, let pooling):
            return try sets.map { set in
                let row = baselineRow
                let edit = Interventions(.embed) { _, embed in
                    var e = embed                                                // [n, d]
                    let d = e.shape[1]
                    e.withUnsafeMutableBufferPointer { b in
                        for p in set { for j in 0..<d { b[p * d + j] = row[j] } }
                    }
                    return e
                }
                let hidden = try model.forward(input, interventions: edit).hidden
                return try Self.cosine(pooling.poolExactly(hidden), otherPooled)
            }
        case .token(let id, _), .label(let id):
            let items = sets.map { SuffixItem(embedding: EmbeddingEdit(positions: $0, row: baselineRow)) }
            var out: [TargetReading] = []
            try model.forwardSuffixes(base: base!, items: items, options: options) { _, logits in
                out.append(try Self.reading(logits, row: logitRow, index: id, scores: scores))
            }
            return out
        }
    }

    /// Reads `index` from row `row` of logits `[rows, V]`, its probability under `scores`.
    static func reading(_ logits: Tensor, row: Int, index: Int, scores: ClassScoreFunction = .softmax) throws -> TargetReading {
        let width = logits.shape[1]
        guard index >= 0 && index < width else {
            throw AnalysisError.invalidOption("target \(index) is outside the model's \(width) outputs")
        }
        return TargetReading.from(logits: logits.storage[(row * width)..<((row + 1) * width)], index: index, scores: scores)
    }

    static func cosine(_ a: [Double], _ b: [Double]) throws -> TargetReading {
        var dot = 0.0, na = 0.0, nb = 0.0
        for j in a.indices { dot += a[j] * b[j]; na += a[j] * a[j]; nb += b[j] * b[j] }
        guard na > 0, nb > 0 else { throw AnalysisError.invalidOption("cosine similarity of a zero embedding") }
        let c = Float(dot / (na.squareRoot() * nb.squareRoot()))
        return TargetReading(value: c, probability: c)
    }
}
