import GlassboxTensor

extension TransformerWeights {
    /// Distinct parameters (a tied output layer counts once), as transformers' `num_parameters()`
    /// counts them: embeddings (token, position, token type, a vision model's patch projection and
    /// `[CLS]` row, ELECTRA's `embeddings_project`), every norm (sandwich and QK-norms included), every linear map, the head.
    /// A loader's `parameterCountAdjustment` is added (OPT's folded projections).
    public var parameterCount: Int { heldParameterCount + parameterCountAdjustment }

    /// The elements of the tensors held, as `parameterCount` describes them, before any adjustment.
    private var heldParameterCount: Int {
        var total = embeddings.token.count + (embeddings.position?.count ?? 0) + (embeddings.tokenType?.count ?? 0)
        total += Self.count(embeddings.norm) + (embeddings.patch.map(Self.count) ?? 0) + (embeddings.classToken?.count ?? 0)
        total += embeddings.projection.map(Self.count) ?? 0
        total += distinctBlocks.flatMap(Self.linears).map(Self.count).reduce(0, +)
        for block in distinctBlocks {
            // Phi's one input_layernorm is both ln1 and ln2: counted once.
            let ln2: Norm? = block.ln2.sharesStorage(with: block.ln1) ? nil : block.ln2
            total += [block.ln1, ln2, block.ln1Post, block.ln2Post, block.attention.queryNorm, block.attention.keyNorm]
                .map(Self.count).reduce(0, +)
        }
        total += Self.count(head.finalNorm) + (head.pooler.map(Self.count) ?? 0) + (head.transform.map(Self.count) ?? 0)
        total += Self.count(head.transformNorm) + Self.count(head.poolerNorm)
        if let unembed = head.unembed {
            let tied = unembed.weight.sharesStorage(with: embeddings.token)
            total += (tied ? 0 : unembed.weight.count) + (unembed.bias?.count ?? 0)
        }
        return total
    }

    /// Weights and biases of every block's linear maps (attention projections, MLP, a mixture's
    /// experts and router): what `randomizingBlocks` redraws, as Float32, when it takes every block.
    public var blockLinearParameterCount: Int {
        blockLinears.map(Self.count).reduce(0, +)
    }

    /// Every block's linear maps, in order: the attention projections, then the MLP's (every
    /// expert's in a mixture: input, output, up), then a mixture's router and shared expert.
    private var blockLinears: [Linear] { blocks.flatMap(Self.linears) }

    /// One block's linear maps, in `blockLinears`' order.
    private static func linears(_ block: BlockWeights) -> [Linear] {
        let a = block.attention
        var list = [a.query, a.key, a.value, a.output]
        for m in block.mlp.mixture?.experts ?? [block.mlp] {     // a mixture's every expert
            list += [m.input, m.output] + (m.up.map { [$0] } ?? [])
        }
        if let router = block.mlp.mixture?.router { list.append(router) }
        if let shared = block.mlp.mixture?.shared {              // Qwen2-MoE: the shared expert, its gate
            list += [shared.mlp.input, shared.mlp.output] + (shared.mlp.up.map { [$0] } ?? []) + (shared.gate.map { [$0] } ?? [])
        }
        return list
    }

    /// The blocks, each layer whose weights an earlier one shares (ALBERT's repeated layer groups)
    /// left out: its parameters are counted once.
    private var distinctBlocks: [BlockWeights] {
        blocks.enumerated().filter { i, block in
            !blocks[..<i].contains { $0.attention.query.weight.sharesStorage(with: block.attention.query.weight) }
        }.map(\.element)
    }

    /// Bytes the weights occupy once touched: every matrix in its stored format (a tied output
    /// layer once), the Float32 norms, biases and position tables at 4 bytes each.
    public var residentBytes: Int {
        let matrices = matrixList
        var total = 0, matrixElements = 0
        for (i, m) in matrices.enumerated() where !matrices[..<i].contains(where: { $0.sharesStorage(with: m) }) {
            total += m.byteCount
            matrixElements += m.count
        }
        // heldParameterCount counts a tied head and a shared block once, as matrixElements does; the rest of it is Float32.
        return total + 4 * max(0, heldParameterCount - matrixElements)
    }

    /// Bytes of the weight matrices held in Float32 (each stored matrix once). For a half-precision
    /// checkpoint these are matrices widened at load: a constant folded into them (Granite's
    /// multipliers, Cohere's `logit_scale`, OPT's `project_out`) needs the product in Float32.
    public var float32MatrixBytes: Int {
        let matrices = matrixList
        var total = 0
        for (i, m) in matrices.enumerated() where m.format == .f32 && !matrices[..<i].contains(where: { $0.sharesStorage(with: m) }) {
            total += m.byteCount
        }
        return total
    }

    /// Every weight matrix: the token table (and patch projection), each block's projections
    /// (every expert's and the router in a mixture), then the head's.
    private var matrixList: [WeightMatrix] {
        [embeddings.token] + ([embeddings.patch, embeddings.projection].compactMap { $0?.weight }) + blockLinears.map(\.weight)
            + [head.pooler, head.transform, head.unembed].compactMap { $0?.weight }
    }

    private static func count(_ linear: Linear) -> Int { linear.weight.count + (linear.bias?.count ?? 0) }
    private static func count(_ norm: Norm?) -> Int { norm.map { $0.weight.count + ($0.bias?.count ?? 0) } ?? 0 }
}
