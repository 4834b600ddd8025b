import GlassboxRuntime
import GlassboxTensor

/// Relevance of the inputs and of the latent units for one explained target.
///
/// Every value is `activation ⊙ modified gradient`, summed as stated (LXT: relevance at a tensor
/// `T` is `T ⊙ g_T`). `n` positions, `L` layers, `H` query heads, `dff` MLP width.
public struct RelevanceResult: Sendable {
    /// The method whose rules were used.
    public let method: RelevanceMethod
    /// Provenance: method, rule table, gammas.
    public let parameters: [String: String]
    /// What was explained: position, seeded ids and the explained value.
    public let target: ExplainedTarget
    /// `[n]` relevance at the token embeddings (the token rows only, LXT's `inputs_embeds`), summed
    /// over the hidden dimension. Vision: position 0 is the `[CLS]` embedding, position `1 + p` the
    /// pixel relevance of patch `p` (summed over its channels and pixels).
    public let tokens: [Float]
    /// `[n]` relevance of the learned position embeddings (nil for rotary or no positions).
    public let positions: [Float]?
    /// `[n]` relevance of the token-type embeddings (BERT), nil elsewhere.
    public let tokenTypes: [Float]?
    /// Vision: `[H, W]` pixel relevance summed over channels (LXT's heatmap).
    public let pixels: Tensor?
    /// Vision: patch relevance as grid rows × columns (`tokens[1...]`).
    public let patchGrid: [[Float]]?
    /// `[L, H]` relevance at each head's output before the output projection (`hook_z`), summed
    /// over positions and head dimensions (equal to the relevance of its `hook_result` slice).
    public let heads: Tensor
    /// `[L, dff]` relevance at the input of each MLP's output projection (`mlp.hook_post`), summed
    /// over positions. A mixture of `E` experts: `[L, E·dff]`, expert `e`'s neuron `i` at `e·dff + i`
    /// (its `mlp.experts.{e}.hook_post`).
    public let neurons: Tensor
    /// `[L + 1, n]` relevance of the residual stream per position: row `l < L` is block `l`'s input
    /// (`hook_resid_pre`), row `L` the last block's output.
    public let layers: Tensor
    /// Where the explained value went: inputs, biases, softmax, Gamma rule (the conservation
    /// budget; docs/methods.md §2.7).
    public let budget: RelevanceBudget

    /// Σ tokens + Σ positions + Σ token types: what reached the embeddings (equals `target.value`
    /// when every operation on the path conserves, e.g. CP-LRP on a bias-free model).
    public var inputTotal: Float {
        tokens.reduce(0, +) + (positions?.reduce(0, +) ?? 0) + (tokenTypes?.reduce(0, +) ?? 0)
    }

    /// Relevance per layer (summed over heads) of the attention outputs `[L]`.
    public var headTotals: [Float] {
        (0..<heads.shape[0]).map { l in (0..<heads.shape[1]).reduce(Float(0)) { $0 + heads[l, $1] } }
    }

    /// The `count` neurons of `layer` with the largest |relevance|, most relevant first.
    public func topNeurons(layer: Int, count: Int) -> [(neuron: Int, relevance: Float)] {
        guard layer >= 0, layer < neurons.shape[0], count > 0 else { return [] }
        let row = neurons.row(layer).storage
        return row.indices.sorted { abs(row[$0]) > abs(row[$1]) || (abs(row[$0]) == abs(row[$1]) && $0 < $1) }
            .prefix(count).map { ($0, row[$0]) }
    }

    /// The token scores as the other explanation methods return them.
    public func tokenScores(image: ImageGeometry?) -> TokenScores {
        TokenScores(method: method.rawValue, parameters: parameters, position: target.position, scores: tokens, image: image)
    }
}
