import GlassboxTensor

extension EmbeddingWeights {
    /// Token ids `[n]` (and token types `[n]`) → the first residual stream `[n, d]`, firing
    /// hook_embed, hook_pos_embed, hook_token_type_embed and the embedding LayerNorm's hooks.
    func forward(_ ids: [Int], tokenTypes: [Int], hooks: inout HookRun) throws -> Tensor {
        var embed = token.gatherRows(ids)                                   // [n, d]
        try hooks.fire(.embed, &embed)
        var sum = embed
        if let position {
            var pos = position.rows(0..<ids.count)                          // [n, d]
            try hooks.fire(.posEmbed, &pos)
            addInPlace(&sum, pos)
        }
        if let tokenType {
            var types = tokenType.gatherRows(tokenTypes)                    // [n, d]
            try hooks.fire(.tokenTypeEmbed, &types)
            addInPlace(&sum, types)
        }
        guard let norm else { return sum }
        return try norm(sum, scalePoint: .embedLN(.scale), normalizedPoint: .embedLN(.normalized), hooks: &hooks)
    }
}
