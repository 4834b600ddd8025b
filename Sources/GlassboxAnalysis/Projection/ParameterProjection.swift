import GlassboxRuntime
import GlassboxTensor

/// One parameter vector read in embedding space: its top and bottom tokens.
public struct VectorProjection: Sendable, Equatable, Codable {
    /// `"embedding-projection"`.
    public let method: String
    /// Provenance: k, filter, embedding choice and matrix labels.
    public let parameters: [String: String]
    /// Index of the layer, 0-based.
    public let layer: Int
    /// Index of the neuron in the MLP hidden layer, in `0..<dff` (a mixture: `e·dff + i`, see
    /// ``MemoryNeuron``).
    public let neuron: Int
    /// `ffn-key`, `ffn-key-up` (the up projection of a gated MLP: its second key) or `ffn-value`.
    public let kind: String
    /// `‖vector‖₂`.
    public let norm: Float
    /// The `k` largest `e_t · vector`, best first.
    public let top: [TokenScore]
    /// The `k` smallest (most negative) `e_t · vector`, most negative first.
    public let bottom: [TokenScore]
}

/// Parameter projection of FFN keys and values (Dar et al., ACL 2023, §3: `k_i·Eᵀ`, `v_i·Eᵀ`;
/// Geva et al., EMNLP 2022, §2: `p_i = softmax(E·v_i)` ranks the same tokens). Parameters are
/// projected raw: no final norm, no bias, no coefficient.
public enum ParameterProjection {
    /// The per-vector path: `scores = E·vector` (`E [V, d]`, `vector [d]`), then top and bottom `k`.
    public static func project(_ vector: [Float], onto matrix: Tensor, k: Int, filter: TokenFilter = .all,
                               texts: [String]? = nil) throws -> (top: [TokenScore], bottom: [TokenScore]) {
        guard matrix.rank == 2, vector.count == matrix.shape[1], !vector.isEmpty else {
            throw AnalysisError.invalidOption("a vector of \(vector.count) cannot be projected onto a \(matrix.shape) matrix")
        }
        guard matrix.hasConsistentStorage else {
            throw AnalysisError.invalidOption("the \(matrix.shape) matrix holds \(matrix.count) values, not \(matrix.shape[0] * matrix.shape[1])")
        }
        let scores = matmul(Tensor(shape: [1, vector.count], storage: vector), matrix, transposeB: true)  // [1, V]
        return scores.withUnsafeBufferPointer { s in
            (VocabularyTopK.tokenScores(VocabularyTopK.select(s, k: k, filter: filter), texts: texts),
             VocabularyTopK.tokenScores(VocabularyTopK.select(s, k: k, filter: filter, largest: false), texts: texts))
        }
    }

    /// FFN key(s) of one neuron projected with the reader embedding: one vector for standard MLPs
    /// (`ffn-key`), two for gated MLPs (`ffn-key` = the gate's row, `ffn-key-up` = the up row; a
    /// mixture's neuron `e·dff + i`: rows `i` of expert `e`'s `w1` and `w3`).
    public static func ffnKeys(_ model: TransformerModel, layer: Int, neuron: Int, k: Int = 30,
                               filter: TokenFilter = .all, embedding: EmbeddingChoice = .standard,
                               texts: [String]? = nil) throws -> [VectorProjection] {
        try check(model, layer: layer, neuron: neuron, k: k)
        let space = try EmbeddingSpace.resolve(model, embedding)
        let (mlp, i) = FFNMemories.mlp(model, layer: layer, neuron: neuron)
        var keys = [("ffn-key", WeightSlices.readerVector(mlp.input, output: i))]
        if let up = mlp.up { keys.append(("ffn-key-up", WeightSlices.readerVector(up, output: i))) }
        return try keys.map { kind, vector in
            let (top, bottom) = try project(vector, onto: space.readers, k: k, filter: filter, texts: space.texts(texts))
            return VectorProjection(method: method, parameters: parameters(k, filter, space, matrix: space.readerLabel),
                                    layer: layer, neuron: neuron, kind: kind, norm: norm(vector), top: top, bottom: bottom)
        }
    }

    /// The FFN value `v_i` of one neuron projected with the writer embedding (per-vector path; a
    /// mixture's neuron `e·dff + i`: column `i` of expert `e`'s `w2`).
    public static func ffnValue(_ model: TransformerModel, layer: Int, neuron: Int, k: Int = 30,
                                filter: TokenFilter = .all, embedding: EmbeddingChoice = .standard,
                                texts: [String]? = nil) throws -> VectorProjection {
        try check(model, layer: layer, neuron: neuron, k: k)
        let space = try EmbeddingSpace.resolve(model, embedding)
        let (mlp, i) = FFNMemories.mlp(model, layer: layer, neuron: neuron)
        let vector = WeightSlices.writerVector(mlp.output, input: i)
        let (top, bottom) = try project(vector, onto: space.writers, k: k, filter: filter, texts: space.texts(texts))
        return VectorProjection(method: method, parameters: parameters(k, filter, space, matrix: space.writerLabel),
                                layer: layer, neuron: neuron, kind: "ffn-value", norm: norm(vector), top: top, bottom: bottom)
    }

    /// Many values at once (the matrix path): `values [m, d] · Eᵀ` in blocks of neurons, so that
    /// at most `blockNeurons × V` logits exist at a time (GPT-2 medium's 24 × 4096 × 50k value
    /// logits are never held). Equals `ffnValue` neuron by neuron.
    ///
    /// - Parameter neurons: the neurons (default: all `dff`; a mixture: all `E·dff`), results in this order.
    public static func ffnValues(_ model: TransformerModel, layer: Int, neurons: [Int]? = nil, k: Int = 30,
                                 filter: TokenFilter = .all, embedding: EmbeddingChoice = .standard,
                                 texts: [String]? = nil, blockNeurons: Int = 64) throws -> [VectorProjection] {
        let chosen = neurons ?? Array(0..<FFNMemories.neuronCount(model, layer: layer))
        for n in chosen { try check(model, layer: layer, neuron: n, k: k) }
        let space = try EmbeddingSpace.resolve(model, embedding)
        let labels = space.texts(texts)
        let params = parameters(k, filter, space, matrix: space.writerLabel)
        var results: [VectorProjection] = []
        results.reserveCapacity(chosen.count)
        for start in stride(from: 0, to: chosen.count, by: max(1, blockNeurons)) {
            let block = Array(chosen[start..<min(chosen.count, start + max(1, blockNeurons))])
            let values = FFNMemories.valueRows(model, layer: layer, block)               // [m, d]
            let logits = matmul(values, space.writers, transposeB: true)                 // [m, V]
            let picked = topAndBottom(logits, k: k, filter: filter)
            for (r, neuron) in block.enumerated() {
                let v = Array(values.storage[(r * values.shape[1])..<((r + 1) * values.shape[1])])
                results.append(VectorProjection(
                    method: method, parameters: params, layer: layer, neuron: neuron, kind: "ffn-value", norm: norm(v),
                    top: VocabularyTopK.tokenScores(picked[r].top, texts: labels),
                    bottom: VocabularyTopK.tokenScores(picked[r].bottom, texts: labels)))
            }
        }
        return results
    }

    /// Top and bottom `k` of every row of `[m, V]`, rows in parallel.
    static func topAndBottom(_ logits: Tensor, k: Int, filter: TokenFilter)
        -> [(top: [(id: Int, score: Float)], bottom: [(id: Int, score: Float)])] {
        let (m, v) = (logits.shape[0], logits.shape[1])
        let out = Collector([(top: [(id: Int, score: Float)], bottom: [(id: Int, score: Float)])?](repeating: nil, count: m))
        logits.withUnsafeBufferPointer { buffer in
            let base = SendableConstPointer(buffer.baseAddress!)
            parallelFor(m) { r in
                let row = UnsafeBufferPointer(start: base.base + r * v, count: v)
                let picked = (top: VocabularyTopK.select(row, k: k, filter: filter),
                              bottom: VocabularyTopK.select(row, k: k, filter: filter, largest: false))
                out.update { $0[r] = picked }
            }
        }
        return out.value.map { $0! }
    }

    static let method = "embedding-projection"

    static func parameters(_ k: Int, _ filter: TokenFilter, _ space: EmbeddingSpace, matrix: String) -> [String: String] {
        ["k": "\(k)", "filter": filter.label, "embedding": space.choice.rawValue, "matrix": matrix,
         "approximate": "\(space.approximate)"]
    }

    static func norm(_ v: [Float]) -> Float { Float(WeightSlices.dot(v, v).squareRoot()) }

    static func check(_ model: TransformerModel, layer: Int, neuron: Int, k: Int) throws {
        let arch = model.architecture
        guard layer >= 0, layer < arch.layers else { throw AnalysisError.layerOutOfRange(layer, layers: arch.layers) }
        let count = FFNMemories.neuronCount(model, layer: layer)
        guard neuron >= 0, neuron < count else {
            let mixture = model.weights.blocks[layer].mlp.mixture, dff = mixture?.experts.first?.output.inFeatures ?? 0
            let numbering = mixture.map { " (\($0.experts.count) experts × \(dff) neurons, expert e's neuron i is e·\(dff) + i"
                + ($0.shared.map { ", then the shared expert's \($0.mlp.output.inFeatures)" } ?? "") + ")" } ?? ""
            throw AnalysisError.invalidOption("neuron \(neuron) is outside 0..<\(count)\(numbering)")
        }
        guard k >= 1 else { throw AnalysisError.invalidOption("k must be at least 1, got \(k)") }
    }
}

/// A read-only pointer that may cross into `parallelFor` bodies (the caller keeps the buffer alive).
struct SendableConstPointer<T>: @unchecked Sendable {
    let base: UnsafePointer<T>
    init(_ p: UnsafePointer<T>) { base = p }
}
