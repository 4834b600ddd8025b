import Foundation
import GlassboxModelIO
import GlassboxRuntime
import GlassboxTensor

extension ReverseSweep {
    /// Seeds the sweep and takes it through the output layer: returns the gradient at the last
    /// block's output `[n, d]` and the target as explained (docs/methods.md §2.3 step 1, §2.4).
    ///
    /// - LM head: `logits = ln_final(x)·W_U`, row `position` only.
    /// - Masked-LM head: `dense → act → LayerNorm → decoder`, row `position` (the activation gets the
    ///   activation rule, as LXT's BERT fork does); ELECTRA's discriminator: `dense → act →
    ///   dense_prediction`, its one logit at row `position`.
    /// - Classifier: `tanh(pooler(h_[CLS]))·W_c + b` (BERT, RoBERTa; the tanh gets the activation
    ///   rule; DistilBERT: ReLU; ModernBERT: `LayerNorm(act(dense(h_[CLS])))`, the norm by the
    ///   normalization rule as the MLM head's, the activation by the activation rule; with
    ///   `classifier_pooling` `mean` on the mean of every row, a linear map whose plain gradient
    ///   `g/n` to each row is LXT's treatment: relevance `Σ_i h_i·g/n = h̄·g` is conserved) or
    ///   `ln_final(x)_[CLS]·W_c + b` (ViT), or `ln_final(x)_p·W_score` at the pooled last non-pad
    ///   position `p` (decoder classifiers: `forward.logitPositions`).
    /// - No head / similarity: `a = pool(hidden)` (mean unless `target.pooling` says otherwise)
    ///   against the fixed `b`.
    func headBackward(_ target: RelevanceTarget, position: Int, forward: ForwardResult) throws -> (Tensor, ExplainedTarget) {
        let arch = architecture, head = weights.head
        let d = arch.dModel
        if case .similarity(let other, let measure) = target.objective {
            return try similarityBackward(other, measure: measure, pooling: target.pooling, forward: forward)
        }
        guard let unembed = head.unembed, let logits = forward.logits else {
            throw AnalysisError.invalidOption("\(arch.modelType) has no prediction head: explain the similarity to a second input instead")
        }
        let row = logits.row(0).storage                                            // [V]
        let pooledRow = forward.logitPositions.first ?? 0                          // a classifier's pooled position
        var (seed, explained) = try Self.seed(target.objective, logits: row,
                                              position: arch.head.scoresEachPosition ? position : pooledRow)
        if let seedOverride { seed = seedOverride }
        var g = try unembedBackward(unembed, seeds: [seed])                         // [1, d]
        var hiddenRow = position
        switch arch.head {
        case .maskedLanguageModel:
            guard let transform = head.transform, let norm = head.transformNorm else {
                throw AnalysisError.invalidOption("masked-LM head without its transform")
            }
            g = try normBackward(norm, g, normalized: { norm.normalize(try tensor(.mlmTransform)).normalized },
                                 scale: try tensor(.mlmLN(.scale)))
            g = transformBackward(transform, g, hidden: forward.hidden.rows(position..<(position + 1)))
        case .replacedTokenDetection:
            guard let transform = head.transform else {
                throw AnalysisError.invalidOption("replaced-token detection head without its dense layer")
            }
            g = transformBackward(transform, g, hidden: forward.hidden.rows(position..<(position + 1)))
        case .sequenceClassification:
            hiddenRow = pooledRow
            if let pooler = head.pooler {
                let h = HeadWeights.pooledInput(forward.hidden, architecture: arch)     // [1, d]: [CLS] or the mean
                let pre = pooler(h)                                                     // [1, d]
                if let norm = head.poolerNorm {                                         // ModernBERT: norm(act(dense(h)))
                    var activated = pre
                    head.poolerActivation.apply(&activated)
                    let (normalized, scale) = norm.normalize(activated)
                    g = try normBackward(norm, g, normalized: { normalized }, scale: scale)
                }
                let function: PointwiseFunction = switch head.poolerActivation {
                case .tanh: .tanh
                case .relu: .model(.relu)
                case .model(let activation): .model(activation)
                }
                ActivationRules.apply(function, rule: table[.activation], x: pre, to: &g)
                g = linearBackward(pooler, g, rule: table[.linear], input: { h })
            }
        case .languageModel, .none:
            break
        }
        if case .sequenceClassification(_, .mean) = arch.head {                       // linear: g/n to every row
            let spread = EmbeddingPooling.mean.backward(g.storage.map(Double.init), hidden: forward.hidden)
            return (try finalNormBackward(spread), explained)
        }
        var gHidden = Tensor.zeros([n, d])
        for j in 0..<d { gHidden[hiddenRow, j] = g.storage[j] }
        return (try finalNormBackward(gHidden), explained)
    }

    /// Through a token head's `act(dense(h))` (the masked-LM transform, ELECTRA's discriminator
    /// dense): the gradient at the hidden row `h [1, d]` from the one at the activation's output, the
    /// activation by the activation rule and the dense layer by the linear rule.
    func transformBackward(_ transform: Linear, _ g: Tensor, hidden h: Tensor) -> Tensor {
        var g = g
        ActivationRules.apply(.model(weights.head.transformActivation ?? architecture.activation), rule: table[.activation],
                              x: transform(h), to: &g)
        return linearBackward(transform, g, rule: table[.linear], input: { h })
    }

    /// Through the output layer: the gradient at its input `[T, d]` from the seeds `[T][V]` at logit
    /// rows `0..<T` (`unembed.hook_in` rows), back through Gemma 2's and 3's final soft-cap
    /// `cap·tanh(z/cap)` first where there is one, by the rule `finalSoftCapRelevance` picks (§2.5e).
    func unembedBackward(_ unembed: Linear, seeds: [[Float]]) throws -> Tensor {
        var g = Tensor(shape: [seeds.count, seeds.first?.count ?? 0], storage: seeds.flatMap { $0 })     // [T, V]
        if let cap = architecture.finalSoftCap {
            let raw = unembed(try tensor(.unembedIn).rows(0..<seeds.count))        // [T, V], before the cap
            let rule = architecture.finalSoftCapRelevance == .gradient ? .gradient : table[.activation]
            ActivationRules.apply(.softCap(cap), rule: rule, x: raw, to: &g)
        }
        return try linearBackward(unembed, g, rule: table[.linear], input: { try tensor(.unembedIn) })
    }

    /// Through the final norm of pre-norm models (identity when there is none).
    func finalNormBackward(_ g: Tensor) throws -> Tensor {
        guard let norm = weights.head.finalNorm else { return g }
        let input: HookPoint = .block(architecture.layers - 1, Self.blockOutputSite(architecture))
        return try normBackward(norm, g, normalized: { norm.normalize(try tensor(input)).normalized },
                                scale: try tensor(.lnFinal(.scale)))
    }

    /// Similarity of the pooled final hidden state `a` to `b`, the other input's (no gradient).
    /// Cosine: `a·b/(‖a‖‖b‖)` with `‖a‖` detached, so `g_a = b/(‖a‖‖b‖)`; dot: `g_a = b`. The
    /// pooling takes `g_a` to the positions (mean pooling: `g_a/n` to each).
    func similarityBackward(_ other: ModelInput, measure: SimilarityMeasure, pooling: EmbeddingPooling,
                            forward: ForwardResult) throws -> (Tensor, ExplainedTarget) {
        let a = pooling.pool(forward.hidden), b = pooling.pool(try model.forward(other).hidden)
        var dot = 0.0, na = 0.0, nb = 0.0
        for j in a.indices { dot += Double(a[j]) * Double(b[j]); na += Double(a[j] * a[j]); nb += Double(b[j] * b[j]) }
        let factor: Double
        switch measure {
        case .dot: factor = 1
        case .cosine:
            guard na > 0, nb > 0 else { throw AnalysisError.invalidOption("cosine similarity of a zero embedding") }
            factor = 1 / (na.squareRoot() * nb.squareRoot())
        }
        let g = pooling.backward(b.map { Double($0) * factor }, hidden: forward.hidden)      // [n, d]
        let explained = ExplainedTarget(objective: "similarity-\(measure.rawValue)", position: 0, ids: [],
                                        value: Float(dot * factor), logit: nil, probability: nil)
        return (try finalNormBackward(g), explained)
    }

    /// The seed `∂(scalar)/∂logits` `[V]` and the explained target, for one row of logits.
    static func seed(_ objective: RelevanceTarget.Objective, logits: [Float], position: Int) throws -> ([Float], ExplainedTarget) {
        let count = logits.count
        let top = logits.indices.max { logits[$0] < logits[$1] } ?? 0
        func check(_ ids: [Int]) throws {
            for id in ids where id < 0 || id >= count {
                throw AnalysisError.invalidOption("target id \(id) is outside the model's \(count) outputs")
            }
        }
        var seed = [Float](repeating: 0, count: count)
        let name: String, ids: [Int]
        switch objective {
        case .logits(let list):
            ids = list.isEmpty ? [top] : list
            try check(ids)
            for id in ids { seed[id] += 1 }
            name = "logit"
        case .contrast(let id, let minus):
            ids = [id ?? top, minus]
            try check(ids)
            seed[ids[0]] += 1
            seed[minus] -= 1
            name = "contrast"
        case .contrastive(let list):
            ids = list.isEmpty ? [top] : list
            try check(ids)
            seed = [Float](repeating: -1 / Float(count), count: count)
            for id in ids { seed[id] = 1 }
            name = "contrastive"
        case .similarity:
            preconditionFailure("similarity has no logit seed")
        }
        var value = 0.0
        for i in 0..<count where seed[i] != 0 { value += Double(seed[i]) * Double(logits[i]) }
        let maxLogit = Double(logits[top])
        let partition = logits.reduce(0.0) { $0 + Foundation.exp(Double($1) - maxLogit) }
        let probability = Foundation.exp(Double(logits[ids[0]]) - maxLogit) / partition
        return (seed, ExplainedTarget(objective: name, position: position, ids: ids, value: Float(value),
                                      logit: logits[ids[0]], probability: Float(probability)))
    }

}
