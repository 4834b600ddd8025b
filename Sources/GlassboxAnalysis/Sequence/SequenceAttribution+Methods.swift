import GlassboxRuntime
import GlassboxTensor

extension SequenceAttribution {
    /// AttnLRP / CP-LRP / gradient × input (docs/methods.md §12): ONE forward of the whole sequence
    /// with logits at every target row, then the reverse sweep of each target on the pass's prefix
    /// `0...row` (in a causal model those rows are exactly what a forward of the prefix computes),
    /// seeded at `logit(t_i)` (or `logit(t_i) − logit(c)`). Targets are swept together in packed
    /// sweeps (`Relevance.packedSweeps`: their prefixes end to end, each weight product taking every
    /// target's rows at once), as many at a time as `Relevance.packedRows` allows; where a pass cannot
    /// be packed, each target runs `Relevance.sweep` on `ForwardResult.prefix` on its own. Where the
    /// rotary frequencies depend on the length, targets whose prefix has other frequencies than the
    /// sequence get a pass of their own table (`passes`, docs/methods.md §12.1), sweeps and logits
    /// from it.
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
        let parameters = relevance.parameters(table: table, architecture: arch)
        let capture = ReverseSweep.capture(arch, table, keepPatterns: relevance.attention == .unblocked)
        // One sweep per `sideBySide` worker at once, each over at most the whole sequence.
        let checkpointing = relevance.checkpoints(arch, length: ids.count, concurrentSweeps: min(rows.count, Threading.threads))
        let capturing = checkpointing ? ReverseSweep.checkpointCapture(arch, capture) : capture
        let targets: [RelevanceTarget] = rows.map { row in
            options.contrast.map { .contrast(ids[row + 1], minus: $0, position: row) } ?? .token(ids[row + 1], position: row)
        }
        let rowsOut = Collector([[Float?]](repeating: [], count: rows.count))
        let done = Collector(0)
        @Sendable func finished(_ count: Int) {
            var completed = 0
            done.update { total in total += count; completed = total }
            options.progress?(completed, rows.count)
        }
        let passes = Self.passes(arch, rows: rows, sharedLength: ids.count)
        var passLogits: [Tensor] = []
        for pass in passes {
            // passRows[k], passTargets[k]: target pass.targets[k], read at the pass's logit row k.
            let passRows = pass.targets.map { rows[$0] }, passTargets = pass.targets.map { targets[$0] }
            let forward = try model.forward(.tokens(Array(ids[0..<pass.length]), types: nil), capture: capturing,
                                            logitRows: .positions(passRows), attention: relevance.attention)
            guard let logits = forward.logits else { throw AnalysisError.invalidOption("\(arch.modelType) has no prediction head") }
            passLogits.append(logits)
            guard Relevance.packs(arch, relevance) else {
                // One sweep per target on its prefix; targets run side by side, one per worker with
                // single-threaded products (`sideBySide`), which keeps BLAS's threads from waiting on
                // each other.
                try sideBySide(passRows.count) { k in
                    let row = passRows[k]
                    let prefix = Array(ids[0...row])
                    // The pass's first row + 1 positions; a mixture's routed-token points cannot be
                    // cut, so there the prefix runs on its own.
                    let view = try forward.prefix(row + 1, logitRow: k)
                        ?? model.forward(.tokens(prefix, types: nil), capture: capturing, logitRows: .positions([row]),
                                         attention: relevance.attention)
                    let result = try Relevance.sweep(model, .tokens(prefix, types: nil), forward: view, target: passTargets[k],
                                                     position: row, table: table, options: relevance,
                                                     checkpointing: checkpointing ? capture : nil, latents: false)
                    rowsOut.update { $0[pass.targets[k]] = paddedRow(result.tokens, length: ids.count) }
                    finished(1)
                }
                continue
            }
            // Packed sweeps over runs of consecutive targets of about equal rows, at most `limit`
            // rows each and at least one per processor; the runs go side by side, one per worker with
            // single-threaded products. The runs follow the processor count, not `--threads`: how
            // targets are packed sets the products' shapes, and so their last bits.
            let limit = Relevance.packedRows(arch, longest: passRows.last! + 1)
            let groups = Self.runs(passRows.map { $0 + 1 }, parts: min(passRows.count, Threading.productSlices), limit: limit)
            try sideBySide(groups.count) { g in
                let run = groups[g]
                let tokens = try Relevance.packedSweeps(model, forward: forward, logitRows: run, rows: Array(passRows[run]),
                                                        targets: Array(passTargets[run]), table: table, options: relevance,
                                                        checkpointing: checkpointing ? capture : nil)
                rowsOut.update { for (k, row) in zip(run, tokens) { $0[pass.targets[k]] = paddedRow(row, length: ids.count) } }
                finished(run.count)
            }
        }
        return (rowsOut.value, gathered(passLogits, of: passes), parameters)
    }

    /// Consecutive runs of `lengths` (rows each) with about equal totals: `k` runs cut where the
    /// running total is nearest `j·total/k`, `k` at least `parts` (where there are that many lengths)
    /// and raised (a few times) until no run of two or more exceeds `limit` rows; failing that,
    /// greedy runs of at most `limit` rows. Linear in the lengths per try (cuts by binary search).
    static func runs(_ lengths: [Int], parts: Int, limit: Int) -> [Range<Int>] {
        let sums = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }      // sums[i] = Σ lengths[..<i]
        let total = sums.last!
        func fits(_ runs: [Range<Int>]) -> Bool {
            runs.allSatisfy { $0.count == 1 || sums[$0.upperBound] - sums[$0.lowerBound] <= limit }
        }
        let first = max(1, min(lengths.count, max(parts, (total + limit - 1) / max(limit, 1))))
        for k in first...min(lengths.count, first + 8) {
            var cuts = [0]
            for j in 1..<max(k, 1) {
                let goal = Double(total) * Double(j) / Double(k)
                var (lo, hi) = (0, lengths.count)                       // first i with sums[i] ≥ goal
                while lo < hi { let mid = (lo + hi) / 2; if Double(sums[mid]) >= goal { hi = mid } else { lo = mid + 1 } }
                let cut = lo > 0 && goal - Double(sums[lo - 1]) < Double(sums[lo]) - goal ? lo - 1 : lo
                if cut > cuts.last!, cut < lengths.count { cuts.append(cut) }
            }
            cuts.append(lengths.count)
            let runs = zip(cuts, cuts.dropFirst()).map { $0..<$1 }
            if k == lengths.count || fits(runs) { return runs }
        }
        var runs: [Range<Int>] = [], start = 0
        for i in lengths.indices where i > start && sums[i + 1] - sums[start] > limit {
            runs.append(start..<i)
            start = i
        }
        runs.append(start..<lengths.count)
        return runs
    }

    /// AtMan (docs/methods.md §12): `AtMan.explain` with the targets as a continuation, so each
    /// suppressed source is ONE perturbed pass of the suffix engine from the source's position on,
    /// which scores every target row after it at once; entries of sources at or after a target's
    /// position are nil (causally they cannot change it). The logits are AtMan's unperturbed pass's
    /// (the sequence without its last token: causally the same rows). Where the rotary frequencies
    /// depend on the length, the targets are grouped by their prefix's table (`passes`, §12.1) and
    /// each group is its own AtMan run over the longest prefix with that table.
    static func atmanRows(_ model: TransformerModel, ids: [Int], rows: [Int],
                          options: SequenceOptions) throws -> ([[Float?]], Tensor, [String: String]) {
        let passes = Self.passes(model.architecture, rows: rows, sharedLength: rows.last! + 1)
        var matrix = [[Float?]](repeating: [], count: rows.count)
        var passLogits: [Tensor] = [], parameters: [String: String] = [:]
        for (r, pass) in passes.enumerated() {
            // The run's prompt ends at its first target's row; its continuation runs to the token
            // after its last row (`pass.length − 1`), so its perturbed passes cover `pass.length` positions.
            let first = rows[pass.targets[0]]
            var atman = options.atman
            if let progress = options.progress {
                // Several runs: each an equal share of the total.
                atman.progress = passes.count == 1 ? progress : { done, total in progress(r * total + done, passes.count * total) }
            }
            let result = try AtMan.explain(model, .tokens(Array(ids[0...first]), types: nil),
                                           target: .continuation(Array(ids[(first + 1)...pass.length])),
                                           groups: (0..<pass.length).map { [$0] }, options: atman)
            // perTarget[j][row − first]: source j's score for the target at `row`.
            for i in pass.targets {
                let row = rows[i]
                matrix[i] = paddedRow((0...row).map { result.perTarget[$0][row - first] }, length: ids.count)
            }
            passLogits.append(result.baseLogits.gatherRows(pass.targets.map { rows[$0] - first }))
            parameters = result.scores.parameters
        }
        parameters["targets"] = nil
        return (matrix, gathered(passLogits, of: passes), parameters)
    }

    /// Attention rollout (docs/methods.md §12): the layer matrices `Ã_l` of the whole sequence once,
    /// then per target its row `e_rowᵀ·Ã_last ⋯ Ã_first` top-down (`AttentionRollout.row`, vector–matrix
    /// products); causal masking makes columns after the row 0, and the rows `≤ row` of each `Ã_l`
    /// are the prefix's. The logits come from the same pass. Where the rotary frequencies depend on
    /// the length, each table of the targets' prefixes has its own pass (`passes`, §12.1).
    static func rolloutRows(_ model: TransformerModel, ids: [Int], rows: [Int],
                            options: SequenceOptions) throws -> ([[Float?]], Tensor, [String: String]) {
        guard options.rollout.discardRatio == 0 else {
            throw AnalysisError.invalidOption("rollout over a sequence needs discard ratio 0 (its cut depends on the input length, so rows would differ from single-step rollout)")
        }
        let passes = Self.passes(model.architecture, rows: rows, sharedLength: ids.count)
        var matrix = [[Float?]](repeating: [], count: rows.count)
        var passLogits: [Tensor] = [], completed = 0
        for pass in passes {
            let (matrices, head) = try AttentionRollout.layerMatricesAndLogits(model, .tokens(Array(ids[0..<pass.length]), types: nil),
                                                                                options: options.rollout,
                                                                                logitRows: pass.targets.map { rows[$0] })
            guard let logits = head else { throw AnalysisError.invalidOption("\(model.architecture.modelType) has no prediction head") }
            passLogits.append(logits)
            for i in pass.targets {
                matrix[i] = paddedRow(Array(try AttentionRollout.row(matrices, position: rows[i])[0...rows[i]]), length: ids.count)
                completed += 1
                options.progress?(completed, rows.count)
            }
        }
        return (matrix, gathered(passLogits, of: passes), options.rollout.parameters)
    }
}
