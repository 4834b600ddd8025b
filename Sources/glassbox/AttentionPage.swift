import Foundation
import Glassbox

/// `glassbox attention --out FILE.html`: the head, model and neuron views of the layers and heads
/// asked for (all by default), from the attention maps, plus q and k of one layer for the neuron
/// view, captured in the forward pass that produced the maps.
enum AttentionPage {
    /// What the neuron view of `layer` reads, the only points to capture in the maps' forward pass:
    /// the vectors whose product gives the scores (`Architecture.scoredQuery`/`scoredKey`:
    /// `attn.hook_rot_q`/`hook_rot_k` where the model applies rotary embeddings, else
    /// `attn.hook_q`/`hook_k`), as `[q, k]`.
    static func neuronPoints(layer: Int, architecture: Architecture) -> [HookPoint] {
        [.block(layer, architecture.scoredQuery), .block(layer, architecture.scoredKey)]
    }

    /// The page for `panels` (full, unpooled `[heads, n, n]` patterns); the neuron view shows
    /// `neuronLayer`, its q `[n, heads, dh]` and k `[n, kvHeads, dh]` read from `cache` (captured
    /// at `neuronPoints(layer: neuronLayer, architecture: architecture)`), as float32.
    static func page(panels: [ResultFigures.AttentionPanel], labels: [String], causal: Bool, neuronLayer: Int,
                     architecture: Architecture, cache: ActivationCache, model: String) throws -> HTMLPage {
        let n = labels.count
        for panel in panels where panel.patterns.shape != [panel.heads.count, n, n] {
            throw HTMLError.invalidInput("the attention of layer \(panel.layer) is pooled (\(panel.patterns.shape)); pages need the full maps")
        }
        let points = neuronPoints(layer: neuronLayer, architecture: architecture)
        let q = cache[points[0]], k = cache[points[1]]
        var neuron: ResultPages.NeuronData?
        if let q, let k, q.shape.count == 3, k.shape.count == 3 {
            neuron = ResultPages.NeuronData(layer: neuronLayer, heads: q.shape[1], kvHeads: k.shape[1], dHead: q.shape[2],
                                            q: q.storage, k: k.storage)
        }
        return try ResultPages.attention(labels: labels, panels: panels, causal: causal, neuron: neuron, model: model)
    }
}
