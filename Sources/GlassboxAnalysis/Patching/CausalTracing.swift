import Foundation
import GlassboxRuntime
import GlassboxTensor

/// Causal tracing (Meng, Bau, Andonian & Belinkov, *Locating and Editing Factual Associations in
/// GPT*, NeurIPS 2022, §2.1; `kmeng01/rome:experiments/causal_trace.py`), docs/methods.md §10.3.
///
/// The corrupted run is the clean input with Gaussian noise `ε ~ N(0, ν²)` added to the token
/// embeddings (`hook_embed`) of a span of positions; then the clean value of one state is restored
/// and the probability of the answer measured:
/// - **residual**: the hidden state after block `l` (its output) at position `p`;
/// - **MLP** / **attention**: `hook_mlp_out` / `hook_attn_out` at position `p` in a window of layers
///   around `l` (ROME: `max(0, l − ⌊W/2⌋) ..< min(L, l + ⌈W/2⌉)`; ROME uses `W = 10`, Glassbox
///   defaults to 1).
/// Results are averaged over `samples` seeded noise draws (ROME: 10). `ν = noiseScale` × the
/// standard deviation of the token-embedding matrix's entries (× Gemma's embedding scale `√d`: ROME
/// measures the standard deviation on the embedding module's outputs, the tensors it noises, so its
/// noise at `hook_embed` is `√d ×` the rows' on Gemma 1 and 2, whose module outputs unscaled rows
/// that the model then scales, and on Gemma 3, whose module scales them itself). **Difference from the reference**:
/// ROME measures the standard deviation of the subject tokens' embeddings over a corpus; the
/// embedding matrix is the offline stand-in.
///
/// Restored runs go through the batched suffix engine (a restore at layer `l` starts at layer `l`);
/// the last layer's residual restore, which no later block reads, runs as one plain forward with
/// an intervention.
public enum CausalTracing {
    /// What to trace.
    public struct Options: Sendable {
        /// The noised positions (ROME: the subject's tokens).
        public var noiseSpan: Range<Int>
        /// `ν / std(W_E)` (ROME: 3).
        public var noiseScale: Float = 3
        /// Noise samples averaged (ROME: 10).
        public var samples = 10
        /// Seed of the first sample (sample `s` uses `seed + s`).
        public var seed: UInt64 = 0
        /// Layers restored together in the MLP and attention panels.
        public var window = 1
        /// The answer token (`nil`: the clean run's top prediction).
        public var answer: Int? = nil
        /// The position read (`nil`: the last).
        public var position: Int? = nil
        /// Token types (both runs).
        public var tokenTypes: [Int]? = nil
        /// Stacked rows per chunk of the batched engine.
        public var rowBudget = 4096
        /// `.batched` (default) or `.hooks`: one plain forward per restored state, with interventions
        /// (the reference the engine is tested against).
        public var engine: PatchingEngine = .batched
        /// Called with `(completed, total)` noise samples.
        public var progress: (@Sendable (_ completed: Int, _ total: Int) -> Void)? = nil

        /// Options noising `noiseSpan`, with ROME's scale and samples and a window of 1.
        public init(noiseSpan: Range<Int>) { self.noiseSpan = noiseSpan }
    }

    /// A causal trace.
    public struct Result: Sendable {
        /// The answer token and the position read.
        public let answer: Int, position: Int
        /// How `p(answer)` is read: the softmax over the row, or `σ(z_answer)` for multi-label and
        /// one-output classifiers (the probability the pipeline shows).
        public var scores: ClassScoreFunction = .softmax
        /// `p(answer)` on the clean run and (mean over samples) on the noised run.
        public let cleanProb: Float, corruptedProb: Float
        /// The noise's standard deviation `ν`.
        public let noiseStd: Float
        /// Three `[layer, position]` maps: `resid`, `mlp`, `attn`; `raw` is the mean restored
        /// `p(answer)`, `effect` `(p − p_corrupted) / (p_clean − p_corrupted)`.
        public let maps: [PatchingMap]
    }

    /// The most noise samples `run` accepts: far above any useful value (ROME uses 10), low
    /// enough that a typo cannot ask for hours of noised runs.
    public static let maximumSamples = 1_000

    /// Traces `ids`.
    public static func run(_ model: TransformerModel, ids: [Int], options: Options) throws -> Result {
        let arch = model.architecture
        let n = ids.count
        guard options.samples >= 1 else { throw AnalysisError.invalidOption("the number of noise samples must be at least 1") }
        guard options.samples <= maximumSamples else {
            throw AnalysisError.invalidOption("the number of noise samples must be at most \(maximumSamples) (each sample is a noised "
                                              + "run of every restoration), got \(options.samples)")
        }
        guard options.window >= 1 else { throw AnalysisError.invalidOption("the window must be at least 1 layer") }
        guard options.noiseScale.isFinite && options.noiseScale >= 0 else {
            throw AnalysisError.invalidOption("the noise scale must be a number ≥ 0, got \(options.noiseScale)")
        }
        let span = options.noiseSpan
        guard !span.isEmpty, span.lowerBound >= 0, span.upperBound <= n else {
            throw AnalysisError.invalidOption("the noise span \(span.lowerBound):\(span.upperBound) must be a non-empty range of positions within 0..<\(n)")
        }
        guard arch.head != .none else {
            throw AnalysisError.invalidOption("this \(arch.modelType) model has no prediction head; causal tracing measures a prediction")
        }
        if arch.head == .replacedTokenDetection {
            throw AnalysisError.oneLogitPerToken(arch.modelType, method: "causal tracing")
        }
        // The answer's probability: softmax, or σ(z_answer) for multi-label and one-output classifiers.
        let scores = try arch.probabilityScores(for: "causal tracing")
        // A classifier's pooled position ([CLS]; a decoder's last non-pad token), else the asked / last one.
        let position = arch.classifierPosition(ids: ids) ?? options.position ?? n - 1
        guard position >= 0 && position < n else { throw AnalysisError.positionOutOfRange(position, length: n) }
        let input = ModelInput.tokens(ids, types: options.tokenTypes)
        let last = arch.layers - 1
        let blockOutput: BlockSite = arch.placement == .post ? .normalizedResidPost : .residPost
        let clean = try model.forward(input, capture: .matching { point in
            switch point {
            case .block(_, .residPre), .block(_, .mlpOut), .block(_, .attnOut): true
            case .block(last, blockOutput): true
            default: false
            }
        }, logitRows: .positions([position]))
        let cleanLogits = clean.logits!.storage
        let answer = options.answer ?? cleanLogits.indices.max { cleanLogits[$0] < cleanLogits[$1] }!
        guard answer >= 0 && answer < cleanLogits.count else { throw PatchingError.answerOutOfRange(id: answer, size: cleanLogits.count) }
        let metric = PatchingMetric.prob(answer: answer)
        let pClean = metric.evaluate(clean.logits!, cleanLogProbs: [], scores: scores)
        // At `hook_embed`, after Gemma's √d scale (outside the embedding module in Gemma 1 and 2,
        // inside it in Gemma 3): ROME's ν, measured on the outputs it noises, is √d × the rows' in all three.
        let nu = options.noiseScale * standardDeviation(model.weights.embeddings.token) * (model.weights.embeddings.scale ?? 1)

        // Cells: resid, mlp, attn × [layer, position], in map order.
        // A window of 2·L layers or more covers every layer from every layer (clamped: no overflow).
        let width = min(options.window, 2 * arch.layers)
        func window(_ l: Int) -> Range<Int> { max(0, l - width / 2)..<min(arch.layers, l + (width + 1) / 2) }
        var items: [(kind: Int, cell: Int, item: SuffixItem?)] = []
        for kind in 0..<3 {
            for l in 0..<arch.layers {
                for p in 0..<n {
                    let cell = l * n + p
                    switch kind {
                    case 0 where l == last: items.append((kind, cell, nil))                 // hook path
                    case 0:
                        items.append((kind, cell, SuffixItem(patches: [ActivationPatch(
                            layer: l + 1, site: .residPre, positions: [p], columns: 0..<arch.dModel,
                            from: clean.cache[.block(l + 1, .residPre)]!)])))
                    default:
                        let site: ActivationPatch.Site = kind == 1 ? .mlpOut : .attnOut
                        items.append((kind, cell, SuffixItem(patches: window(l).map { w in
                            ActivationPatch(layer: w, site: site, positions: [p], columns: 0..<arch.dModel,
                                            from: clean.cache[.block(w, site.blockSite)]!)
                        })))
                    }
                }
            }
        }
        let batched = options.engine == .batched
        let engine = items.indices.filter { batched && items[$0].item != nil }
            .sorted { (items[$0].item!.startLayer, $0) < (items[$1].item!.startLayer, $1) }
        let engineSet = Set(engine)
        var sums = [[Double]](repeating: [Double](repeating: 0, count: arch.layers * n), count: 3)
        var corruptedSum = 0.0
        // hook_embed's width: the token table's (ELECTRA's embedding_size, not the residual width d).
        let d = model.weights.embeddings.token.shape[1]
        for s in 0..<options.samples {
            let noise = gaussian(rows: span.count, columns: d, seed: options.seed &+ UInt64(s), std: nu)
            let noised = Interventions(.embed) { _, embed in
                var out = embed
                out.withUnsafeMutableBufferPointer { o in
                    for (r, p) in span.enumerated() { for j in 0..<d { o[p * d + j] += noise[r * d + j] } }
                }
                return out
            }
            let base = try model.suffixBase(input, logitRows: [position], keepResiduals: true, interventions: noised)
            corruptedSum += Double(metric.evaluate(base.logits, cleanLogProbs: [], scores: scores))
            try model.forwardSuffixes(base: base, items: engine.map { items[$0].item! },
                                      options: SuffixOptions(rowBudget: options.rowBudget)) { i, logits in
                let (kind, cell, _) = items[engine[i]]
                sums[kind][cell] += Double(metric.evaluate(logits, cleanLogProbs: [], scores: scores))
            }
            for (index, (kind, cell, item)) in items.enumerated() where !engineSet.contains(index) {
                let p = cell % n
                // The hook path: the restored states spliced in at their hooks of a noised forward.
                let restores: [HookPoint] = item?.patches.map { .block($0.layer, $0.site.blockSite) } ?? [.block(last, blockOutput)]
                var interventions = noised
                for point in restores {
                    let restored = clean.cache[point]!
                    interventions.add(point) { _, activation in
                        PatchingCell(point: point, rows: [p], columns: 0..<arch.dModel, engineSite: nil)
                            .splice(activation, from: restored)
                    }
                }
                let logits = try model.forward(input, interventions: interventions, logitRows: .positions([position])).logits!
                sums[kind][cell] += Double(metric.evaluate(logits, cleanLogProbs: [], scores: scores))
            }
            options.progress?(s + 1, options.samples)
        }
        let count = Double(options.samples)
        let pCorrupted = Float(corruptedSum / count)
        // As exact patching refuses equal metrics: with p_noised = p_clean every effect would be 0/0.
        do {
            try PatchingError.checkDifference(metric: "prob", clean: pClean, corrupted: pCorrupted)
        } catch PatchingError.noMetricDifference {
            throw PatchingError.noiseHasNoEffect(clean: pClean, noised: pCorrupted)   // worded for noise
        }
        let denominator = pClean - pCorrupted
        let maps = zip(["resid", "mlp", "attn"], sums).map { site, sum in
            let raw = sum.map { Float($0 / count) }
            return PatchingMap(site: site, kind: nil, axes: ["layer", "position"], shape: [arch.layers, n],
                               effect: raw.map { ($0 - pCorrupted) / denominator }, raw: raw)
        }
        var result = Result(answer: answer, position: position, cleanProb: pClean, corruptedProb: pCorrupted, noiseStd: nu, maps: maps)
        result.scores = scores
        return result
    }

    /// The standard deviation of all entries of `t` (population, in Double).
    static func standardDeviation(_ t: WeightMatrix) -> Float {
        // Row by row in storage order: the same Double sums as over an f32 copy, without the copy.
        let n = Double(t.count)
        var sum = 0.0
        for r in 0..<t.rowCount { sum = t.row(r).storage.reduce(sum) { $0 + Double($1) } }
        let mean = sum / n
        var squares = 0.0
        for r in 0..<t.rowCount { squares = t.row(r).storage.reduce(squares) { $0 + (Double($1) - mean) * (Double($1) - mean) } }
        return Float((squares / n).squareRoot())
    }

    /// The population standard deviation of all values of `t`.
    static func standardDeviation(_ t: Tensor) -> Float {
        let n = Double(t.count)
        let mean = t.storage.reduce(0.0) { $0 + Double($1) } / n
        let variance = t.storage.reduce(0.0) { $0 + (Double($1) - mean) * (Double($1) - mean) } / n
        return Float(variance.squareRoot())
    }

    /// `[rows · columns]` draws of `N(0, std²)` from SplitMix64 by the Box–Muller transform.
    static func gaussian(rows: Int, columns: Int, seed: UInt64, std: Float) -> [Float] {
        var rng = SplitMix64(seed: seed)
        func uniform() -> Double { (Double(rng.next() >> 11) + 0.5) / Double(1 << 53) }
        var out = [Float]()
        out.reserveCapacity(rows * columns)
        while out.count < rows * columns {
            let (u, v) = (uniform(), uniform())
            let r = (-2 * Foundation.log(u)).squareRoot()
            out.append(Float(r * Foundation.cos(2 * .pi * v)) * std)
            out.append(Float(r * Foundation.sin(2 * .pi * v)) * std)
        }
        return Array(out.prefix(rows * columns))
    }
}
