import Foundation
import GlassboxRuntime
import GlassboxTensor

/// Attribution patching (docs/methods.md §10.2): the first-order estimate of every site's patching
/// effect from one forward and one backward pass on the base input plus one forward pass on the
/// source input (Nanda, *Attribution Patching*, 2023; Syed, Rager & Conmy, *Attribution Patching
/// Outperforms Automated Circuit Discovery*, 2023, Eq. 1):
///
/// `ĉ(site) = Σ_{site's elements} (a_source − a_base) · ∂M/∂a |_{base run}`
///
/// and `M_patched ≈ M_base + ĉ`, normalised like exact patching. The gradient is the model's true
/// gradient, from the same hand-written reverse pass grad × input uses (the `.gradientTimesInput`
/// rule table), seeded with the metric's derivative at the logits.
///
/// AtP* (Kramár, Lieberum, Shah & Nanda, *AtP\*: An efficient and scalable method for localizing
/// LLM behaviour to components*, 2024):
/// - §3.1, query and key sites: the patched attention pattern is computed exactly (softmax of the
///   patched scores) and only the step after the pattern is linearised:
///   `ĉ = Σ_heads Σ (A_patched − A_base) · ∂M/∂A`;
/// - §3.2, GradDrop: the backward pass is repeated `L` times, each with the gradient through one
///   layer's attention and MLP dropped (it flows only along the residual stream there), giving the
///   ranking score `sign(ĉ) · 1/(L−1) · Σ_l |ĉ_l|` (`gradDropScores`). It counters cancellation
///   between paths (fewer false negatives when sites are ranked); it is not an estimate of the
///   patched metric, so it goes to `PatchingMap.ranking` and the maps' `effect` and `raw` hold the
///   estimate `ĉ` (with the §3.1 correction, nothing dropped). With one layer GradDrop is skipped.
public enum AttributionPatching {
    /// Attribution-specific options.
    public struct Options: Sendable {
        /// AtP* (the two corrections above) instead of plain AtP.
        public var star = false
        /// With `star`: also GradDrop's ranking score, `PatchingMap.ranking` (the default; it costs
        /// `L` more backward passes and leaves the estimates unchanged).
        public var gradDrop = true
        /// Also run exact patching and report Pearson correlation and top-`k` overlap per map.
        public var compareWithExact = false
        /// `k` of the overlap (at most the map's cell count).
        public var topK = 10

        /// Plain AtP without comparison.
        public init() {}
    }

    /// Estimates every map of `options.sites` (named hooks are not supported: they need exact patching).
    ///
    /// - Parameters:
    ///   - model: a model with a prediction head.
    ///   - clean, corrupted: token ids `[n]` each.
    ///   - options: metric, direction, sites, position (as for `ActivationPatching.run`).
    ///   - attribution: AtP or AtP*, comparison with exact patching.
    public static func run(_ model: TransformerModel, clean: [Int], corrupted: [Int], options: PatchingOptions,
                           attribution: Options = Options()) throws -> PatchingResult {
        guard options.hooks.isEmpty else {
            throw AnalysisError.invalidOption("attribution patching covers the site kinds only; patch named hooks with the exact method")
        }
        var setup = try ActivationPatching.Setup(model, clean: clean, corrupted: corrupted, options: options)
        let arch = model.architecture
        let n = clean.count
        let table = RuleTable.gradientTimesInput
        let (queries, keys) = (arch.scoredQuery, arch.scoredKey)
        let sitePoints: @Sendable (HookPoint) -> Bool = { point in
            guard case .block(_, let site) = point else { return false }
            switch site {
            case .residPre, .attnOut, .mlpOut, .z, .q, .k, .v, .pattern, queries, keys: return true
            default: return false
            }
        }
        let sweepPoints = ReverseSweep.capture(arch, table)
        let capture = HookFilter.matching { sitePoints($0) || sweepPoints.contains($0) }
        // The base run (with everything the reverse pass reads) and the source run.
        let base = try model.forward(setup.baseInput, capture: capture, logitRows: .positions([setup.position]))
        let source = try model.forward(setup.sourceInput, capture: .matching(sitePoints), logitRows: .positions([setup.position]))
        let (cleanLogits, corruptedLogits) = options.direction == .denoise ? (source.logits!, base.logits!) : (base.logits!, source.logits!)
        setup.cleanLogProbs = PatchingMetric.logSoftmax(cleanLogits.storage)
        let mc = setup.metric(cleanLogits), mr = setup.metric(corruptedLogits)
        try PatchingError.checkDifference(metric: options.metric.name, clean: mc, corrupted: mr)
        let baseMetric = options.direction == .denoise ? mr : mc
        let seed = Self.seed(options.metric, logits: base.logits!.storage, cleanLogProbs: setup.cleanLogProbs, scores: setup.scores)

        let layouts = options.sites.map { kind in
            (kind, PatchingCell.cells(kind, architecture: arch, length: n, allPositions: Array(0..<n)))
        }
        let star = attribution.star
        let sweeps = star && attribution.gradDrop && arch.layers > 1 ? arch.layers + 1 : 1
        var estimates: [[Float]] = []                    // per sweep, all cells of all maps in order
        for s in 0..<sweeps {
            let gradients = try backward(model, base, seed: seed, position: setup.position, length: n, table: table,
                                         dropLayer: s == 0 ? nil : s - 1,
                                         wantPatterns: star || options.sites.contains(.pattern))
            var list: [Float] = []
            for (kind, layout) in layouts {
                for cell in layout.cells {
                    list.append(try estimate(cell, kind: kind, star: star, base: base.cache, source: source.cache,
                                             gradients: gradients, model: model))
                }
            }
            estimates.append(list)
            options.progress?(s + 1, sweeps)
        }
        let scores = sweeps > 1 ? gradDropScores(estimate: estimates[0], dropped: Array(estimates.dropFirst())) : nil
        var maps: [PatchingMap] = []
        var offset = 0
        for (kind, layout) in layouts {
            let span = offset..<(offset + layout.cells.count)
            offset += layout.cells.count
            let c = Array(estimates[0][span])
            maps.append(PatchingMap(site: kind.jsonSite, kind: kind, axes: kind.axes, shape: layout.shape,
                                    effect: c.map { $0 / (mc - mr) }, raw: c.map { baseMetric + $0 },
                                    ranking: scores.map { $0[span].map { $0 / (mc - mr) } }))
        }
        var result = PatchingResult(method: star ? .atpStar : .atp, direction: options.direction, metric: options.metric,
                                    cleanMetric: mc, corruptedMetric: mr, position: setup.position, cleanIDs: clean,
                                    corruptedIDs: corrupted, firstDifference: setup.firstDifference, maps: maps)
        if attribution.compareWithExact {
            var exactOptions = options
            exactOptions.progress = nil
            let exact = try ActivationPatching.run(model, clean: clean, corrupted: corrupted, options: exactOptions)
            result.agreement = zip(maps, exact.maps).map { Self.agreement($0.effect, $1.effect, site: $0.site, k: attribution.topK) }
        }
        return result
    }

    /// `∂M/∂logits [V]` at the base run. For a sigmoid head (`scores`), `prob` and `logprob` read
    /// only the answer's logit: `∂σ(z_a)/∂z_a = σ(1 − σ)`, `∂log σ(z_a)/∂z_a = 1 − σ`.
    static func seed(_ metric: PatchingMetric, logits: [Float], cleanLogProbs: [Double],
                     scores: ClassScoreFunction) -> [Float] {
        if scores == .sigmoid {
            var g = [Float](repeating: 0, count: logits.count)
            switch metric {
            case .prob(let a):
                let s = ClassScoreFunction.sigmoid(Double(logits[a]))
                g[a] = Float(s * (1 - s))
                return g
            case .logProb(let a):
                g[a] = Float(ClassScoreFunction.sigmoid(-Double(logits[a])))           // 1 − σ(z), without cancellation
                return g
            case .logitDiff, .kl: break
            }
        }
        let logP = PatchingMetric.logSoftmax(logits)
        let p = logP.map { Foundation.exp($0) }
        var g = [Float](repeating: 0, count: logits.count)
        switch metric {
        case .logitDiff(let a, let w):
            g[a] += 1
            g[w] -= 1
        case .logProb(let a):                                   // e_a − p
            for v in g.indices { g[v] = Float(-p[v]) }
            g[a] += 1
        case .prob(let a):                                      // p_a (e_a − p)
            for v in g.indices { g[v] = Float(-p[a] * p[v]) }
            g[a] += Float(p[a])
        case .kl:                                               // p − p_clean
            for v in g.indices { g[v] = Float(p[v] - Foundation.exp(cleanLogProbs[v])) }
        }
        return g
    }

    /// Gradients of the metric at every site's hook, and `∂M/∂A [n, n]` per `(layer, head)`.
    struct Gradients {
        var points: [HookPoint: Tensor] = [:]
        var patterns: [Int: Tensor] = [:]                    // key layer·H + head
    }

    static func backward(_ model: TransformerModel, _ base: ForwardResult, seed: [Float], position: Int, length n: Int,
                         table: RuleTable, dropLayer: Int?, wantPatterns: Bool) throws -> Gradients {
        let heads = model.architecture.heads
        var sweep = ReverseSweep(model: model, cache: base.cache, table: table, length: n)
        sweep.seedOverride = seed
        sweep.dropLayer = dropLayer
        let collected = Collector(Gradients())
        sweep.gradientObserver = { point, g in collected.update { $0.points[point] = g } }
        if wantPatterns {
            sweep.attentionObserver = { l, h, _, g in collected.update { $0.patterns[l * heads + h] = g } }
        }
        let (gHidden, _) = try sweep.headBackward(.top(position: position), position: position, forward: base)
        _ = try sweep.blocksBackward(gHidden)
        return collected.value
    }

    /// One cell's estimate `ĉ`.
    static func estimate(_ cell: PatchingCell, kind: PatchingSiteKind, star: Bool, base: ActivationCache,
                         source: ActivationCache, gradients: Gradients, model: TransformerModel) throws -> Float {
        let arch = model.architecture
        guard case .block(let l, _) = cell.point else { return 0 }
        if kind == .pattern {
            let h = cell.rows[0]
            guard let g = gradients.patterns[l * arch.heads + h] else { throw missing("∂M/∂A of layer \(l) head \(h)") }
            let a = try head(base, .block(l, .pattern), h, arch), b = try head(source, .block(l, .pattern), h, arch)
            return dot(difference(b, a), g)
        }
        if star && (kind == .q || kind == .k) {
            return try exactSoftmaxEstimate(cell, kind: kind, layer: l, base: base, source: source, gradients: gradients,
                                            model: model)
        }
        guard let g = gradients.points[cell.point] else { throw missing("the gradient at \(cell.point.name)") }
        guard let a = base[cell.point], let b = source[cell.point] else { throw missing(cell.point.name) }
        let width = a.count / a.shape[0]
        var sum = 0.0
        a.withUnsafeBufferPointer { ap in b.withUnsafeBufferPointer { bp in g.withUnsafeBufferPointer { gp in
            for r in cell.rows { for c in cell.columns {
                let i = r * width + c
                sum += Double(bp[i] - ap[i]) * Double(gp[i])
            } }
        } } }
        return Float(sum)
    }

    /// AtP* §3.1: `Σ_h Σ (A_patched,h − A_base,h) · ∂M/∂A_h`. Head `index`'s slice of `hook_q` or
    /// `hook_k` (the point the q/k site and exact patching patch) comes from the source run at every
    /// position. With a QK-norm over the whole projection (OLMo 2) the norm and the rotary embedding
    /// are recomputed from there (`AttentionWeights.scoredQueries`/`scoredKeys`); otherwise both act
    /// per head, so the head's slice of the source run's cached scored q/k (`Architecture.scoredQuery`/
    /// `scoredKey`) is spliced in. The patterns are recomputed with the forward pass's own score
    /// transform (`pattern`). The sum runs over the query heads whose
    /// pattern can change: the patched query head, or the heads of the patched key/value group; with
    /// a QK-norm over the whole projection (OLMo 2) every head, since one head's slice moves the
    /// norm's statistic and so every head's normalised q (or k).
    static func exactSoftmaxEstimate(_ cell: PatchingCell, kind: PatchingSiteKind, layer l: Int, base: ActivationCache,
                                     source: ActivationCache, gradients: Gradients, model: TransformerModel) throws -> Float {
        let arch = model.architecture, attention = model.weights.blocks[l].attention
        let dh = arch.headDim, group = arch.heads / arch.kvHeads
        let index = cell.columns.lowerBound / dh
        let norm = kind == .q ? attention.queryNorm : attention.keyNorm
        let wholeNorm = norm != nil && arch.qkNormScope == .wholeProjection
        let heads = wholeNorm ? Array(0..<arch.heads)
            : kind == .q ? [index] : Array((index * group)..<((index + 1) * group))
        let qPoint = HookPoint.block(l, arch.scoredQuery), kPoint = HookPoint.block(l, arch.scoredKey)
        guard let qBase = base[qPoint].map(arch.scored), let kBase = base[kPoint].map(arch.scored) else {
            throw missing("the scored queries and keys of layer \(l)")
        }
        let patchedQ: Tensor, patchedK: Tensor                                     // [n, H, dh], [n, Hkv, dh]
        if wholeNorm {
            // hook_q [n, H, dh] or hook_k [n, Hkv, dh] with the cell's slice from the source run, then
            // normalised over the whole projection and rotated as the forward pass does.
            let patchedPoint = HookPoint.block(l, kind == .q ? .q : .k)
            guard let a = base[patchedPoint], let b = source[patchedPoint] else { throw missing(patchedPoint.name) }
            let spliced = splice(a, b, rows: cell.rows, columns: cell.columns)
            patchedQ = kind == .q ? attention.scoredQueries(spliced, layer: l, architecture: arch) : qBase
            patchedK = kind == .k ? attention.scoredKeys(spliced, layer: l, architecture: arch) : kBase
        } else {
            // A per-head QK-norm and the rotary embedding act on each head's slice alone: the cell's
            // head of the source run's scored q (or k) is what the recomputation would give.
            guard let qSource = source[qPoint].map(arch.scored), let kSource = source[kPoint].map(arch.scored) else {
                throw missing("the scored queries and keys of layer \(l) (source run)")
            }
            patchedQ = kind == .q ? splice(qBase, qSource, rows: cell.rows, columns: cell.columns) : qBase
            patchedK = kind == .k ? splice(kBase, kSource, rows: cell.rows, columns: cell.columns) : kBase
        }
        var sum: Float = 0
        for h in heads {
            guard let g = gradients.patterns[l * arch.heads + h] else { throw missing("∂M/∂A of layer \(l) head \(h)") }
            let aBase = try head(base, .block(l, .pattern), h, arch)
            let aPatched = pattern(q: patchedQ, k: patchedK, head: h, layer: l, architecture: arch)
            sum += dot(difference(aPatched, aBase), g)
        }
        return sum
    }

    /// `softmax(finish(scale · q_h · k_gᵀ)) [n, n]` from `q [n, H, dh]`, `k [n, Hkv, dh]`, where
    /// `finish` is the layer's ALiBi, soft-cap and mask (`Architecture.finishScores`, as the forward pass).
    static func pattern(q: Tensor, k: Tensor, head h: Int, layer l: Int, architecture arch: Architecture) -> Tensor {
        let n = q.shape[0], dh = arch.headDim, g = h / (arch.heads / arch.kvHeads)
        var scores = Tensor(shape: [1, n, n]) { out in
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in
                gemm(m: n, n: n, k: dh, a: qp.baseAddress! + h * dh, lda: arch.heads * dh,
                     b: kp.baseAddress! + g * dh, ldb: arch.kvHeads * dh, transposeB: true,
                     c: out.baseAddress!, ldc: n, alpha: arch.attentionScale(layer: l))
            } }
        }
        arch.finishScores(&scores, layer: l, head: h)
        softmaxLastDim(&scores)
        return scores.reshaped([n, n])
    }

    private static func head(_ cache: ActivationCache, _ point: HookPoint, _ h: Int, _ arch: Architecture) throws -> Tensor {
        guard let t = cache[point] else { throw missing(point.name) }
        let n = t.shape[1]
        return Tensor(shape: [n, n], storage: Array(t.storage[(h * n * n)..<((h + 1) * n * n)]))
    }

    private static func splice(_ a: Tensor, _ b: Tensor, rows: [Int], columns: Range<Int>) -> Tensor {
        PatchingCell(point: .embed, rows: rows, columns: columns, engineSite: nil).splice(a, from: b)
    }

    private static func difference(_ a: Tensor, _ b: Tensor) -> [Float] { zip(a.storage, b.storage).map { $0 - $1 } }

    private static func dot(_ a: [Float], _ b: Tensor) -> Float {
        var s = 0.0
        for (x, y) in zip(a, b.storage) { s += Double(x) * Double(y) }
        return Float(s)
    }

    private static func missing(_ what: String) -> AnalysisError {
        .invalidOption("attribution patching: \(what) was not computed (internal error)")
    }

    /// Pearson correlation and top-`k` overlap (by |effect|) of an estimate against exact values.
    static func agreement(_ estimate: [Float], _ exact: [Float], site: String, k: Int) -> PatchingAgreement {
        let n = Double(estimate.count)
        let ma = estimate.reduce(0.0) { $0 + Double($1) } / n, mb = exact.reduce(0.0) { $0 + Double($1) } / n
        var sab = 0.0, saa = 0.0, sbb = 0.0
        for (a, b) in zip(estimate, exact) {
            sab += (Double(a) - ma) * (Double(b) - mb)
            saa += (Double(a) - ma) * (Double(a) - ma)
            sbb += (Double(b) - mb) * (Double(b) - mb)
        }
        let pearson = saa > 0 && sbb > 0 ? Float(sab / (saa * sbb).squareRoot()) : 0
        let kk = min(k, estimate.count)
        func top(_ v: [Float]) -> Set<Int> { Set(v.indices.sorted { abs(v[$0]) > abs(v[$1]) }.prefix(kk)) }
        let overlap = kk > 0 ? Float(top(estimate).intersection(top(exact)).count) / Float(kk) : 0
        return PatchingAgreement(site: site, pearson: pearson, k: kk, topKOverlap: overlap)
    }
}
