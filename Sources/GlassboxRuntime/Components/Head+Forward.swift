import Foundation
import GlassboxTensor

extension HeadWeights {
    /// The top of the model on the last block's output `[n, d]`.
    ///
    /// Returns the final hidden state (after the final norm where there is one), the pooled
    /// `[1, d]` vector (BERT pooler; ModernBERT's `head`, LayerNorm included) and the logits: `[rows.count, V]` for token heads (only the
    /// requested positions are projected), `[1, labels]` for an encoder classifier (`[CLS]`),
    /// `[rows.count, 1]` for ELECTRA's discriminator, `[rows.count, labels]` for a decoder classifier (`score` at every requested row: the forward
    /// pass asks for the pooled one, `ClassifierPooling`), `nil` without a head.
    func forward(_ x: Tensor, architecture arch: Architecture, rows: [Int]?,
                 hooks: inout HookRun) throws -> (hidden: Tensor, pooled: Tensor?, logits: Tensor?) {
        var hidden = x
        if let finalNorm {
            hidden = try finalNorm(x, scalePoint: .lnFinal(.scale), normalizedPoint: .lnFinal(.normalized),
                                   hooks: &hooks)
        }
        var pooled: Tensor?
        if let pooler {
            var p = pooler(Self.pooledInput(hidden, architecture: arch))  // [1, d]
            poolerActivation.apply(&p)
            if let poolerNorm { p = poolerNorm(p) }                          // ModernBERT's head.norm
            try hooks.fire(.poolerOut, &p)
            pooled = p
        }
        guard let unembed else { return (hidden, pooled, nil) }

        let selected = rows.map { hidden.gatherRows($0) } ?? hidden          // [r, d]
        var input: Tensor
        switch arch.head {
        case .maskedLanguageModel:
            guard let transform, let transformNorm else { return (hidden, pooled, nil) }
            var t = transform(selected)
            (transformActivation ?? arch.activation).apply(&t)
            try hooks.fire(.mlmTransform, &t)
            input = try transformNorm(t, scalePoint: .mlmLN(.scale), normalizedPoint: .mlmLN(.normalized),
                                      hooks: &hooks)
        case .replacedTokenDetection:                                        // ELECTRA: dense, hidden_act, no norm
            guard let transform else { return (hidden, pooled, nil) }
            input = transform(selected)
            (transformActivation ?? arch.activation).apply(&input)
            try hooks.fire(.mlmTransform, &input)
        case .sequenceClassification(_, .firstToken), .sequenceClassification(_, .mean):
            input = pooled ?? hidden.rows(0..<1)                                // [1, d]
        case .sequenceClassification(_, .lastNonPad), .languageModel, .none:
            input = selected
        }
        try hooks.fire(.unembedIn, &input)
        var logits = unembed(input)
        if let cap = arch.finalSoftCap { softCap(&logits, cap) }            // Gemma 2: cap·tanh(z/cap)
        try hooks.fire(.unembedOut, &logits)
        return (hidden, pooled, logits)
    }

    /// The pooler's input `[1, d]` from the final hidden state `[n, d]`: row 0 (`[CLS]`), or the
    /// mean of every row for `ClassifierPooling.mean` (ModernBERT's masked mean with a mask of
    /// ones: `(h·m).sum(1) / m.sum(1)`).
    public static func pooledInput(_ hidden: Tensor, architecture arch: Architecture) -> Tensor {
        guard case .sequenceClassification(_, .mean) = arch.head else { return hidden.rows(0..<1) }
        let (n, d) = (hidden.shape[0], hidden.shape[1])
        var sum = [Double](repeating: 0, count: d)
        for i in 0..<n { for j in 0..<d { sum[j] += Double(hidden.storage[i * d + j]) } }
        return Tensor(shape: [1, d], storage: sum.map { Float($0 / Double(n)) })
    }
}
