import GlassboxRuntime
import GlassboxTensor

extension SequenceAttribution {
    /// AttnLRP / CP-LRP / gradient × input (docs/methods.md §14): ONE forward of the whole sequence
    /// with logits at every target row, then per target the reverse sweep (`Relevance.sweep`) on the
    /// pass's prefix `0...row` (`ForwardResult.prefix`: in a causal model those rows are exactly
    /// what a forward of the prefix computes), seeded at `logit(t_i)` (or `logit(t_i) − logit(c)`).
    ///
    /// - Returns: the matrix `[T][n]`, the logits `[T, V]` of the target rows and the provenance.
    static func relevanceRows(_ model: TransformerModel, ids: [Int], rows: [Int], method: RelevanceMethod,
                              options: SequenceOptions) throws -> ([[Float?]], Tensor, [String: String]) {
        let arch = model.architecture
        let relevance = { () -> RelevanceOptions in
            var o = options.relevance
            o.method = method
            o.progress = nil
            return o
        }()
        let table = try relevance.table(for: arch)
        let capture = ReverseSweep.capture(arch, table, keepPatterns: relevance.attention == .unblocked)
        // One sweep per `sideBySide` worker at once, each over at most the whole sequence.
        let checkpointing = relevance.checkpoints(arch, length: ids.count, concurrentSweeps: min(rows.count, Threading.threads))
        let capturing = checkpointing ? ReverseSweep.checkpointCapture(arch, capture) : capture
        let forward = try model.forward(.tokens(ids, types: nil), capture: capturing,
                                        logitRows: .positions(rows), attention: relevance.attention)
        guard let logits = forward.logits else { throw AnalysisError.invalidOption("\(arch.modelType) has no prediction head") }
        // One sweep per target; targets run side by side, one per worker with single-threaded
        // products (`sideBySide`), which keeps BLAS's threads from waiting on each other.
        let rowsOut = Collector([[Float?]](repeating: [], count: rows.count))
        let done = Collector(0)
        try sideBySide(rows.count) { i in
            let row = rows[i]
            let prefix = Array(ids[0...row])
            let target: RelevanceTarget = options.contrast.map { .contrast(ids[row + 1], minus: $0, position: row) }
                ?? .token(ids[row + 1], position: row)
            // The shared pass's first row + 1 positions; a mixture's routed-token points cannot be
            // cut, so there the prefix runs on its own.
            let view = try forward.prefix(row + 1, logitRow: i)
                ?? model.forward(.tokens(prefix, types: nil), capture: capturing, logitRows: .positions([row]),
                                 attention: relevance.attention)
            let result = try Relevance.sweep(model, .tokens(prefix, types: nil), forward: view, target: target, position: row,
                                             table: table, options: relevance, checkpointing: checkpointing ? capture : nil,
                                             latents: false)
            rowsOut.update { $0[i] = paddedRow(result.tokens, length: ids.count) }
            var completed = 0
            done.update { count in count += 1; completed = count }
            options.progress?(completed, rows.count)
        }
        let matrix = rowsOut.value
        return (matrix, logits, relevance.parameters(table: table, architecture: arch))
    }

    /// AtMan (docs/methods.md §14): `AtMan.explain` with the targets as a continuation, so each
    /// suppressed source is ONE perturbed pass of the suffix engine from the source's position on,
    /// which scores every target row after it at once; entries of sources at or after a target's
    /// position are nil (causally they cannot change it). The logits are AtMan's unperturbed pass's
    /// (the sequence without its last token: causally the same rows), unless the rotary frequencies
    /// depend on the length and change with that token (longrope, dynamic NTK): then one pass of
    /// the whole sequence, as for the other methods.
    static func atmanRows(_ model: TransformerModel, ids: [Int], rows: [Int],
                          options: SequenceOptions) throws -> ([[Float?]], Tensor, [String: String]) {
        let promptLength = rows[0] + 1
        var atman = options.atman
        if let progress = options.progress { atman.progress = progress }
        let result = try AtMan.explain(model, .tokens(Array(ids[0..<promptLength]), types: nil),
                                       target: .continuation(Array(ids[promptLength...])),
                                       groups: (0...rows.last!).map { [$0] }, options: atman)
        // perTarget[j][i]: source j's score for target i.
        let matrix: [[Float?]] = rows.enumerated().map { i, row in
            paddedRow((0...row).map { result.perTarget[$0][i] }, length: ids.count)
        }
        let logits = model.architecture.rotaryFrequenciesChange(from: ids.count - 1, to: ids.count)
            ? try model.forward(.tokens(ids, types: nil), logitRows: .positions(rows)).logits!
            : result.baseLogits
        var parameters = result.scores.parameters
        parameters["targets"] = nil
        return (matrix, logits, parameters)
    }

    /// Attention rollout (docs/methods.md §14): the layer matrices `Ã_l` of the whole sequence once,
    /// then per target its row `e_rowᵀ·Ã_last ⋯ Ã_first` top-down (`AttentionRollout.row`, vector–matrix
    /// products); causal masking makes columns after the row 0, and the rows `≤ row` of each `Ã_l`
    /// are the prefix's. The logits come from the same pass.
    static func rolloutRows(_ model: TransformerModel, ids: [Int], rows: [Int],
                            options: SequenceOptions) throws -> ([[Float?]], Tensor, [String: String]) {
        guard options.rollout.discardRatio == 0 else {
            throw AnalysisError.invalidOption("rollout over a sequence needs discard ratio 0 (its cut depends on the input length, so rows would differ from single-step rollout)")
        }
        let (matrices, head) = try AttentionRollout.layerMatricesAndLogits(model, .tokens(ids, types: nil),
                                                                            options: options.rollout, logitRows: rows)
        guard let logits = head else { throw AnalysisError.invalidOption("\(model.architecture.modelType) has no prediction head") }
        var matrix: [[Float?]] = []
        for (i, row) in rows.enumerated() {
            matrix.append(paddedRow(Array(AttentionRollout.row(matrices, position: row)[0...row]), length: ids.count))
            options.progress?(i + 1, rows.count)
        }
        return (matrix, logits, options.rollout.parameters)
    }
}
