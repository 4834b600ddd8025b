import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor

extension CheferSweep {
    /// Relevance at the last block's output `[n, d]`, seeded with the target's seed vector (one-hot
    /// at the target for a logit: `generate_LRP`'s `one_hot_vector`, not the logit's value).
    /// Output layers by α1β0, their activations (pooler tanh, MLM GELU) and norms by the identity;
    /// a mean-pooled classifier (ModernBERT's `classifier_pooling` `mean`) by the z-rule through the mean.
    /// Similarities: `R_a = a ⊙ ∂s/∂a` (the contributions to `a·b`), then the z-rule through the pooling (mean unless
    /// `target.pooling` says otherwise).
    func headRelevance(_ target: RelevanceTarget, position: Int, forward: ForwardResult) throws -> Tensor {
        let arch = architecture, head = weights.head
        let d = arch.dModel
        var out = Tensor.zeros([n, d])
        if case .similarity(let other, let measure) = target.objective {
            let pooling = target.pooling
            let a = pooling.pool(forward.hidden), b = pooling.pool(try model.forward(other).hidden)
            var na = 0.0, nb = 0.0
            for j in a.indices { na += Double(a[j] * a[j]); nb += Double(b[j] * b[j]) }
            let factor = measure == .dot ? 1 : Float(1 / max((na * nb).squareRoot(), .leastNonzeroMagnitude))
            return pooling.zRule(a.indices.map { a[$0] * b[$0] * factor }, pooled: a, hidden: forward.hidden,
                                 divide: CheferRules.safeDivide)
        }
        guard let unembed = head.unembed, let logits = forward.logits else {
            throw AnalysisError.invalidOption("\(arch.modelType) has no prediction head: explain the similarity to a second input instead")
        }
        let row = logits.row(0).storage
        let pooledRow = forward.logitPositions.first ?? 0                   // a classifier's pooled position
        let (seed, _) = try ReverseSweep.seed(target.objective, logits: row, position: position)
        let seedRow = Tensor(shape: [1, row.count], storage: seed), unembedIn = try tensor(.unembedIn)
        var r: Tensor
        if let factors = head.unembedFactors, let last = factors.last {
            // A folded product of Linears (OPT's lm_head·project_out): α1β0 is not linear in the
            // weights, so each Linear takes the rule on its own input, top-down, as the reference does.
            var inputs = [unembedIn]
            for layer in factors.dropLast() { inputs.append(layer(inputs[inputs.count - 1])) }
            r = CheferRules.linear(last, input: inputs[inputs.count - 1], relevance: seedRow)
            for (layer, input) in zip(factors.dropLast(), inputs.dropLast()).reversed() {
                r = CheferRules.linear(layer, input: input, relevance: r)
            }
        } else {
            r = CheferRules.linear(unembed, input: unembedIn, relevance: seedRow)
        }
        var hiddenRow = position
        switch arch.head {
        case .maskedLanguageModel, .replacedTokenDetection:
            guard let transform = head.transform else { throw AnalysisError.invalidOption("token head without its dense layer") }
            r = CheferRules.linear(transform, input: forward.hidden.rows(position..<(position + 1)), relevance: r)
        case .sequenceClassification:
            hiddenRow = pooledRow
            if let pooler = head.pooler {
                let pooled = HeadWeights.pooledInput(forward.hidden, architecture: arch)     // [CLS], or the mean
                r = CheferRules.linear(pooler, input: pooled, relevance: r)
                if case .sequenceClassification(_, .mean) = arch.head {                   // the z-rule through the mean
                    return EmbeddingPooling.mean.zRule(r.storage, pooled: pooled.storage, hidden: forward.hidden,
                                                       divide: CheferRules.safeDivide)
                }
            }
        case .languageModel, .none:
            break
        }
        for j in 0..<d { out[hiddenRow, j] = r.storage[j] }
        return out                                                                   // final norm: identity
    }
}
