import GlassboxRuntime
import GlassboxTensor

extension Relevance {
    /// Packed sweeps (docs/methods.md §12): targets explained at positions `rows` of one shared
    /// causal pass, each over its own prefix `0...rows[t]`, swept together. The prefixes' rows are
    /// laid end to end (`ActivationCache.packedPrefixes`) and one reverse sweep runs over all of
    /// them: every step but attention works row by row, attention runs segment by segment (a prefix
    /// never sees another), and the sweep is linear in its seeds, so each segment's rows are exactly
    /// that target's sweep of its prefix alone — while each weight product takes every target's
    /// rows at once (one read and one packing of the weights per product, not one per target).
    ///
    /// - Parameters:
    ///   - forward: the shared pass (with, checkpointing, only the layer inputs kept); its logit
    ///     rows `logitRows` are the targets' logits, in order.
    ///   - checkpointing: the full capture, when `forward` kept only the layer inputs.
    /// - Returns: per target the token relevance of its prefix `[rows[t] + 1]`. Call only where
    ///   `packs` holds.
    static func packedSweeps(_ model: TransformerModel, forward: ForwardResult, logitRows: Range<Int>, rows: [Int],
                             targets: [RelevanceTarget], table: RuleTable, options: RelevanceOptions,
                             checkpointing: HookFilter?) throws -> [[Float]] {
        let arch = model.architecture
        precondition(Self.packs(arch, options), "packedSweeps: \(arch.modelType) with these options does not pack (check Relevance.packs first)")
        guard let logits = forward.logits else {
            throw AnalysisError.invalidOption("relevance: \(arch.modelType) has no prediction head")
        }
        let lengths = rows.map { $0 + 1 }
        let lastOutput: HookPoint = .block(arch.layers - 1, ReverseSweep.blockOutputSite(arch))
        let outsideBlocks: (HookPoint) -> Bool = { point in
            if case .block = point { return point == lastOutput }
            return true
        }
        guard let packed = forward.cache.packedPrefixes(lengths, logitRows: logitRows, including: outsideBlocks) else {
            throw AnalysisError.invalidOption("relevance: activations outside the blocks are not position-major")
        }
        let n = lengths.reduce(0, +)
        var sweep = ReverseSweep(model: model, cache: packed, table: table, length: n, segmentLengths: lengths)
        sweep.rowBlock = ReverseSweep.rowBlock(options.attention, length: n)
        sweep.latents = false
        sweep.packedFrom = forward.cache
        if let checkpointing { sweep.recompute = (checkpointing, options.attention) }
        let (gHidden, _) = try sweep.segmentSeeds(targets, positions: rows, logits: logits.rows(logitRows))
        let gEmbeddings = try sweep.blocksBackward(gHidden)
        let inputs = try sweep.embeddingsBackward(gEmbeddings, input: .tokens(packed.inputIDs, types: nil))
        return sweep.segments.map { Array(inputs.tokens[$0]) }
    }

    /// Whether targets of `arch` can be swept packed: a language-model head, and every activation
    /// the sweep reads position-major — not a mixture's routed-token points, not the unblocked
    /// path's kept `[H, n, n]` patterns.
    static func packs(_ arch: Architecture, _ options: RelevanceOptions) -> Bool {
        options.attention != .unblocked && arch.experts == nil && arch.head == .languageModel
    }

    /// How many rows a packed sweep over `arch` takes at once: its packed layer (the activations a
    /// sweep reads per position, about `8·d + 3·d_ff` floats) within 512 MiB or an eighth of the
    /// memory available now, whichever is less, and never fewer than `longest` (one target always
    /// fits).
    static func packedRows(_ arch: Architecture, longest: Int) -> Int {
        let bytes = min(512 << 20, (AvailableMemory.current() ?? Int.max) / 8)
        let perRow = 4 * (8 * arch.dModel + 3 * arch.dFF)
        return max(longest, bytes / max(perRow, 1))
    }
}
