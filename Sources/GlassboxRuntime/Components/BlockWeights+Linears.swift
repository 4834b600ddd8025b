extension BlockWeights {
    /// The block with `transform` applied to each of its linear maps, everything else (norms,
    /// QK-norms, sandwich norms, `topK`) kept. `transform` sees them in this order: q, k, v, o, then
    /// the MLP's input, up and output — for a mixture, each expert's in turn, the router, then a
    /// shared expert's input, up, output and gate —
    /// so a seeded transform (`randomizingBlocks`) draws in a fixed order. A mixture's
    /// `input`/`up`/`output` are its transformed expert 0's, as the loaders set them.
    func mappingLinears(_ transform: (Linear) -> Linear) -> BlockWeights {
        let a = attention
        var mapped = AttentionWeights(query: transform(a.query), key: transform(a.key), value: transform(a.value),
                                      output: transform(a.output))
        (mapped.queryNorm, mapped.keyNorm) = (a.queryNorm, a.keyNorm)
        func dense(_ m: MLPWeights) -> MLPWeights {
            MLPWeights(input: transform(m.input), up: m.up.map(transform), output: transform(m.output))
        }
        let feedForward: MLPWeights
        if let mixture = mlp.mixture {
            let experts = mixture.experts.map(dense)
            var mapped = MixtureWeights(router: transform(mixture.router), experts: experts, topK: mixture.topK)
            mapped.renormalizes = mixture.renormalizes
            mapped.kind = mixture.kind
            mapped.shared = mixture.shared.map { SharedExpertWeights(mlp: dense($0.mlp), gate: $0.gate.map(transform)) }
            feedForward = MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output, mixture: mapped)
        } else {
            feedForward = dense(mlp)
        }
        var block = BlockWeights(ln1: ln1, attention: mapped, ln2: ln2, mlp: feedForward)
        (block.ln1Post, block.ln2Post) = (ln1Post, ln2Post)
        return block
    }
}
