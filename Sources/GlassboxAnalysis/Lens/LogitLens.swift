import Foundation
import GlassboxRuntime
import GlassboxTensor

/// The logit lens (nostalgebraist 2020; docs/methods.md §5.1): `logits_l = Readout(h_l)` for the
/// residual stream after each block (and the embeddings), or for each attention / MLP output, at
/// every chosen position. Each cell reports the top-k outputs with probabilities, the target's rank
/// and probability, and `KL(final ‖ lens)`. With the class readout of a ViT this is Vilas et al.'s
/// class lens (NeurIPS 2023, §3) with class identifiability.
///
/// Hidden states follow §0.3: pre-norm models are read *before* the final norm, which the readout
/// recomputes per row, so the last residual row equals the model's logits (≤ 1e-4, tested); BERT's
/// rows are the post-LN block outputs the MLM head reads.
public enum LogitLens {
    /// What a lens run reads and reports.
    public struct Options: Sendable {
        /// Which states are read (default `.resid`).
        public var site: LensSite
        /// Outputs listed per cell (≥ 1).
        public var topK: Int
        /// Positions to read (default: all).
        public var positions: [Int]?
        /// The token whose rank and probability each cell reports (default `.finalTop`).
        public var target: LensTarget
        /// `nil`: the model's natural readout (`LensReadout.natural`).
        public var readout: LensReadout.Kind?
        /// Display strings per token id, for `TokenScore.text`.
        public var tokenTexts: [String]?
        /// Positions read out at once (`nil`: ``LogitLens/positionChunk(vocabulary:)``); the
        /// result does not depend on it, only the memory held.
        public var positionsPerChunk: Int?

        /// Options from their fields, as listed above; checked when the lens runs.
        public init(site: LensSite = .resid, topK: Int = 5, positions: [Int]? = nil, target: LensTarget = .finalTop,
                    readout: LensReadout.Kind? = nil, tokenTexts: [String]? = nil) {
            (self.site, self.topK, self.positions, self.target) = (site, topK, positions, target)
            (self.readout, self.tokenTexts) = (readout, tokenTexts)
        }
    }

    /// The hidden states a lens reads, from one forward pass.
    public struct States: Sendable {
        /// Row labels (`embed`, `layer 0`, … or `attn 0`, … / `mlp 0`, …).
        public let labels: [String]
        /// Per row: its block, 0-based, or nil for the embeddings.
        public let layers: [Int?]
        /// `[n, d]` per row.
        public let states: [Tensor]
        /// The last residual state `[n, d]` (the input of the model's head).
        public let final: Tensor
    }

    /// Runs the model once and returns the lens table.
    public static func run(_ model: TransformerModel, _ input: ModelInput, options: Options = Options()) throws -> LogitLensResult {
        guard options.topK >= 1 else { throw AnalysisError.invalidOption("topK must be at least 1, got \(options.topK)") }
        let readout = try options.readout.map { try LensReadout.make($0, for: model) } ?? LensReadout.natural(for: model)
        let states = try collect(model, input, site: options.site)
        let n = states.final.shape[0]
        let positions = options.positions ?? Array(0..<n)
        guard !positions.isEmpty else { throw AnalysisError.invalidOption("choose at least one position") }
        for p in positions where p < 0 || p >= n { throw AnalysisError.positionOutOfRange(p, length: n) }
        let v = readout.outputs
        let texts = readout.classLabels ?? options.tokenTexts

        // Targets first (they may need the final top token, found chunk by chunk below).
        let targets: [Int?]
        switch options.target {
        case .none, .finalTop: targets = Array(repeating: nil, count: positions.count)
        case .id(let id): targets = Array(repeating: id, count: positions.count)
        case .perPosition(let ids):
            guard ids.count == positions.count else {
                throw AnalysisError.invalidOption("\(ids.count) targets for \(positions.count) positions")
            }
            targets = ids
        }
        for case let t? in targets where t < 0 || t >= v {
            throw AnalysisError.invalidOption("target \(t) is outside the outputs (0..<\(v))")
        }

        // The positions are read a chunk at a time, so that a long input holds 4 · chunk · V
        // floats of logits and probabilities rather than 4 · n · V.
        let chunk = max(1, options.positionsPerChunk ?? Self.positionChunk(vocabulary: v))
        var cellsByRow = [[LensCell?]](repeating: [LensCell?](repeating: nil, count: positions.count), count: states.states.count)
        for chunkStart in stride(from: 0, to: positions.count, by: chunk) {
            let span = chunkStart..<min(positions.count, chunkStart + chunk)
            let chosen = Array(positions[span])
            // The final distribution at each chosen position: the readout of the last residual row.
            let final = readout.logits(states.final.gatherRows(chosen))                      // [P, V]
            var finalProbs = final
            softmaxLastDim(&finalProbs)                                                      // [P, V]
            let finalTop = (0..<chosen.count).map { i in
                final.withUnsafeBufferPointer { VocabularyTopK.select(UnsafeBufferPointer(rebasing: $0[(i * v)..<((i + 1) * v)]), k: 1)[0].id }
            }
            let finalLSE = (0..<chosen.count).map { i in logSumExp(max: final[i, finalTop[i]], probability: finalProbs[i, finalTop[i]]) }
            let chunkTargets: [Int?] = options.target == .finalTop ? finalTop : Array(targets[span])
            for (r, state) in states.states.enumerated() {
                let logits = readout.logits(state.gatherRows(chosen))                        // [P, V]
                var probs = logits
                softmaxLastDim(&probs)                                                       // [P, V]
                let cells = Collector([LensCell?](repeating: nil, count: chosen.count))
                logits.withUnsafeBufferPointer { lp in
                    probs.withUnsafeBufferPointer { qp in
                        final.withUnsafeBufferPointer { fp in
                            finalProbs.withUnsafeBufferPointer { pp in
                                let rows = (lens: SendableConstPointer(lp.baseAddress!), probs: SendableConstPointer(qp.baseAddress!),
                                            final: SendableConstPointer(fp.baseAddress!), finalProbs: SendableConstPointer(pp.baseAddress!))
                                parallelFor(chosen.count) { i in
                                    let o = i * v
                                    let cell = makeCell(lens: rows.lens.base + o, probs: rows.probs.base + o, final: rows.final.base + o,
                                                        finalProbs: rows.finalProbs.base + o, count: v, finalLSE: finalLSE[i],
                                                        position: chosen[i], target: chunkTargets[i], topK: options.topK, texts: texts,
                                                        identifiability: readout.kind == .classes)
                                    cells.update { $0[i] = cell }
                                }
                            }
                        }
                    }
                }
                cellsByRow[r].replaceSubrange(span, with: cells.value)
            }
        }
        let rows = states.states.indices.map { r in
            LensRow(label: states.labels[r], layer: states.layers[r], cells: cellsByRow[r].map { $0! })
        }

        let identifiability: [RowIdentifiability]? = readout.kind == .classes && options.target != .none
            ? rows.map { row in
                let image = row.cells.filter { $0.position > 0 }.compactMap(\.identifiability)
                return RowIdentifiability(label: row.label, cls: row.cells.first { $0.position == 0 }?.identifiability,
                                          imageTokens: image.isEmpty ? nil : image.reduce(0, +) / Float(image.count))
            } : nil
        let parameters = ["site": options.site.rawValue, "readout": readout.kind.rawValue, "topK": "\(options.topK)",
                          "target": describe(options.target), "kl": "KL(final || lens), nats",
                          "norm": "final norm recomputed from each row's own statistics"]
        let ids: [Int] = if case .tokens(let ids, _) = input { ids } else { [] }
        return LogitLensResult(method: readout.kind == .classes ? "class-lens" : "logit-lens", parameters: parameters,
                               site: options.site, readout: readout.kind, readoutDescription: readout.description,
                               approximate: readout.approximate, inputIDs: ids, positions: positions,
                               classLabels: readout.classLabels, rows: rows, identifiability: identifiability)
    }

    /// Positions read at once: enough that a chunk's four `[P, V]` float arrays stay near 256 MiB
    /// (at least 1, at most 4,096 positions).
    static func positionChunk(vocabulary v: Int) -> Int {
        max(1, min(4096, (256 << 20) / (16 * max(1, v))))
    }

    /// The hidden states of one site from one forward pass (§0.3). Residual rows: pre-norm models:
    /// `hook_resid_pre` of block 0 (the embedding sum) and every `hook_resid_post`; BERT: the
    /// embedding LayerNorm output and every `hook_normalized_resid_post`.
    public static func collect(_ model: TransformerModel, _ input: ModelInput, site: LensSite) throws -> States {
        let arch = model.architecture
        let L = arch.layers
        let blockOutput: BlockSite = arch.placement == .post ? .normalizedResidPost : .residPost
        var points: [HookPoint] = [.block(L - 1, blockOutput)]
        switch site {
        case .resid: points += [.block(0, .residPre)] + (0..<L).map { .block($0, blockOutput) }
        case .attn: points += (0..<L).map { .block($0, .attnOut) }
        case .mlp: points += (0..<L).map { .block($0, .mlpOut) }
        }
        let rows: LogitRows = if case .tokens = input { .positions([0]) } else { .all }
        let cache = try model.forward(input, capture: .points(points), logitRows: rows).cache
        let final = cache[.block(L - 1, blockOutput)]!
        switch site {
        case .resid:
            return States(labels: ["embed"] + (0..<L).map { "layer \($0)" }, layers: [nil] + (0..<L).map { $0 },
                          states: [cache[.block(0, .residPre)]!] + (0..<L).map { cache[.block($0, blockOutput)]! }, final: final)
        case .attn, .mlp:
            let point: BlockSite = site == .attn ? .attnOut : .mlpOut
            return States(labels: (0..<L).map { "\(site.rawValue) \($0)" }, layers: (0..<L).map { $0 },
                          states: (0..<L).map { cache[.block($0, point)]! }, final: final)
        }
    }

    /// One cell from a row's logits `l` and probabilities `q`, and the final row's logits `f` and
    /// probabilities `p`: `KL(p ‖ q) = Σ_t p_t·(f_t − l_t) + lse(l) − lse(f)` (with `Σ p = 1`), in Double.
    static func makeCell(lens: UnsafePointer<Float>, probs: UnsafePointer<Float>, final: UnsafePointer<Float>,
                         finalProbs: UnsafePointer<Float>, count v: Int, finalLSE: Double, position: Int, target: Int?,
                         topK: Int, texts: [String]?, identifiability: Bool) -> LensCell {
        let picked = VocabularyTopK.select(UnsafeBufferPointer(start: lens, count: v), k: min(topK, v))
        let lse = logSumExp(max: lens[picked[0].id], probability: probs[picked[0].id])
        var cross = 0.0
        for t in 0..<v { cross += Double(finalProbs[t]) * (Double(final[t]) - Double(lens[t])) }
        let kl = Float(max(0, cross + lse - finalLSE))
        let top = picked.map { TokenScore(id: $0.id, text: VocabularyTopK.text(of: $0.id, in: texts), score: $0.score, prob: probs[$0.id]) }
        guard let target else {
            return LensCell(position: position, top: top, targetID: nil, targetRank: nil, targetProb: nil, targetLogit: nil,
                            kl: kl, identifiability: nil)
        }
        let value = lens[target]
        var above = 0
        for t in 0..<v where lens[t] > value || (lens[t] == value && t < target) { above += 1 }
        return LensCell(position: position, top: top, targetID: target, targetRank: above + 1, targetProb: probs[target],
                        targetLogit: value, kl: kl, identifiability: identifiability ? 1 - Float(above) / Float(v) : nil)
    }

    /// `log Σ_t exp(x_t)` from the largest logit and its softmax probability: `max − log q_max`
    /// (`q_max ≥ 1/V`, so this is as accurate as `q_max`).
    static func logSumExp(max: Float, probability: Float) -> Double {
        Double(max) - log(Double(probability))
    }

    static func describe(_ target: LensTarget) -> String {
        switch target {
        case .none: "none"
        case .id(let id): "id \(id)"
        case .perPosition: "per position"
        case .finalTop: "final top-1 per position"
        }
    }
}
