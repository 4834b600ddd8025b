import Foundation
import Glassbox

/// `glassbox attention --out FILE.html`: the head, model and neuron views of the layers and heads
/// asked for (all by default), from the attention maps, plus q and k of one layer for the neuron
/// view.
enum AttentionPage {
    /// The page for `maps` (full, unpooled `[heads, n, n]` patterns). The neuron view shows layer
    /// `neuronLayer`: q and k are read from one more forward pass — `attn.hook_rot_q`/`hook_rot_k`
    /// where the model applies rotary embeddings (the vectors whose product gives the scores), else
    /// `attn.hook_q`/`hook_k` — for every head, `[n, heads, dh]` and `[n, kvHeads, dh]` as float32.
    static func page(_ loaded: LoadedModel, _ prepared: PreparedInput, maps: [AttentionMaps.Layer], neuronLayer: Int) throws -> HTMLPage {
        let arch = loaded.model.architecture
        guard let first = maps.first else { throw CLIError.emptyInput }
        let n = prepared.count
        for map in maps where map.patterns.shape != [map.heads.count, n, n] {
            throw HTMLError.invalidInput("the attention of layer \(map.layer) is pooled (\(map.patterns.shape)); pages need the full maps")
        }
        let names = ["q", "k", "rot_q", "rot_k"].map { "blocks.\(neuronLayer).attn.hook_\($0)" }
        let points = names.compactMap(HookPoint.init(name:))
        let cache = try loaded.model.forward(prepared.modelInput, capture: .points(points), logitRows: .positions([0])).cache
        let q = cache[points[2]] ?? cache[points[0]], k = cache[points[3]] ?? cache[points[1]]
        var neuron: ResultPages.NeuronData?
        if let q, let k, q.shape.count == 3, k.shape.count == 3 {
            neuron = ResultPages.NeuronData(layer: neuronLayer, heads: q.shape[1], kvHeads: k.shape[1], dHead: q.shape[2],
                                            q: q.storage, k: k.storage)
        }
        return try ResultPages.attention(tokens: prepared.texts, layers: maps.map(\.layer), heads: first.heads,
                                         causal: arch.mask == .causal, patterns: maps.map(\.patterns.storage), neuron: neuron,
                                         model: PictureOutput.slug(loaded.spec))
    }
}
