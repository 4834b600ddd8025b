import GlassboxTensor

extension TransformerWeights {
    /// Distinct parameters (a tied output layer counts once).
    public var parameterCount: Int {
        var total = embeddings.token.count + (embeddings.position?.count ?? 0) + (embeddings.tokenType?.count ?? 0)
        total += Self.count(embeddings.norm)
        for block in blocks {
            let a = block.attention
            total += [a.query, a.key, a.value, a.output, block.mlp.input, block.mlp.output].map(Self.count).reduce(0, +)
            total += block.mlp.up.map(Self.count) ?? 0
            total += Self.count(block.ln1) + Self.count(block.ln2)
        }
        total += Self.count(head.finalNorm) + (head.pooler.map(Self.count) ?? 0) + (head.transform.map(Self.count) ?? 0)
        total += Self.count(head.transformNorm)
        if let unembed = head.unembed {
            let tied = unembed.weight.sharesStorage(with: embeddings.token)
            total += (tied ? 0 : unembed.weight.count) + (unembed.bias?.count ?? 0)
        }
        return total
    }

    private static func count(_ linear: Linear) -> Int { linear.weight.count + (linear.bias?.count ?? 0) }
    private static func count(_ norm: Norm?) -> Int { norm.map { $0.weight.count + ($0.bias?.count ?? 0) } ?? 0 }
}
