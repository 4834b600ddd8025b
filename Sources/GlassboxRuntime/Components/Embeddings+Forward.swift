import GlassboxTensor

extension EmbeddingWeights {
    /// Token ids `[n]` (and token types `[n]`) → the first residual stream `[n, d]`, firing
    /// hook_embed (the rows times `scale` where there is one), hook_pos_embed, hook_token_type_embed and the embedding LayerNorm's hooks.
    /// `offset`: the position of the first id (a decode step after `offset` cached positions).
    func forward(_ ids: [Int], tokenTypes: [Int], offset: Int = 0, hooks: inout HookRun) throws -> Tensor {
        var embed = token.gatherRows(ids)                                   // [n, d]
        if let scale { scaleInPlace(&embed, scale) }                        // Gemma: · √d
        try hooks.fire(.embed, &embed)
        return try addPositions(to: embed, tokenTypes: tokenTypes, offset: offset, hooks: &hooks)
    }

    /// Pixels `[C, H, W]` → `[1 + patches, d]`: row 0 the `[CLS]` embedding, then each `P×P` patch
    /// (row-major over the grid) projected by the patch convolution; fires hook_embed on that and
    /// hook_pos_embed on the position rows.
    func forward(pixels: Tensor, geometry g: ImageGeometry, hooks: inout HookRun) throws -> Tensor {
        guard let patch, let classToken else { preconditionFailure("forward(pixels:) on a model without patch embeddings") }
        let p = g.patchSize, d = classToken.count
        // patches [N, C·P·P], each flattened in (channel, row, column) order like the conv weight.
        let patches = Tensor(shape: [g.patchCount, g.channels * p * p]) { out in
            pixels.withUnsafeBufferPointer { src in
                var o = 0
                for gy in 0..<g.gridRows {
                    for gx in 0..<g.gridColumns {
                        for c in 0..<g.channels {
                            for y in 0..<p {
                                let row = src.baseAddress! + (c * g.height + gy * p + y) * g.width + gx * p
                                (out.baseAddress! + o).update(from: row, count: p)
                                o += p
                            }
                        }
                    }
                }
            }
        }
        let projected = patch(patches)                                      // [N, d]
        var embed = Tensor(shape: [g.patchCount + 1, d], storage: classToken.storage + projected.storage)
        try hooks.fire(.embed, &embed)
        return try addPositions(to: embed, tokenTypes: [], hooks: &hooks)
    }

    /// `embed + positions (+ token types)`, then the embedding norm and the embedding projection where
    /// the model has them (ALBERT's `embedding_hidden_mapping_in`, ELECTRA's `embeddings_project`): the
    /// first residual stream `[n, d]` from token (or patch) embedding rows `embed [n, e]` (`e = d` but
    /// where there is a projection) at positions
    /// `offset..<offset + n` (learned positions only; RoBERTa's padded positions start at 0).
    func addPositions(to embed: Tensor, tokenTypes: [Int], offset: Int = 0, hooks: inout HookRun) throws -> Tensor {
        let n = embed.shape[0]
        var sum = embed
        if let position {
            var pos = paddingIndex.map { position.gatherRows(Self.paddedPositions(ids: hooks.cache.inputIDs, n: n, paddingIndex: $0)) }
                ?? position.rows(offset..<(offset + n))                     // [n, d]
            try hooks.fire(.posEmbed, &pos)
            addInPlace(&sum, pos)
        }
        if let tokenType, !tokenTypes.isEmpty {
            var types = tokenType.gatherRows(tokenTypes)                    // [n, d]
            try hooks.fire(.tokenTypeEmbed, &types)
            addInPlace(&sum, types)
        }
        if let norm {
            sum = try norm(sum, scalePoint: .embedLN(.scale), normalizedPoint: .embedLN(.normalized), hooks: &hooks)
        }
        return projection.map { $0(sum) } ?? sum                           // ALBERT, ELECTRA: E → d
    }

    /// RoBERTa's position ids (`create_position_ids_from_input_ids`): `p + cumsum(id ≠ p)` for
    /// non-pad tokens and `p` for pad tokens, `p` the padding index (docs/methods.md §0.6); without
    /// ids for all `n` rows, `p + 1 + i`, as `transformers` does for `inputs_embeds`.
    static func paddedPositions(ids: [Int], n: Int, paddingIndex p: Int) -> [Int] {
        guard ids.count == n else { return (0..<n).map { p + 1 + $0 } }
        var count = 0
        return ids.map { id in
            if id == p { return p }
            count += 1
            return p + count
        }
    }
}
