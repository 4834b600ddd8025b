import GlassboxRuntime
import GlassboxTensor

/// A hand-written reverse pass over one forward pass's cached activations (llm.c style): starting
/// from the gradient at the last block's output, it walks the blocks top-down and returns the
/// gradient at the embeddings, applying the rule table's local derivatives and accumulating latent
/// relevance (`T ⊙ g_T`) on the way. No autograd: each component's backward is written out in
/// `ReverseSweep+*.swift`.
struct ReverseSweep {
    let model: TransformerModel
    let cache: ActivationCache
    let table: RuleTable
    /// Input length `n`.
    let n: Int
    /// cos/sin `[n, rotaryDim]` of rotary models: the tables of `position`, and of Gemma 3's
    /// sliding layers (`Architecture.slidingRotary`) where there are some.
    let rotaryTables: (global: (cos: Tensor, sin: Tensor)?, sliding: (cos: Tensor, sin: Tensor)?)
    /// The pairing both tables were laid out for (`RotaryEmbedding.layout`; GPT-J's interleaved pairs).
    let rotaryLayout: RotaryLayout
    /// Receives each head's pattern `A [n, n]` and the gradient at it `g_A [n, n]` (its true
    /// gradient under the `.gradient` table), for Chefer's and GAE's attention weighting. When set,
    /// `g_A` is computed even where the scores are detached.
    var attentionObserver: ((_ layer: Int, _ head: Int, _ pattern: Tensor, _ gradient: Tensor) -> Void)?
    /// Rows per chunk of the MLP backward (`mlpBackward`): 32 MiB per `[rows, d_ff]` temporary
    /// (2,048 rows at d_ff 4096, 2,730 at GPT-2's 3072), at least 512 rows.
    var mlpRowChunk: Int
    /// Query rows per attention task in the backward (see `attentionTasks`).
    var rowBlock = AttentionPath.defaultBlockSize
    /// Receives the gradient at `hook_resid_pre`, `hook_attn_out`, `hook_mlp_out` (`[n, d]`),
    /// `attn.hook_z`, `attn.hook_q` (`[n, H·dh]`, before RoPE), `attn.hook_k` and `attn.hook_v`
    /// (`[n, Hkv·dh]`) of every layer, for attribution patching (docs/methods.md §10.2).
    var gradientObserver: ((_ point: HookPoint, _ gradient: Tensor) -> Void)?
    /// GradDrop (AtP*, Kramár et al. 2024, §3.2): the gradient does not flow back through this
    /// layer's attention and MLP (only along the residual stream); nil: it does.
    var dropLayer: Int?
    /// Replaces the gradient seed at the logits `[V]` (a metric's derivative); nil: the target's seed.
    var seedOverride: [Float]?
    /// Checkpointing (docs/methods.md §2.3): `cache` holds only the layer inputs (`checkpointCapture`)
    /// and each layer's activations are recomputed from its input with `capture` when the sweep
    /// reaches it, then dropped; nil: `cache` holds every layer's.
    var recompute: (capture: HookFilter, attention: AttentionPath)?
    /// Called with the number of layers swept so far after each layer.
    var layerDone: ((Int) -> Void)?
    /// Whether the latent relevance (`heads`, `neurons`, `layers`) and the conservation ledger are
    /// accumulated; sequence attribution reads only the input relevance and turns them off.
    var latents = true
    /// The recomputed (checkpointing) or packed (`packedFrom`) activations of the layer being swept.
    var layerCache: ActivationCache?
    /// The prefixes a packed sweep runs side by side, as row ranges of its `n` rows (docs/methods.md
    /// §12, "packed sweeps"): each is one input of its own, attention never crosses between them,
    /// and every other step is row by row. One range `0..<n` for an ordinary sweep.
    let segments: [Range<Int>]
    /// A packed sweep's shared causal pass (full length): when the sweep reaches layer `l`, that
    /// layer's activations (recomputed from it when checkpointing) are packed into `layerCache`
    /// (`ActivationCache.packedPrefixes`); `cache` then holds the packed points outside the blocks.
    var packedFrom: ActivationCache?

    /// The cos/sin tables layer `l` rotated its queries and keys with (`nil` without RoPE and in
    /// NoPE layers, `Architecture.unrotatedLayers`).
    func rotary(_ l: Int) -> (cos: Tensor, sin: Tensor)? {
        if architecture.unrotatedLayers.contains(l) { return nil }
        if let sliding = rotaryTables.sliding, l < architecture.slidingWindows.count,
           architecture.slidingWindows[l] != nil { return sliding }
        return rotaryTables.global
    }

    /// `[L, H]`, `[L, dff]`, `[L + 1, n]`: see `RelevanceResult`.
    var heads: Tensor
    var neurons: Tensor
    var layers: Tensor
    /// What biases, the softmax and the Gamma rule keep (`RelevanceBudget`).
    let ledger = RelevanceLedger()

    var architecture: Architecture { model.architecture }
    var weights: TransformerWeights { model.weights }

    /// A sweep over `cache` (`n` positions), or over prefixes of `segmentLengths` positions packed
    /// end to end (`n = Σ segmentLengths`, see `segments`).
    init(model: TransformerModel, cache: ActivationCache, table: RuleTable, length n: Int, segmentLengths: [Int]? = nil) {
        let arch = model.architecture
        (self.model, self.cache, self.table, self.n) = (model, cache, table, n)
        mlpRowChunk = max(512, (32 << 20) / (4 * max(arch.dFF, 1)))
        let lengths = segmentLengths ?? [n]
        precondition(lengths.reduce(0, +) == n, "segments \(lengths) do not cover \(n) rows")
        let starts = lengths.reduce(into: [0]) { $0.append($0.last! + $1) }
        segments = lengths.indices.map { starts[$0]..<starts[$0 + 1] }
        // Each segment's own tables (a scaled RoPE's frequencies can depend on the length).
        func tables(_ rope: RotaryEmbedding) -> (cos: Tensor, sin: Tensor) {
            let parts = lengths.map { rope.tables(length: $0) }
            return parts.count == 1 ? parts[0] : (Self.stacked(parts.map(\.cos)), Self.stacked(parts.map(\.sin)))
        }
        let global: (cos: Tensor, sin: Tensor)? = if case .rotary(let rope) = arch.position { tables(rope) } else { nil }
        rotaryTables = (global, arch.slidingRotary.map(tables))
        rotaryLayout = if case .rotary(let rope) = arch.position { rope.layout } else { .halves }
        heads = .zeros([arch.layers, arch.heads])
        // Numbered as FFNMemories numbers memories: a mixture expert-major (then Qwen2-MoE's shared
        // expert); rows as wide as the widest layer (Qwen MoE's dense layers fill theirs from 0).
        neurons = .zeros([arch.layers, FFNMemories.neuronCount(model)])
        layers = .zeros([arch.layers + 1, n])
    }

    /// The hook points the sweep reads, for `forward(capture:)`. Attention patterns are kept only
    /// when `keepPatterns` (the unblocked path); otherwise the sweep recomputes each block of them
    /// from `q`, `k` (`attentionTasks`), which keeps memory at `O(L·n·d)` instead of `O(L·H·n²)`
    /// and lets the forward run blocked attention.
    ///
    /// The gradient rule needs each norm's `x̂` and Gamma its output `γ ⊙ x̂ + β`; neither is read from
    /// `hook_normalized` (TransformerLens's meaning: the output for LayerNorm, `x̂` for RMSNorm) but
    /// recomputed from the norm's cached input (`normInput`), bit for bit as the forward computed them.
    static func capture(_ arch: Architecture, _ table: RuleTable, keepPatterns: Bool = false) -> HookFilter {
        let needsNormInputs = table[.normalization] == .gradient || isGamma(table[.linear]) || isGamma(table[.attentionProjections])
        let last = arch.layers - 1
        let blockOutput = blockOutputSite(arch)
        let (queries, keys) = (arch.scoredQuery, arch.scoredKey)   // rotated q, k in rotary models
        // resid_mid: pre-norm ln2's input, post-norm ln1's; resid_post: post-norm ln2's.
        // Parallel blocks (GPT-NeoX): both norms read resid_pre, always captured.
        let normInputs: Set<BlockSite> = switch arch.placement {
        case _ where arch.parallelResidual: []
        case .pre, .sandwich: [.residMid]
        case .post: [.residMid, .residPost]
        case .branchOutput: []                                    // ln1_post / ln2_post x̂ are captured below
        }
        return .matching { point in
            switch point {
            case .embed, .posEmbed, .tokenTypeEmbed, .embedLN(.scale), .lnFinal(.scale), .mlmLN(.scale), .unembedIn:
                return true
            case .mlmTransform:                                          // mlm_head.ln's input
                return needsNormInputs
            case .block(let l, let site):
                switch site {
                case queries, keys: return true
                case .residPre, .ln1(.scale), .ln2(.scale), .v, .z, .mlpPre, .mlpPreLinear: return true
                case .qNorm, .kNorm: return true                     // QK-norm's x̂ and scale (Qwen3, Gemma 3, OLMo 2)
                case .q, .k: return arch.qkvClip != nil && arch.qkvClipPoint == .projection   // clip_qkv's inputs (OLMo)
                case .ln1Post, .ln2Post: return true                 // branch-output norms' x̂ and scale (Gemma 2, 3, OLMo 2)
                case .residMid where arch.placement == .branchOutput: return isGamma(table[.linear])   // OLMo 2 MLP input
                case .routerLogits, .expertWeights, .expertIndices, .routingWeights, .expert(_, .gate), .expert(_, .pre):
                    return true                                          // a mixture of experts (Mixtral)
                case .sharedExpert(.gate), .sharedExpert(.pre), .sharedExpertGate:
                    return true                                          // Qwen2-MoE's shared expert
                case .pattern: return keepPatterns
                default: return (needsNormInputs && normInputs.contains(site)) || (l == last && site == blockOutput)
                }
            default:
                return false
            }
        }
    }

    /// The sweep's query rows per attention task on `path`: all `n` (unblocked), the block size
    /// (blocked) or `AttentionPath.defaultBlockSize` (automatic).
    static func rowBlock(_ path: AttentionPath, length n: Int) -> Int {
        switch path {
        case .unblocked: max(n, 1)
        case .blocked(let size): max(size, 1)
        case .automatic: AttentionPath.defaultBlockSize
        }
    }

    static func isGamma(_ rule: RelevanceRule) -> Bool {
        if case .gamma = rule { return true }
        return false
    }

    /// Where a block's output is read: `hook_resid_post`, or in a post-norm block (BERT) the output
    /// of its `ln2`, `hook_normalized_resid_post` (sandwich and branch-output blocks end on the residual
    /// sum, as pre-norm ones do). The last block's is the sweep's starting point.
    static func blockOutputSite(_ arch: Architecture) -> BlockSite {
        arch.placement == .post ? .normalizedResidPost : .residPost
    }

    /// What a checkpointed forward keeps of `full` (the sweep's `capture`): every point outside the
    /// blocks, each block's `hook_resid_pre` and the last block's output; the rest is recomputed
    /// layer by layer (`recompute`).
    static func checkpointCapture(_ arch: Architecture, _ full: HookFilter) -> HookFilter {
        let last = arch.layers - 1
        let blockOutput = blockOutputSite(arch)
        return .matching { point in
            guard case .block(let l, let site) = point else { return full.contains(point) }
            return site == .residPre || (l == last && site == blockOutput)
        }
    }

    /// A captured (or, checkpointing, recomputed) tensor; a missing one is an internal
    /// inconsistency reported as an error.
    func tensor(_ point: HookPoint) throws -> Tensor {
        guard let t = layerCache?[point] ?? cache[point] else {
            throw AnalysisError.invalidOption("relevance: hook \(point.name) was not captured by the forward pass")
        }
        return t
    }

    /// Gradient at the input of block 0 from `g [n, d]` at the last block's output.
    mutating func blocksBackward(_ gOut: Tensor) throws -> Tensor {
        let arch = architecture
        var g = gOut
        let last: HookPoint = .block(arch.layers - 1, Self.blockOutputSite(arch))
        setLayerRelevance(arch.layers, activation: try tensor(last), gradient: g)
        for l in stride(from: arch.layers - 1, through: 0, by: -1) {
            let block = weights.blocks[l]
            if let source = packedFrom {
                layerCache = try packedLayer(l, from: source)
            } else if let recompute {
                layerCache = try model.forwardBlock(try tensor(.block(l, .residPre)), layer: l, capture: recompute.capture,
                                                    attention: recompute.attention)
            }
            defer { layerCache = nil }
            let through = dropLayer != l
            switch arch.placement {
            case .pre where arch.parallelResidual:
                // post = pre + attn(ln1(pre)) + mlp(ln2(pre))   — both branches and the skip get g
                gradientObserver?(.block(l, .mlpOut), g)
                gradientObserver?(.block(l, .attnOut), g)
                let gLn2 = try mlpBackward(layer: l, g)
                let gLn1 = try attentionBackward(layer: l, g)
                if through {
                    addInPlace(&g, try normBackward(block.ln2, gLn2, layer: l, site: .ln2))
                    addInPlace(&g, try normBackward(block.ln1, gLn1, layer: l, site: .ln1))
                }
            case .pre:
                // post = mid + mlp(ln2(mid)); mid = pre + attn(ln1(pre))   — all [n, d]
                gradientObserver?(.block(l, .mlpOut), g)
                let gLn2 = try mlpBackward(layer: l, g)
                if through { addInPlace(&g, try normBackward(block.ln2, gLn2, layer: l, site: .ln2)) }
                gradientObserver?(.block(l, .attnOut), g)
                let gLn1 = try attentionBackward(layer: l, g)
                if through { addInPlace(&g, try normBackward(block.ln1, gLn1, layer: l, site: .ln1)) }
            case .sandwich, .branchOutput:
                // post = mid + P2(mlp(N2(mid))); mid = pre + P1(attn(N1(pre)))   — all [n, d]
                // P1, P2: ln1_post / ln2_post (sandwich) or ln1 / ln2 (branch-output); N1, N2: ln1 / ln2
                // (sandwich) or none (branch-output).
                let sandwich = arch.placement == .sandwich
                guard let post1 = sandwich ? block.ln1Post : block.ln1, let post2 = sandwich ? block.ln2Post : block.ln2 else {
                    throw AnalysisError.invalidOption("relevance: \(arch.modelType) block \(l) has no post-branch norms")
                }
                gradientObserver?(.block(l, .mlpOut), g)
                let gMLPOut = try postNormBackward(post2, g, layer: l, site: BlockSite.ln2Post)
                let gMLPIn = try mlpBackward(layer: l, gMLPOut)
                if through { addInPlace(&g, sandwich ? try normBackward(block.ln2, gMLPIn, layer: l, site: .ln2) : gMLPIn) }
                gradientObserver?(.block(l, .attnOut), g)
                let gAttnOut = try postNormBackward(post1, g, layer: l, site: BlockSite.ln1Post)
                let gAttnIn = try attentionBackward(layer: l, gAttnOut)
                if through { addInPlace(&g, sandwich ? try normBackward(block.ln1, gAttnIn, layer: l, site: .ln1) : gAttnIn) }
            case .post:
                // out = ln2(h + mlp(h)); h = ln1(pre + attn(pre))   — all [n, d]
                let gPost = try normBackward(block.ln2, g, layer: l, site: .ln2)
                gradientObserver?(.block(l, .mlpOut), gPost)
                var gH = gPost
                let gMLP = try mlpBackward(layer: l, gPost)
                if through { addInPlace(&gH, gMLP) }
                g = try normBackward(block.ln1, gH, layer: l, site: .ln1)
                gradientObserver?(.block(l, .attnOut), g)
                let gAttention = try attentionBackward(layer: l, g)
                if through { addInPlace(&g, gAttention) }
            }
            gradientObserver?(.block(l, .residPre), g)
            setLayerRelevance(l, activation: try tensor(.block(l, .residPre)), gradient: g)
            layerDone?(arch.layers - l)
        }
        return g
    }

    /// `layers[row, t] = Σ_d activation[t] ⊙ gradient[t]`.
    mutating func setLayerRelevance(_ row: Int, activation: Tensor, gradient: Tensor) {
        guard latents else { return }
        let sums = Self.rowDot(activation, gradient)
        for t in 0..<n { layers[row, t] = sums[t] }
    }

    /// Backward of block norm `ln1`/`ln2` of layer `l` with the table's normalization rule.
    func normBackward(_ norm: Norm, _ g: Tensor, layer l: Int, site: NormSiteKind) throws -> Tensor {
        let input = site.input(layer: l, architecture: architecture)
        return try normBackward(norm, g, normalized: { norm.normalize(try tensor(input)).normalized },
                                scale: try tensor(.block(l, site.point(.scale))))
    }

    /// Backward of a norm on a branch output (`ln1_post` / `ln2_post`) from its cached `x̂`
    /// (`hook_normalized`, RMSNorm) and `hook_scale`: the branch output itself has no hook point.
    func postNormBackward(_ norm: Norm, _ g: Tensor, layer l: Int, site: (NormSite) -> BlockSite) throws -> Tensor {
        let normalized = try tensor(.block(l, site(.normalized)))
        return try normBackward(norm, g, normalized: { normalized }, scale: try tensor(.block(l, site(.scale))))
    }

    /// `NormRules.backward` under the table's rule, booking the share `Σ β ⊙ g_y` the norm's bias
    /// keeps under frozen statistics (`RelevanceBudget`).
    func normBackward(_ norm: Norm, _ g: Tensor, normalized: () throws -> Tensor, scale: Tensor) throws -> Tensor {
        let rule = table[.normalization]
        if rule == .frozenStatistics && latents { ledger.biases += RelevanceLedger.biasShare(norm.bias, g) }
        return try NormRules.backward(norm, g, normalized: normalized, scale: scale, rule: rule)
    }

    /// `LinearRules.backward`, booking what the layer keeps: its bias's share `Σ b ⊙ g_out` under the
    /// gradient, or `R_out − R_in` under the Gamma rule (`RelevanceBudget`).
    func linearBackward(_ linear: Linear, _ gOut: Tensor, rule: RelevanceRule, input: () throws -> Tensor) rethrows -> Tensor {
        guard case .gamma(let gamma) = rule else {
            if latents { ledger.biases += RelevanceLedger.biasShare(linear.bias, gOut) }
            return LinearRules.gradientBackward(linear, gOut)
        }
        let (gIn, kept) = LinearRules.gammaBackwardAccounted(linear, gOut, gamma: gamma, input: try input())
        ledger.gammaRule += kept
        return gIn
    }

    /// The output `γ ⊙ x̂ + β` `[n, d]` of a block norm (the input of the next linear map, for Gamma),
    /// recomputed from the norm's cached input.
    func normOutput(_ norm: Norm, layer l: Int, site: NormSiteKind) throws -> Tensor {
        norm(try tensor(site.input(layer: l, architecture: architecture)))
    }

    /// `Σ_j a[t, j]·b[t, j]` per row `t` (fp64 accumulation) → `[rows]`.
    static func rowDot(_ a: Tensor, _ b: Tensor) -> [Float] {
        Reductions.rowDots(a, b, columns: a.dim(-1))
    }
}

/// Which of a block's two norms.
enum NormSiteKind {
    case ln1, ln2

    func point(_ site: NormSite) -> BlockSite {
        switch self {
        case .ln1: .ln1(site)
        case .ln2: .ln2(site)
        }
    }

    /// The hook point holding this norm's input `[n, d]` in block `l`: pre-norm `ln1` reads
    /// `resid_pre` and `ln2` `resid_mid` (`resid_pre` in parallel blocks); post-norm (BERT) `ln1`
    /// reads `resid_mid` and `ln2` `resid_post` (docs/methods.md §0.3).
    func input(layer l: Int, architecture: Architecture) -> HookPoint {
        switch (architecture.placement, self) {
        case (.pre, .ln1), (.sandwich, .ln1): .block(l, .residPre)
        case (.pre, .ln2) where architecture.parallelResidual: .block(l, .residPre)
        case (.pre, .ln2), (.post, .ln1), (.sandwich, .ln2): .block(l, .residMid)
        case (.post, .ln2): .block(l, .residPost)
        // Branch-output norms read the branch outputs, which have no hook point; the sweep reads
        // their x̂ from ln1_post / ln2_post.hook_normalized instead and never asks here.
        case (.branchOutput, _): .block(l, .residMid)
        }
    }
}
