import GlassboxRuntime
import GlassboxTensor

/// AttnLRP, CP-LRP and gradient × input relevance for GPT-2, BERT, the Llama family (GQA, RoPE,
/// gated MLPs, sliding windows) and ViT, matching LXT 2.1 (`lxt.efficient`, its default maps).
///
/// One forward pass keeps the activations the reverse sweep needs; the sweep then runs the rule
/// table's modified backward from the target's seed to the embeddings (docs/methods.md §2.3) and reads
/// relevance as `activation ⊙ modified gradient` at the inputs and at the latent units.
///
/// ```swift
/// let r = try Relevance.explain(model, .tokens(ids, types: nil))                 // AttnLRP, top prediction
/// let cp = try Relevance.explain(model, input, target: .token(6342), options: .init(method: .cpLRP))
/// r.tokens            // [n] per-token relevance (sums, with positions, to ≈ the logit)
/// r.heads             // [L, H];  r.topNeurons(layer: 3, count: 10);  r.layers  // [L + 1, n]
/// ```
public enum Relevance {
    /// Explains one target.
    ///
    /// - Parameters:
    ///   - input: token ids `[n]` (and token types), or pixels `[C, H, W]` of a vision model.
    ///   - target: what to explain (default: the top prediction at the default position: the last
    ///     token of causal models, position 0 of encoders; classifiers read the pooled `[CLS]`).
    ///   - options: the method (default AttnLRP) and vision gammas.
    /// - Throws: `AnalysisError` for a bad position, target id or a logit target on a model without
    ///   a head; the runtime's `InputError` for bad input.
    public static func explain(_ model: TransformerModel, _ input: ModelInput, target: RelevanceTarget = .top(),
                               options: RelevanceOptions = RelevanceOptions()) throws -> RelevanceResult {
        let arch = model.architecture
        let table = try options.table(for: arch)
        let position = try resolvePosition(target, input: input, architecture: arch)
        let capture = ReverseSweep.capture(arch, table, keepPatterns: options.attention == .unblocked)
        let checkpointing = options.checkpoints(arch, length: inputLength(input, arch))
        let forward = try model.forward(input, capture: checkpointing ? ReverseSweep.checkpointCapture(arch, capture) : capture,
                                        logitRows: .positions([position]), attention: options.attention)
        return try sweep(model, input, forward: forward, target: target, position: position, table: table,
                         options: options, checkpointing: checkpointing ? capture : nil)
    }

    /// The reverse sweep of one target over a finished forward pass (docs/methods.md §2.3): from
    /// the seed at logit row 0 of `forward` at `position` down to the embeddings of `input`.
    /// `Relevance.explain` runs it once; sequence attribution (docs/methods.md §12) runs it once per
    /// generated token on `ForwardResult.prefix` of one shared causal pass.
    ///
    /// - Parameters:
    ///   - forward: a pass over `input` (`n` positions) that captured `ReverseSweep.capture` (or,
    ///     with `checkpointing`, its checkpoint capture), logits `[1, V]` at `position`.
    ///   - checkpointing: the full capture, when `forward` kept only the layer inputs.
    ///   - latents: false skips the latent relevance and the budget (left zero): only `tokens`,
    ///     `positions` and `tokenTypes` are meaningful then.
    static func sweep(_ model: TransformerModel, _ input: ModelInput, forward: ForwardResult, target: RelevanceTarget,
                      position: Int, table: RuleTable, options: RelevanceOptions,
                      checkpointing: HookFilter?, latents: Bool = true) throws -> RelevanceResult {
        let arch = model.architecture
        let n = forward.hidden.shape[0]
        var sweep = ReverseSweep(model: model, cache: forward.cache, table: table, length: n)
        sweep.rowBlock = ReverseSweep.rowBlock(options.attention, length: n)
        sweep.latents = latents
        if let checkpointing { sweep.recompute = (checkpointing, options.attention) }
        if let progress = options.progress {
            progress(1, arch.layers + 1)
            sweep.layerDone = { done in progress(1 + done, arch.layers + 1) }
        }
        let (gHidden, explained) = try sweep.headBackward(target, position: position, forward: forward)
        let gEmbeddings = try sweep.blocksBackward(gHidden)
        let inputs = try sweep.embeddingsBackward(gEmbeddings, input: input)

        let grid: [[Float]]? = arch.image.map { image in
            (0..<image.gridRows).map { r in Array(inputs.tokens[(1 + r * image.gridColumns)..<(1 + (r + 1) * image.gridColumns)]) }
        }
        let inputTotal = inputs.tokens.reduce(0.0) { $0 + Double($1) } + (inputs.positions ?? []).reduce(0.0) { $0 + Double($1) }
            + (inputs.tokenTypes ?? []).reduce(0.0) { $0 + Double($1) }
        let budget = RelevanceBudget(explained: Double(explained.value), inputs: inputTotal, biases: sweep.ledger.biases,
                                     softmax: sweep.ledger.softmax, gammaRule: sweep.ledger.gammaRule)
        return RelevanceResult(method: options.method, parameters: options.parameters(table: table, architecture: arch),
                               target: explained, tokens: inputs.tokens, positions: inputs.positions,
                               tokenTypes: inputs.tokenTypes, pixels: inputs.pixels, patchGrid: grid,
                               heads: sweep.heads, neurons: sweep.neurons, layers: sweep.layers, budget: budget)
    }

    /// Positions of an input (tokens, or `[CLS]` + patches).
    static func inputLength(_ input: ModelInput, _ arch: Architecture) -> Int {
        switch input {
        case .tokens(let ids, _): ids.count
        case .pixels: (arch.image?.patchCount ?? 0) + 1
        }
    }

    /// The explained position: given, or the last token (causal) / 0 (encoders, vision, similarity);
    /// a decoder classifier's pooled position (its last non-pad token), which is the only one it has.
    static func resolvePosition(_ target: RelevanceTarget, input: ModelInput, architecture arch: Architecture) throws -> Int {
        guard case .tokens(let ids, _) = input, !ids.isEmpty else { return 0 }   // the forward reports empty input
        if case .similarity = target.objective { return 0 }
        let n = ids.count
        if case .sequenceClassification(_, .lastNonPad) = arch.head, let pooled = arch.classifierPosition(input) {
            guard target.position == nil || target.position == pooled else {
                throw AnalysisError.invalidOption("\(arch.modelType)'s classifier reads position \(pooled) only (its last non-pad token), not \(target.position!)")
            }
            return pooled
        }
        let position = target.position ?? (arch.mask == .causal ? n - 1 : 0)
        guard position >= 0, position < max(n, 1) else { throw AnalysisError.positionOutOfRange(position, length: n) }
        return position
    }
}
