import Foundation
import GlassboxRuntime
import GlassboxTensor

/// AtMan: explanations by attention manipulation (Deiseroth, Deb, Weinbach, Brack, Schramowski,
/// Kersting, *AtMan: Understanding Transformer Predictions Through Memory Efficient Attention
/// Manipulation*, NeurIPS 2023), following the official code `Aleph-Alpha/AtMan:atman-magma`.
///
/// For each explained group of positions, one forward pass suppresses attention to them — in every
/// layer (or the chosen ones) and head, the group's key columns are shifted and multiplied by the
/// factor `f` (`AttentionScoreEdit`), together with their conceptual neighbours — and the change in
/// the target's cross-entropy is the group's score. `n + 1` forward passes, no gradients, so memory
/// stays at inference level; the batched engine (`TransformerModel.forwardSuffixes`) makes the
/// passes cheap.
public enum AtMan {
    /// Explains `target` on `input`.
    ///
    /// - Parameters:
    ///   - model: a model with a prediction head (LM, masked LM or classifier).
    ///   - input: token ids (with optional token types) or pixels `[C, H, W]`.
    ///   - target: what is explained (see `Target`).
    ///   - groups: the explained groups of positions, disjoint (e.g. words or sentences from
    ///     tokenizer offsets; patches for images). Default: every position that can matter — all
    ///     of them, except in causal models positions after the last scored row.
    ///   - options: factor, κ, shift, layers, score, engine, progress.
    /// - Returns: per-group scores (summed over targets) and per-target details.
    public static func explain(_ model: TransformerModel, _ input: ModelInput, target: Target,
                               groups: [[Int]]? = nil, options: Options = Options()) throws -> AtManResult {
        let arch = model.architecture
        try options.validate(layers: arch.layers)
        // delta-ce reads the target's probability: a softmax over the row, or σ(z_c) for a sigmoid head.
        let scores = options.score == .crossEntropy ? try arch.probabilityScores(for: "AtMan (its delta-ce score)") : .softmax
        let (run, targetIDs, rows) = try resolve(model, input, target)
        let conceptual = options.kappa != nil
        let clock = ContinuousClock(), started = clock.now
        let base = try model.suffixBase(run, logitRows: rows, capture: conceptual ? .points([.embed]) : .none)
        let basePass = clock.now - started
        let n = base.length, lastRow = rows.max() ?? 0
        let explained = groups ?? (arch.mask == .causal ? (0...lastRow).map { [$0] } : (0..<n).map { [$0] })
        try validate(groups: explained, length: n)
        let similarities = conceptual ? ConceptualSuppression.similarities(base.result.cache[.embed]!) : nil
        let suppressions = ConceptualSuppression.suppressions(
            groups: explained, factor: options.factor, threshold: options.kappa,
            scaled: options.scaleFactorBySimilarity, similarities: similarities)
        let edits = suppressions.map {
            AttentionScoreEdit(keys: $0.keys, factors: $0.factors, shift: options.shift, layers: options.layers)
        }
        let items = edits.map(SuffixItem.init(edit:))                // each pass from its first suppressed key

        let scorer = Scorer(score: options.score, temperature: options.temperature, targets: targetIDs,
                            baseLogits: base.logits, scores: scores)
        var perTarget = [[Float]](repeating: [], count: explained.count)
        switch options.engine {
        case .batched:
            // The first chunk of passes (as many as the row budget takes, at least one), timed,
            // calibrates the estimate of all of them (AtManCost: a pass recomputes the rows from its
            // first suppressed key on, so later ones cost less); the unperturbed pass above is no
            // guide (it also captures activations, and pays one-time costs).
            let timedStart = clock.now
            try model.forwardSuffixes(base: base, items: items,
                                      options: SuffixOptions(rowBudget: options.rowBudget, progress: options.progress),
                                      chunkFinished: { range in
                guard range.lowerBound == 0 else { return }
                let timed = clock.now - timedStart
                let seconds = AtManCost(arch).seconds(starts: items.map(\.start), length: n, causal: base.isCausal,
                                                      timedStarts: items[range].map(\.start), timedSeconds: timed.seconds)
                options.estimate?(edits.count, seconds / Double(edits.count))
            }) { i, logits in
                perTarget[i] = scorer.deltas(logits)
            }
        case .hooks:
            options.estimate?(edits.count, basePass.seconds)                // every pass reruns everything
            for (i, edit) in edits.enumerated() {
                let logits = try HookPath.forward(model, run, edit: edit, logitRows: base.logitRows)
                perTarget[i] = scorer.deltas(logits)
                options.progress?(i + 1, edits.count)
            }
        }
        if options.squared { perTarget = perTarget.map { $0.map { $0 * $0 } } }
        let groupScores = perTarget.map { $0.reduce(0, +) }
        var positionScores = [Float](repeating: 0, count: n)
        for (group, score) in zip(explained, groupScores) { for p in group { positionScores[p] = score } }
        var parameters = options.provenance
        if scores == .sigmoid { parameters["scores"] = scores.rawValue }
        parameters["targets"] = targetIDs.map(String.init).joined(separator: ",")
        let inputIDs: [Int] = if case .tokens(let ids, _) = run { ids } else { [] }
        return AtManResult(
            scores: TokenScores(method: "atman", parameters: parameters, position: lastRow,
                                scores: positionScores, image: arch.image),
            groups: explained, groupScores: groupScores, perTarget: perTarget, targets: targetIDs,
            targetPositions: rows, baseline: scorer.baseline, baseLogits: base.logits, suppressions: suppressions, inputIDs: inputIDs)
    }

    /// The input actually run, the target ids and the logit row of each.
    static func resolve(_ model: TransformerModel, _ input: ModelInput,
                        _ target: Target) throws -> (ModelInput, [Int], [Int]) {
        let arch = model.architecture
        func checkToken(_ id: Int) throws {
            if arch.head == .replacedTokenDetection {
                throw AnalysisError.oneLogitPerToken(arch.modelType, method: "AtMan")
            }
            guard arch.head.predictsTokens else {
                throw AnalysisError.invalidOption("this \(arch.modelType) model does not predict tokens; explain a class label")
            }
            guard id >= 0 && id < arch.vocabSize else {
                throw AnalysisError.invalidOption("target token \(id) is outside the vocabulary (0..<\(arch.vocabSize))")
            }
        }
        switch target {
        case .continuation(let targets):
            guard arch.mask == .causal, arch.head == .languageModel else {
                throw AnalysisError.invalidOption("continuation targets need a causal language model; use a token target at a position")
            }
            guard case .tokens(let ids, let types) = input, !ids.isEmpty else {
                throw AnalysisError.invalidOption("continuation targets need a non-empty token input")
            }
            guard !targets.isEmpty else { throw AnalysisError.invalidOption("give at least one target token") }
            for t in targets { try checkToken(t) }
            let appended = ids + targets.dropLast()
            let runTypes = types.map { $0 + Array(repeating: $0.last ?? 0, count: targets.count - 1) }
            let rows = Array((ids.count - 1)..<(ids.count - 1 + targets.count))
            return (.tokens(appended, types: runTypes), targets, rows)
        case .token(let id, let position):
            try checkToken(id)
            guard case .tokens(let ids, _) = input else { throw AnalysisError.invalidOption("a token target needs a token input") }
            guard position >= 0 && position < ids.count else { throw AnalysisError.positionOutOfRange(position, length: ids.count) }
            return (input, [id], [position])
        case .label(let index):
            guard case .sequenceClassification(let labels, _) = arch.head else {
                throw AnalysisError.invalidOption("this \(arch.modelType) model has no class labels; explain a token")
            }
            guard index >= 0 && index < labels.count else {
                throw AnalysisError.invalidOption("class \(index) is outside 0..<\(labels.count)")
            }
            return (input, [index], [arch.classifierPosition(input) ?? 0])     // the pooled row: [CLS], or a decoder's last non-pad token
        }
    }

    private static func validate(groups: [[Int]], length n: Int) throws {
        guard !groups.isEmpty else { throw AnalysisError.invalidOption("there is nothing to explain (no groups)") }
        var seen = Set<Int>()
        for group in groups {
            guard !group.isEmpty else { throw AnalysisError.invalidOption("an explained group is empty") }
            for p in group {
                guard p >= 0 && p < n else { throw AnalysisError.positionOutOfRange(p, length: n) }
                guard seen.insert(p).inserted else {
                    throw AnalysisError.invalidOption("position \(p) is in more than one group; groups must be disjoint")
                }
            }
        }
    }
}

extension AtMan {
    /// Per-target scores of one pass against the unperturbed one.
    struct Scorer {
        let score: AtMan.Score
        let temperature: Float?
        let targets: [Int]
        /// How the cross-entropy reads the target's probability: softmax over the row, or the
        /// sigmoid of the target's logit (multi-label and one-output classifiers).
        let scores: ClassScoreFunction
        /// Per target: CE (or logit) of the base pass.
        let baseline: [Float]

        init(score: AtMan.Score, temperature: Float?, targets: [Int], baseLogits: Tensor, scores: ClassScoreFunction) {
            (self.score, self.temperature, self.targets, self.scores) = (score, temperature, targets, scores)
            baseline = Self.values(baseLogits, score: score, temperature: temperature, targets: targets, scores: scores)
        }

        /// `[T]`: ΔCE (`CE_pert − CE_orig`) or Δlogit (`logit_orig − logit_pert`) per target, from
        /// logits `[T, V]`.
        func deltas(_ logits: Tensor) -> [Float] {
            let values = Self.values(logits, score: score, temperature: temperature, targets: targets, scores: scores)
            return zip(values, baseline).map { score == .crossEntropy ? $0 - $1 : $1 - $0 }
        }

        /// Per target row `t`: the cross-entropy `logsumexp(l/τ) − l[y_t]/τ` (in Double) — for a
        /// sigmoid head the binary cross-entropy of the label being on, `−log σ(l[y_t]/τ) =
        /// softplus(−l[y_t]/τ)` — or the raw logit `l[y_t]`.
        static func values(_ logits: Tensor, score: AtMan.Score, temperature: Float?, targets: [Int],
                           scores: ClassScoreFunction) -> [Float] {
            let width = logits.shape[1]
            let tau = Double(temperature ?? 1)
            return targets.enumerated().map { t, y in
                let row = logits.storage[(t * width)..<((t + 1) * width)]
                guard score == .crossEntropy else { return row[row.startIndex + y] }
                return Float(-scores.logProbability(of: y, in: row, temperature: tau))
            }
        }
    }
}
