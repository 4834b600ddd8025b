import GlassboxTensor

extension TransformerModel {
    /// Runs many perturbed passes of one input at once, each editing attention scores and each
    /// recomputing only what its edit can change; returns their logits at `base.logitRows`.
    ///
    /// This is the engine behind AtMan's `n + 1` passes (Deiseroth et al., NeurIPS 2023). Where
    /// the reference runs every perturbation as a full forward pass over a batch, here:
    /// - the rows of all items in a chunk are stacked, so every linear map, norm and MLP of a layer
    ///   is one large matrix product over `Σ (n − start)` rows;
    /// - in causal models position `i < start` cannot see an edited key, so its keys and values in
    ///   every layer (post-RoPE) equal the base pass's: they are read from `base`, and only the
    ///   suffix `start..<n` is recomputed, attending over `[base prefix ; recomputed suffix]`;
    /// - in the last layer only the rows the head reads get queries, attention and MLP;
    /// - attention runs per item and head on `parallelFor` workers.
    /// Bidirectional models (BERT, ViT) recompute every position, still batched.
    ///
    /// Activation patching (docs/methods.md §10) uses the same engine with a different edit: an item
    /// with `patches` starts at `startLayer` from the base pass's residual stream of that layer (all
    /// earlier layers are the base pass's), and its patches are spliced in where their hooks fire.
    /// Items are grouped into chunks of one start layer, so each chunk's layers run as one product.
    ///
    /// It reproduces the plain forward: an item without an edit returns the base logits to
    /// within float rounding (≤ 1e-5), rows before `start` are the base rows bitwise, and an item
    /// with an edit equals a plain `forward` whose `attn.hook_attn_scores` intervention applies
    /// `AttentionScoreEdit.apply` (≤ 1e-5).
    ///
    /// - Parameters:
    ///   - base: the unperturbed pass (`suffixBase`), of this model.
    ///   - items: the perturbed passes.
    ///   - options: the chunk row budget and a progress callback.
    ///   - chunkFinished: called with each chunk's item range once its items are consumed (AtMan
    ///     times the first chunk to estimate the rest).
    ///   - consume: receives each item's logits `[base.logitRows.count, V]` (`[1, labels]` for
    ///     classifiers), in item order, as chunks finish (so memory stays bounded by the budget).
    public func forwardSuffixes(base: SuffixBase, items: [SuffixItem], options: SuffixOptions = SuffixOptions(),
                                chunkFinished: (_ items: Range<Int>) throws -> Void = { _ in },
                                consume: (_ item: Int, _ logits: Tensor) throws -> Void) throws {
        try validate(items, base: base, options: options)
        let n = base.length
        let starts = items.map { base.isCausal ? $0.start : 0 }
        let read = Array(Set(base.logitRows)).sorted()
        // Rows each item recomputes (none when every row the head reads comes before its start).
        let rows = starts.map { s in read.contains { $0 >= s } ? n - s : 0 }
        var chunks: [Range<Int>] = []
        var first = 0, filled = 0
        for i in items.indices {
            if i > first && (filled + rows[i] > options.rowBudget || items[i].startLayer != items[first].startLayer) {
                chunks.append(first..<i)
                (first, filled) = (i, 0)
            }
            filled += rows[i]
        }
        if !items.isEmpty { chunks.append(first..<items.count) }
        let total = items.indices.reduce(0) { $0 + rows[$1] * (architecture.layers - items[$1].startLayer) }
        var done = 0
        for chunk in chunks {
            let logits = try runChunk(base: base, items: Array(chunk).map {
                                          (starts[$0], items[$0].edit, items[$0].embedding, rows[$0] > 0) },
                                      startLayer: items[chunk.lowerBound].startLayer,
                                      patches: Array(chunk).map { items[$0].patches },
                                      read: read) { layerRows in
                done += layerRows
                options.progress?(done, total)
            }
            for (offset, item) in chunk.enumerated() { try consume(item, logits[offset]) }
            try chunkFinished(chunk)
        }
    }

    /// `forwardSuffixes` collecting every item's logits `[base.logitRows.count, V]`.
    public func forwardSuffixes(base: SuffixBase, items: [SuffixItem],
                                options: SuffixOptions = SuffixOptions()) throws -> [Tensor] {
        var out: [Tensor] = []
        out.reserveCapacity(items.count)
        try forwardSuffixes(base: base, items: items, options: options) { _, logits in out.append(logits) }
        return out
    }

    private func validate(_ items: [SuffixItem], base: SuffixBase, options: SuffixOptions) throws {
        guard options.rowBudget >= 1 else { throw SuffixError.invalidRowBudget(options.rowBudget) }
        let n = base.length, layers = architecture.layers
        for (i, item) in items.enumerated() {
            for key in item.edit?.keys ?? [] where key < 0 || key >= n {
                throw SuffixError.keyOutOfRange(item: i, key: key, length: n)
            }
            guard item.start >= 0 && item.start < n else { throw SuffixError.startOutOfRange(item: i, start: item.start, length: n) }
            guard let edit = item.edit else { continue }
            for key in edit.keys where base.isCausal && key < item.start {
                throw SuffixError.startAfterEditedKey(item: i, start: item.start, key: key)
            }
            for l in edit.layers ?? [] where l < 0 || l >= layers { throw SuffixError.layerOutOfRange(item: i, layer: l, layers: layers) }
            for f in edit.factors where !f.isFinite { throw SuffixError.invalidFactor(item: i, factor: f) }
            if item.startLayer > 0 && (edit.layers ?? [0]).contains(where: { $0 < item.startLayer }) {
                throw SuffixError.startLayerOutOfRange(item: i, layer: item.startLayer, layers: layers)
            }
        }
        for (i, item) in items.enumerated() {
            guard item.startLayer >= 0 && item.startLayer < layers else {
                throw SuffixError.startLayerOutOfRange(item: i, layer: item.startLayer, layers: layers)
            }
            if item.startLayer > 0 && base.residuals.isEmpty { throw SuffixError.residualsNotKept(item: i) }
            for patch in item.patches { try validate(patch, item: i, startLayer: item.startLayer,
                                                     start: base.isCausal ? item.start : 0, length: n) }
        }
        let width = base.tokenEmbeddings.shape[1]
        for (i, item) in items.enumerated() {
            guard let embedding = item.embedding else { continue }
            guard embedding.rows.shape == [embedding.positions.count, width] else {
                throw SuffixError.embeddingOutOfRange(item: i, position: -1, length: n)
            }
            for p in embedding.positions {
                guard p >= 0 && p < n else { throw SuffixError.embeddingOutOfRange(item: i, position: p, length: n) }
                if base.isCausal && p < item.start { throw SuffixError.startAfterReplacedRow(item: i, start: item.start, position: p) }
            }
        }
    }

    private func validate(_ patch: ActivationPatch, item i: Int, startLayer: Int, start: Int, length n: Int) throws {
        let arch = architecture
        guard patch.layer >= startLayer && patch.layer < arch.layers else {
            throw SuffixError.invalidPatch(item: i, reason: "patched layer \(patch.layer) is outside \(startLayer)..<\(arch.layers)")
        }
        let width = patch.site.width(arch)
        guard patch.columns.lowerBound >= 0 && patch.columns.upperBound <= width else {
            throw SuffixError.invalidPatch(item: i, reason: "columns \(patch.columns) are outside 0..<\(width) of \(patch.site.rawValue)")
        }
        guard patch.values.shape == [patch.positions.count, patch.columns.count] else {
            throw SuffixError.invalidPatch(item: i, reason: "values \(patch.values.shape) are not [\(patch.positions.count), \(patch.columns.count)]")
        }
        for (j, p) in patch.positions.enumerated() {
            guard p >= start && p < n, j == 0 || p > patch.positions[j - 1] else {
                throw SuffixError.invalidPatch(item: i, reason: "positions must be ascending within \(start)..<\(n), got \(patch.positions)")
            }
        }
    }

    /// One chunk: stacks the recomputed rows of its items, runs every layer over them and returns
    /// each item's logits rows.
    ///
    /// - Parameters:
    ///   - items: `(start, edit, embedding, computed)` per item; items not computed return the base logits.
    ///   - read: the sorted positions the head reads.
    ///   - progress: called after each layer with the rows it processed.
    ///   - keep: called per layer with the recomputed keys (post-RoPE) and values `[R, Hkv, dh]` of
    ///     the stacked rows (a decode step appends them to its `KVCache`).
    func runChunk(base: SuffixBase,
                  items: [(start: Int, edit: AttentionScoreEdit?, embedding: EmbeddingEdit?, computed: Bool)],
                  startLayer: Int, patches: [[ActivationPatch]],
                  read: [Int], progress: (Int) -> Void,
                  keep: ((_ layer: Int, _ keys: Tensor, _ values: Tensor) -> Void)? = nil) throws -> [Tensor] {
        let arch = architecture, n = base.length
        let (heads, kvHeads, dh) = (arch.heads, arch.kvHeads, arch.headDim)
        let computed = items.indices.filter { items[$0].computed }
        guard !computed.isEmpty else { return items.map { _ in base.logits } }

        // Stacked layout: item c's rows s_c..<n at rowOffsets[c]; positions [R].
        var rowOffsets: [Int] = [], positions: [Int] = []
        for c in computed {
            rowOffsets.append(positions.count)
            positions += Array(items[c].start..<n)
        }
        let r = positions.count
        let factors = computed.map { items[$0].edit?.denseFactors(length: n) ?? [] }
        // Query rows per layer: every stacked row; in the last layer only the rows the head reads.
        func layout(last: Bool) -> (rows: [SuffixRows], selection: [Int]?) {
            var rows: [SuffixRows] = [], selection: [Int] = []
            for (slot, c) in computed.enumerated() {
                let s = items[c].start
                let qPositions = last ? read.filter { $0 >= s } : Array(s..<n)
                rows.append(SuffixRows(start: s, rowOffset: rowOffsets[slot], queryOffset: selection.count,
                                       queryPositions: qPositions, edit: items[c].edit, factors: factors[slot]))
                selection += qPositions.map { rowOffsets[slot] + $0 - s }
            }
            return (rows, last ? selection : nil)
        }
        // RoPE tables [R, rotaryDim] of the stacked rows' positions (the full pass's tables for `n`).
        // Gemma 3's sliding layers have their own tables (`Architecture.rotaryTables`): at most two
        // distinct tables, each gathered once for the stacked rows.
        let layerRotary = arch.rotaryTables(length: n)
        func usesSlidingTables(_ l: Int) -> Bool {
            arch.slidingRotary != nil && l < arch.slidingWindows.count && arch.slidingWindows[l] != nil
        }
        func stacked(_ l: Int?) -> (cos: Tensor, sin: Tensor)? {
            l.flatMap(layerRotary).map { (cos: $0.cos.gatherRows(positions), sin: $0.sin.gatherRows(positions)) }
        }
        let stackedSliding = stacked((0..<arch.layers).first(where: usesSlidingTables))
        let stackedFull = stacked((0..<arch.layers).first { !usesSlidingTables($0) && !arch.unrotatedLayers.contains($0) })
        func stackedTables(_ l: Int) -> (cos: Tensor, sin: Tensor)? { usesSlidingTables(l) ? stackedSliding : stackedFull }
        let fullLayout = layout(last: false)
        // The base's ids: embedding items add the positions those ids give (RoBERTa counts non-pad tokens).
        var hooks = HookRun(inputIDs: base.result.cache.inputIDs, capture: .none, interventions: Interventions())
        // Patches per computed slot; `splice` writes those of one site into stacked rows, `all`
        // rows ([R, ·], every recomputed position) or query rows ([Rq, ·], in `itemRows` order).
        let slotPatches = computed.map { patches[$0] }
        let anyPatch = slotPatches.contains { !$0.isEmpty }
        func splice(_ site: ActivationPatch.Site, layer l: Int, into t: inout Tensor, queryRows: [SuffixRows]?) {
            guard anyPatch else { return }
            for (slot, list) in slotPatches.enumerated() {
                for patch in list where patch.layer == l && patch.site == site {
                    if let queryRows {
                        let rows = queryRows[slot]
                        patch.apply(to: &t) { p in rows.queryPositions.firstIndex(of: p).map { rows.queryOffset + $0 } }
                    } else {
                        let (offset, s) = (rowOffsets[slot], items[computed[slot]].start)
                        patch.apply(to: &t) { p in offset + p - s }
                    }
                }
            }
        }

        var x = startLayer == 0 ? base.embedded.gatherRows(positions.map { $0 - base.firstRow })
            : base.residuals[startLayer].gatherRows(positions)                      // [R, d]
        for (slot, c) in computed.enumerated() {
            guard let embedding = items[c].embedding else { continue }   // embedding items start at layer 0
            // The item's own first residual [n, d]: hook_embed [n, e] with its rows replaced, positions added
            // (and projected to d where e ≠ d: ELECTRA's embeddings_project).
            var embed = base.tokenEmbeddings
            let e = embed.shape[1]
            embed.withUnsafeMutableBufferPointer { eb in
                embedding.rows.withUnsafeBufferPointer { r in
                    for (i, p) in embedding.positions.enumerated() {
                        (eb.baseAddress! + p * e).update(from: r.baseAddress! + i * e, count: e)
                    }
                }
            }
            let own = try weights.embeddings.addPositions(to: embed, tokenTypes: base.tokenTypes, hooks: &hooks)
            let d = own.shape[1]
            let s = items[c].start
            x.withUnsafeMutableBufferPointer { xb in
                own.withUnsafeBufferPointer { ob in
                    (xb.baseAddress! + rowOffsets[slot] * d).update(from: ob.baseAddress! + s * d, count: (n - s) * d)
                }
            }
        }
        for (l, block) in weights.blocks.enumerated() where l >= startLayer {
            let (itemRows, selection) = l == arch.layers - 1 ? layout(last: true) : fullLayout
            let qPositions = selection.map { $0.map { positions[$0] } } ?? positions
            let queryRows = selection == nil ? nil : itemRows
            splice(.residPre, layer: l, into: &x, queryRows: nil)
            let attnIn = arch.placement == .pre || arch.placement == .sandwich
                ? try block.ln1(x, scalePoint: .block(l, .ln1(.scale)), normalizedPoint: .block(l, .ln1(.normalized)), hooks: &hooks)
                : x
            var k = block.attention.key(attnIn)                                       // [R, Hkv·dh]
            var v = block.attention.value(attnIn)                                     // [R, Hkv·dh]
            var q = block.attention.query(selection.map { attnIn.gatherRows($0) } ?? attnIn)   // [Rq, H·dh]
            splice(.q, layer: l, into: &q, queryRows: queryRows)
            splice(.k, layer: l, into: &k, queryRows: nil)
            splice(.v, layer: l, into: &v, queryRows: nil)
            arch.clipQKV(&v)                                                          // clip_qkv
            arch.clipQK(&q, at: .projection); arch.clipQK(&k, at: .projection)       // OLMo's: before any QK-norm
            let wholeNorm = arch.qkNormScope == .wholeProjection                     // OLMo 2: before the split
            if wholeNorm, let norm = block.attention.queryNorm { q = norm(q) }
            if wholeNorm, let norm = block.attention.keyNorm { k = norm(k) }
            k.reshape([r, kvHeads, dh])                                               // [R, Hkv, dh]
            v.reshape([r, kvHeads, dh])                                               // [R, Hkv, dh]
            q.reshape([qPositions.count, heads, dh])                                  // [Rq, H, dh]
            if !wholeNorm, let norm = block.attention.queryNorm { q = norm.perHead(q) }   // QK-norm (Qwen3, Gemma 3)
            if !wholeNorm, let norm = block.attention.keyNorm { k = norm.perHead(k) }
            arch.clipQK(&q, at: .afterQKNorm); arch.clipQK(&k, at: .afterQKNorm)     // OLMoE's: after the QK-norm
            if let rotary = layerRotary(l), let (cos, sin) = stackedTables(l) {
                if selection == nil {
                    applyRotary(&q, cos: cos, sin: sin, layout: rotary.layout)
                } else {
                    applyRotary(&q, cos: rotary.cos.gatherRows(qPositions), sin: rotary.sin.gatherRows(qPositions),
                                layout: rotary.layout)
                }
                applyRotary(&k, cos: cos, sin: sin, layout: rotary.layout)
            }
            keep?(l, k, v)
            var z = suffixAttention(layer: l, architecture: arch, length: n, items: itemRows, q: q, k: k, v: v,
                                    baseKeys: base.isCausal ? base.keys[l] : nil,
                                    baseValues: base.isCausal ? base.values[l] : nil)   // [Rq, H·dh]
            splice(.z, layer: l, into: &z, queryRows: itemRows)
            var attnOut = block.attention.output(z)                                   // [Rq, d]
            switch arch.placement {                                                   // the norm on the branch output
            case .sandwich: attnOut = block.ln1Post.map { $0(attnOut) } ?? attnOut
            case .branchOutput: attnOut = block.ln1(attnOut)
            case .pre, .post: break
            }
            splice(.attnOut, layer: l, into: &attnOut, queryRows: itemRows)
            let residPre = selection.map { x.gatherRows($0) } ?? x                    // [Rq, d]
            let residMid = added(residPre, attnOut)
            switch arch.placement {
            case .pre where arch.parallelResidual:                                    // GPT-NeoX: both branches read x
                let h2 = try block.ln2(residPre, scalePoint: .block(l, .ln2(.scale)),
                                       normalizedPoint: .block(l, .ln2(.normalized)), hooks: &hooks)
                var mlpOut = try block.mlp.forward(h2, layer: l, activation: arch.activation, hooks: &hooks)
                splice(.mlpOut, layer: l, into: &mlpOut, queryRows: itemRows)
                x = added(added(mlpOut, attnOut), residPre)
            case .pre:
                let h2 = try block.ln2(residMid, scalePoint: .block(l, .ln2(.scale)),
                                       normalizedPoint: .block(l, .ln2(.normalized)), hooks: &hooks)
                var mlpOut = try block.mlp.forward(h2, layer: l, activation: arch.activation, hooks: &hooks)
                splice(.mlpOut, layer: l, into: &mlpOut, queryRows: itemRows)
                x = added(residMid, mlpOut)
            case .sandwich, .branchOutput:                                            // Gemma 2 / 3, OLMo 2
                let sandwich = arch.placement == .sandwich
                let h2 = sandwich ? try block.ln2(residMid, scalePoint: .block(l, .ln2(.scale)),
                                                  normalizedPoint: .block(l, .ln2(.normalized)), hooks: &hooks)
                    : residMid
                let raw = try block.mlp.forward(h2, layer: l, activation: arch.activation, hooks: &hooks)
                var mlpOut = sandwich ? (block.ln2Post.map { $0(raw) } ?? raw) : block.ln2(raw)
                splice(.mlpOut, layer: l, into: &mlpOut, queryRows: itemRows)
                x = added(residMid, mlpOut)
            case .post:
                let h = try block.ln1(residMid, scalePoint: .block(l, .ln1(.scale)),
                                      normalizedPoint: .block(l, .ln1(.normalized)), hooks: &hooks)
                var mlpOut = try block.mlp.forward(h, layer: l, activation: arch.activation, hooks: &hooks)
                splice(.mlpOut, layer: l, into: &mlpOut, queryRows: itemRows)
                let residPost = added(h, mlpOut)
                x = try block.ln2(residPost, scalePoint: .block(l, .ln2(.scale)),
                                  normalizedPoint: .block(l, .ln2(.normalized)), hooks: &hooks)
            }
            progress(r)
        }

        // x: [Σ read rows ≥ start, d], item by item in ascending position.
        let lastRows = layout(last: true).rows
        var headLogits: [Tensor]                                                      // per computed item
        if case .sequenceClassification(_, .firstToken) = arch.head {                // encoders: [CLS]
            headLogits = try lastRows.map { rows in
                try weights.head.forward(x.rows(rows.queryOffset..<(rows.queryOffset + 1)), architecture: arch,
                                         rows: nil, hooks: &hooks).logits!
            }
        } else {
            let all = try weights.head.forward(x, architecture: arch, rows: nil, hooks: &hooks).logits!   // [Σ, V]
            headLogits = lastRows.map { all.rows($0.queryOffset..<($0.queryOffset + $0.queryPositions.count)) }
        }

        // Each item's rows in `base.logitRows` order: recomputed where at or after its start.
        // (A decode step has no base logits: every row it reads is recomputed.)
        let width = headLogits.first?.shape[1] ?? base.logits.shape[1]
        var out: [Tensor] = []
        var slot = 0
        for item in items {
            guard item.computed else { out.append(base.logits); continue }
            let own = headLogits[slot], rows = lastRows[slot]
            slot += 1
            var storage: [Float] = []
            storage.reserveCapacity(base.logitRows.count * width)
            for (i, p) in base.logitRows.enumerated() {
                if p >= item.start, let j = rows.queryPositions.firstIndex(of: p) {
                    storage += own.storage[(j * width)..<((j + 1) * width)]
                } else {
                    storage += base.logits.storage[(i * width)..<((i + 1) * width)]
                }
            }
            out.append(Tensor(shape: [base.logitRows.count, width], storage: storage))
        }
        return out
    }
}
