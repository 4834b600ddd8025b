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
///
/// A sparse mixture of experts (Mixtral) has `E·dff` memories per layer, numbered expert-major
/// (`e·dff + i`, ``MemoryNeuron``): expert `e`'s keys and values, with coefficients its `hook_post`
/// times its routing weight (0 where it is not chosen); see ``coefficients(_:cache:layer:)``.
public enum FFNMemories {
    /// `v_i [d]` of one neuron.
    public static func value(_ model: TransformerModel, layer: Int, neuron: Int) throws -> [Float] {
        try ParameterProjection.check(model, layer: layer, neuron: neuron, k: 1)
        let (mlp, i) = mlp(model, layer: layer, neuron: neuron)
        return WeightSlices.writerVector(mlp.output, input: i)
    }

    /// `‖v_i‖₂` for every neuron of a layer, `[dff]` (LM-Debugger's per-row norms of `c_proj`;
    /// a mixture: `[E·dff]`, expert-major).
    public static func valueNorms(_ model: TransformerModel, layer: Int) throws -> [Float] {
        try ParameterProjection.check(model, layer: layer, neuron: 0, k: 1)
        return memoryMLPs(model, layer: layer).map(\.mlp).flatMap { mlp in
            let values = WeightSlices.inOut(mlp.output)                                     // [dff, d]
            let d = values.shape[1]
            return values.withUnsafeBufferPointer { b in
                (0..<values.shape[0]).map { i in Float(WeightSlices.dot(b.baseAddress! + i * d, b.baseAddress! + i * d, d).squareRoot()) }
            }
        }
    }

    /// `Σ_i m_i·v_i + b_out [d]` for coefficients `m [dff]` (one position's `mlp.hook_post`; a
    /// mixture: `m [E·dff]`, one row of ``coefficients(_:cache:layer:)``, and no `b_out`).
    /// The reconstruction check of §6.5 compares it with `hook_mlp_out`.
    public static func reconstruct(_ model: TransformerModel, layer: Int, coefficients m: [Float]) throws -> [Float] {
        try ParameterProjection.check(model, layer: layer, neuron: 0, k: 1)
        let count = neuronCount(model, layer: layer)
        guard m.count == count else {
            throw AnalysisError.invalidOption("\(m.count) coefficients for \(count) neurons")
        }
        let d = model.architecture.dModel
        var out = outputBias(model, layer: layer).map { $0.map(Double.init) } ?? Array(repeating: 0, count: d)
        var offset = 0
        for mlp in memoryMLPs(model, layer: layer).map(\.mlp) {
            let values = WeightSlices.inOut(mlp.output)                                     // [dff, d]
            let dff = values.shape[0]
            values.withUnsafeBufferPointer { b in
                for i in 0..<dff where m[offset + i] != 0 {
                    let row = b.baseAddress! + i * d
                    for j in 0..<d { out[j] += Double(m[offset + i]) * Double(row[j]) }
                }
            }
            offset += dff
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
