import GlassboxRuntime
import GlassboxTensor

/// One FFN sub-update `m_i·v_i` at one position.
public struct SubUpdate: Sendable, Equatable, Codable {
    /// Index of the neuron `i` in the MLP hidden layer, in `0..<dff` (a mixture: `e·dff + i`, see
    /// ``MemoryNeuron``).
    public let neuron: Int
    /// `m_i`: the neuron's input to the output projection (`mlp.hook_post`; a mixture: its expert's
    /// `hook_post` times the expert's routing weight at the position).
    public let coefficient: Float
    /// `‖v_i‖₂`.
    public let valueNorm: Float
    /// `|m_i|·‖v_i‖` (LM-Debugger's dominance score).
    public let score: Float
    /// The tokens the sub-update promotes: the top of `m_i·(E·v_i)`, with that product as the score
    /// (the bottom of `E·v_i` when `m_i < 0`).
    public let tokens: [TokenScore]
}

/// The dominant sub-updates of one layer.
public struct LayerSubUpdates: Sendable, Equatable, Codable {
    /// Index of the layer, 0-based.
    public let layer: Int
    /// Best first.
    public let updates: [SubUpdate]
    /// `‖FFN output − b_out‖₂` at the position, for scale.
    public let updateNorm: Float
}

/// Dominant sub-updates of a prompt at one position.
public struct DominantSubUpdates: Sendable, Equatable, Codable {
    /// `"ffn-sub-updates"`.
    public let method: String
    /// Provenance: count, tokens per update, filter, score, coefficient hook and embedding.
    public let parameters: [String: String]
    /// The position read, 0-based (default: the last).
    public let position: Int
    /// Input token ids `[n]` (empty for images).
    public let inputIDs: [Int]
    /// One entry per chosen layer, in the order asked.
    public let layers: [LayerSubUpdates]
}

extension FFNMemories {
    /// The sub-updates with the largest `|m_i|·‖v_i‖` at a position, with their top tokens (Geva et
    /// al., EMNLP 2022, §4, and LM-Debugger's `req_res_oop.py`: top 10 per layer at the last position).
    ///
    /// - Parameters:
    ///   - position: default: the last position.
    ///   - layers: default: all.
    ///   - count: sub-updates per layer.
    ///   - tokensPerUpdate: tokens listed for each.
    public static func dominantSubUpdates(_ model: TransformerModel, _ input: ModelInput, position: Int? = nil,
                                          layers: [Int]? = nil, count: Int = 10, tokensPerUpdate: Int = 10,
                                          filter: TokenFilter = .all, embedding: EmbeddingChoice = .standard,
                                          texts: [String]? = nil) throws -> DominantSubUpdates {
        let arch = model.architecture
        let chosen = layers ?? Array(0..<arch.layers)
        for l in chosen where l < 0 || l >= arch.layers { throw AnalysisError.layerOutOfRange(l, layers: arch.layers) }
        guard count >= 1, tokensPerUpdate >= 1 else { throw AnalysisError.invalidOption("count and tokensPerUpdate must be at least 1") }
        let space = try EmbeddingSpace.resolve(model, embedding)
        let labels = space.texts(texts)
        let logitRows: LogitRows = if case .tokens = input { .positions([0]) } else { .all }
        let cache = try model.forward(input, capture: .points(chosen.flatMap { coefficientPoints(model, layer: $0) }),
                                      logitRows: logitRows).cache
        var result: [LayerSubUpdates] = []
        var p = 0
        for l in chosen {
            let post = try coefficients(model, cache: cache, layer: l)                        // [n, dff] (mixture: [n, E·dff])
            let (n, dff) = (post.shape[0], post.shape[1])
            p = position ?? n - 1
            guard p >= 0, p < n else { throw AnalysisError.positionOutOfRange(p, length: n) }
            let m = Array(post.storage[(p * dff)..<((p + 1) * dff)])
            let norms = try valueNorms(model, layer: l)
            var heap = TopKHeap(capacity: min(count, dff))
            for i in 0..<dff { heap.offer(abs(m[i]) * norms[i], i) }
            let winners = heap.sorted().map(\.index)
            guard !winners.isEmpty else {
                // The heap ignores NaN: every coefficient (or value norm) of this layer is NaN here.
                throw AnalysisError.invalidOption("the MLP coefficients of layer \(l) at position \(p) are all NaN, so no sub-update can be ranked; the model's weights or activations overflow or are corrupt (`glassbox predict --trace` shows where)")
            }
            let projections = try ParameterProjection.ffnValues(model, layer: l, neurons: winners, k: tokensPerUpdate,
                                                                filter: filter, embedding: embedding, texts: labels)
            let updates = zip(winners, projections).map { i, projection in
                // m·(E v): the top of E v scaled by m when m ≥ 0, the bottom (most negative) when m < 0.
                let side = m[i] >= 0 ? projection.top : projection.bottom
                return SubUpdate(neuron: i, coefficient: m[i], valueNorm: norms[i], score: abs(m[i]) * norms[i],
                                 tokens: side.map { TokenScore(id: $0.id, text: $0.text, score: m[i] * $0.score) })
            }
            let update = try reconstruct(model, layer: l, coefficients: m)
            let bias = outputBias(model, layer: l) ?? Array(repeating: 0, count: update.count)
            let updateNorm = zip(update, bias).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) }.squareRoot()
            result.append(LayerSubUpdates(layer: l, updates: updates, updateNorm: Float(updateNorm)))
        }
        let parameters = ["count": "\(count)", "tokensPerUpdate": "\(tokensPerUpdate)", "filter": filter.label,
                          "score": "|m|·‖v‖",
                          "coefficient": arch.experts == nil ? "mlp.hook_post" : "mlp.experts.E.hook_post × routing weight", "embedding": space.choice.rawValue,
                          "matrix": space.writerLabel]
        let ids: [Int] = if case .tokens(let ids, _) = input { ids } else { [] }
        return DominantSubUpdates(method: "ffn-sub-updates", parameters: parameters, position: p, inputIDs: ids, layers: result)
    }
}
