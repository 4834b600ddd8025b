import GlassboxRuntime
import GlassboxTensor

/// Relevance at the model's inputs.
struct InputRelevance {
    /// `[n]`: token embeddings, or vision `[CLS]` then per-patch pixel sums.
    var tokens: [Float]
    var positions: [Float]?
    var tokenTypes: [Float]?
    /// Vision: `[H, W]`, summed over channels.
    var pixels: Tensor?
}

extension ReverseSweep {
    /// From the gradient at block 0's input `[n, d]` to the embeddings (docs/methods.md §2.3 step 4).
    ///
    /// The embedding sum `e + p (+ t)` is an add, so every addend sees the same gradient `g` (after
    /// the embedding LayerNorm where there is one): `R_token = Σ_k e ⊙ g`, `R_pos = Σ_k p ⊙ g`,
    /// `R_type = Σ_k t ⊙ g` (LXT feeds `inputs_embeds` = token rows only, so the position and type
    /// shares are reported separately). Vision: the `[CLS]` row gets `cls ⊙ g₀`; the patch rows go
    /// back through the patch convolution (its rule: Gamma under LXT's ViT map) to the pixels, where
    /// `R = pixels ⊙ g` is summed over channels (LXT's heatmap) and per patch.
    func embeddingsBackward(_ g: Tensor, input: ModelInput) throws -> InputRelevance {
        let embed = try tensor(.embed)                                                  // [n, d]
        let gSum = try embeddingSumBackward(g, embed: embed)
        var result = InputRelevance(tokens: [])
        if let pos = cache[.posEmbed] { result.positions = Self.rowDot(pos, gSum) }
        if let types = cache[.tokenTypeEmbed] { result.tokenTypes = Self.rowDot(types, gSum) }
        switch input {
        case .tokens:
            result.tokens = Self.rowDot(embed, gSum)
        case .pixels(let pixels):
            guard let geometry = architecture.image, let patch = weights.embeddings.patch else {
                throw AnalysisError.invalidOption("pixels given to a model without patch embeddings")
            }
            let d = embed.shape[1]
            let cls = Self.rowDot(embed.rows(0..<1), gSum.rows(0..<1))[0]
            let patches = Self.unfold(pixels, geometry)                                 // [N, C·P·P]
            let gProjected = gSum.rows(1..<n).reshaped([n - 1, d])                      // [N, d]
            var relevance = linearBackward(patch, gProjected, rule: table[.patchEmbedding],
                                                     input: { patches })              // g at the pixels
            multiplyInPlace(&relevance, patches)                                        // R = x ⊙ g
            result.tokens = [cls] + Self.rowSums(relevance)
            result.pixels = Self.fold(relevance, geometry)
        }
        return result
    }

    /// The gradient at the embedding sum `e + p (+ t)` `[n, d]` — and so at each addend, the
    /// token embeddings (`hook_embed`, `embed [n, d]`) included — from the gradient at block 0's
    /// input: back through the embedding projection (ALBERT's `embedding_hidden_mapping_in`, ELECTRA's
    /// `embeddings_project`: an `E → d` linear map, under the linear rule) and the embedding LayerNorm
    /// where the model has them.
    func embeddingSumBackward(_ g: Tensor, embed: Tensor) throws -> Tensor {
        let norm = weights.embeddings.norm
        var g = g
        if let projection = weights.embeddings.projection {
            g = linearBackward(projection, g, rule: table[.linear], input: { norm.map { $0(embeddingSum(embed)) } ?? embeddingSum(embed) })
        }
        guard let norm else { return g }
        return try normBackward(norm, g, normalized: { norm.normalize(embeddingSum(embed)).normalized },
                                scale: try tensor(.embedLN(.scale)))
    }

    /// The embedding LayerNorm's input `e + p (+ t)` `[n, d]`, added in the forward's order (so `x̂`
    /// recomputed from it has the forward's bits).
    func embeddingSum(_ embed: Tensor) -> Tensor {
        var sum = embed
        if let pos = cache[.posEmbed] { addInPlace(&sum, pos) }
        if let types = cache[.tokenTypeEmbed] { addInPlace(&sum, types) }
        return sum
    }

    /// Pixels `[C, H, W]` → patches `[N, C·P·P]`, row-major over the grid, each in (channel, row,
    /// column) order like the convolution weight — the runtime's own layout.
    static func unfold(_ pixels: Tensor, _ g: ImageGeometry) -> Tensor {
        let p = g.patchSize
        var out = Tensor.zeros([g.patchCount, g.channels * p * p])
        var o = 0
        for gy in 0..<g.gridRows {
            for gx in 0..<g.gridColumns {
                for c in 0..<g.channels {
                    for y in 0..<p {
                        let start = (c * g.height + gy * p + y) * g.width + gx * p
                        for x in 0..<p { out.storage[o + x] = pixels.storage[start + x] }
                        o += p
                    }
                }
            }
        }
        return out
    }

    /// Per-patch values `[N, C·P·P]` → `[H, W]`, summed over channels.
    static func fold(_ patches: Tensor, _ g: ImageGeometry) -> Tensor {
        let p = g.patchSize
        var out = Tensor.zeros([g.height, g.width])
        var o = 0
        for gy in 0..<g.gridRows {
            for gx in 0..<g.gridColumns {
                for _ in 0..<g.channels {
                    for y in 0..<p {
                        for x in 0..<p { out[gy * p + y, gx * p + x] += patches.storage[o + x] }
                        o += p
                    }
                }
            }
        }
        return out
    }

    /// Σ over each row of `[rows, cols]` (fp64 accumulation).
    static func rowSums(_ x: Tensor) -> [Float] {
        let cols = x.dim(-1), rows = x.count / max(cols, 1)
        return (0..<rows).map { r in Float((0..<cols).reduce(0.0) { $0 + Double(x.storage[r * cols + $1]) }) }
    }
}
