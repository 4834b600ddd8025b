import GlassboxRuntime
import GlassboxTensor

/// FFN layers as key-value memories (Geva et al., EMNLP 2021, §2; EMNLP 2022, §2; docs/methods.md §6.1):
/// `FFN(x) = Σ_i m_i·v_i + b_out` with `m = act(x·K + b_in)` (gated: `m_i = φ(g_i·x)·(u_i·x)`).
///
/// - key `k_i`: what neuron `i` reads (column `i` of the input projection; gated MLPs have two);
/// - coefficient `m_i`: the input of the output projection, `mlp.hook_post`;
/// - value `v_i`: what it writes (row `i` of the `[dff, d]` output projection).
///
/// A sub-update `m_i·v_i` projects to `m_i·(E·v_i)`: the ranking of `E·v_i`, reversed when
/// `m_i < 0` (possible with GELU, SiLU and gating).
public enum FFNMemories {
    /// Throws a typed error for a sparse mixture of experts (Mixtral): these analyses read one dense
    /// MLP's keys, coefficients and values, and a mixture has `E` of them, each seeing only the
    /// positions routed to it (docs/methods.md §6.1). Per-expert activations are the hook points
    /// `mlp.experts.{e}.*`; per-expert neuron relevance is `RelevanceResult.neurons`.
    static func requireDenseMLP(_ model: TransformerModel) throws {
        guard let experts = model.architecture.experts else { return }
        throw AnalysisError.invalidOption(
            "\(model.architecture.modelType)'s MLP is a mixture of \(experts.count) experts (top-\(experts.topK) routing), "
                + "and FFN memories read one dense MLP; read an expert's activations at blocks.L.mlp.experts.E.hook_post "
                + "(glassbox predict --trace) or its neurons' relevance with glassbox explain")
    }

    /// `v_i [d]` of one neuron.
    public static func value(_ model: TransformerModel, layer: Int, neuron: Int) throws -> [Float] {
        try ParameterProjection.check(model, layer: layer, neuron: neuron, k: 1)
        return WeightSlices.writerVector(model.weights.blocks[layer].mlp.output, input: neuron)
    }

    /// `‖v_i‖₂` for every neuron of a layer, `[dff]` (LM-Debugger's per-row norms of `c_proj`).
    public static func valueNorms(_ model: TransformerModel, layer: Int) throws -> [Float] {
        try ParameterProjection.check(model, layer: layer, neuron: 0, k: 1)
        let values = WeightSlices.inOut(model.weights.blocks[layer].mlp.output)             // [dff, d]
        let d = values.shape[1]
        return values.withUnsafeBufferPointer { b in
            (0..<values.shape[0]).map { i in Float(WeightSlices.dot(b.baseAddress! + i * d, b.baseAddress! + i * d, d).squareRoot()) }
        }
    }

    /// `Σ_i m_i·v_i + b_out [d]` for coefficients `m [dff]` (one position's `mlp.hook_post`).
    /// The reconstruction check of §6.5 compares it with `hook_mlp_out`.
    public static func reconstruct(_ model: TransformerModel, layer: Int, coefficients m: [Float]) throws -> [Float] {
        try ParameterProjection.check(model, layer: layer, neuron: 0, k: 1)
        guard m.count == model.architecture.dFF else {
            throw AnalysisError.invalidOption("\(m.count) coefficients for \(model.architecture.dFF) neurons")
        }
        let values = WeightSlices.inOut(model.weights.blocks[layer].mlp.output)             // [dff, d]
        let d = values.shape[1]
        var out = model.weights.blocks[layer].mlp.output.bias.map { $0.storage.map(Double.init) } ?? Array(repeating: 0, count: d)
        values.withUnsafeBufferPointer { b in
            for i in 0..<m.count where m[i] != 0 {
                let row = b.baseAddress! + i * d
                for j in 0..<d { out[j] += Double(m[i]) * Double(row[j]) }
            }
        }
        return out.map(Float.init)
    }

    /// Each neuron's value read in the vocabulary (Geva et al. 2022: `E·v_i`, raw: no final norm, no
    /// bias, no coefficient; LM-Debugger stores the top 50 and shows 10). The matrix path of
    /// `ParameterProjection.ffnValues`.
    public static func valueTokens(_ model: TransformerModel, layer: Int, neurons: [Int]? = nil, k: Int = 10,
                                   filter: TokenFilter = .all, embedding: EmbeddingChoice = .standard,
                                   texts: [String]? = nil) throws -> [VectorProjection] {
        try ParameterProjection.ffnValues(model, layer: layer, neurons: neurons, k: k, filter: filter,
                                          embedding: embedding, texts: texts)
    }
}
