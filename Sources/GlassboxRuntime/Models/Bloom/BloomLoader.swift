import Foundation
import GlassboxModelIO
import GlassboxTensor

/// BLOOM (`BloomForCausalLM`, bare `BloomModel`; weights under `transformer.` or unprefixed):
/// `word_embeddings` `[V, d]` and its LayerNorm `word_embeddings_layernorm` (the embedding norm,
/// firing `embed_ln`), per block `h.N.input_layernorm`, `self_attention.query_key_value`
/// `[3d, d]` (with bias), `self_attention.dense`, `post_attention_layernorm`,
/// `mlp.dense_h_to_4h` `[4d, d]`, `mlp.dense_4h_to_h` `[d, 4d]` (all with biases), `ln_f`, and an
/// `lm_head` without bias (tied by default).
///
/// The fused `query_key_value` is split into q, k, v as `BloomAttention._reshape` views its
/// output, `[H, 3, dh]`: per head its query, key and value rows (`Linear.rowBlocks`, as GPT-NeoX).
enum BloomLoader: ArchitectureLoader {
    static let modelTypes = ["bloom"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(BloomConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("transformer.word_embeddings.weight") ? "transformer." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, dh, heads) = (arch.dModel, arch.dFF, arch.vocabSize, arch.headDim, arch.heads)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                 bias: try r.tensor(name + ".bias", shape: [d]))
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            try r.outInLinear(name, inputs, outputs, bias: true)
        }
        /// `dense` and `dense_4h_to_h`: without their (stored, read) biases where transformers drops them.
        func outputLinear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            let layer = try linear(name, inputs, outputs)
            return config.dropsOutputBiases ? Linear(weight: layer.weight, layout: layer.layout, bias: nil) : layer
        }

        let embed = try r.matrix("word_embeddings.weight", shape: [vocab, d])
        let embeddingNorm = try norm("word_embeddings_layernorm")
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "h.\(l)."
            let fused = try linear(p + "self_attention.query_key_value", d, 3 * d)     // [H, 3, dh] rows
            let attention = AttentionWeights(query: fused.rowBlocks((0..<heads).map { 3 * $0 }, width: dh),
                                             key: fused.rowBlocks((0..<heads).map { 3 * $0 + 1 }, width: dh),
                                             value: fused.rowBlocks((0..<heads).map { 3 * $0 + 2 }, width: dh),
                                             output: try outputLinear(p + "self_attention.dense", d, d))
            blocks.append(BlockWeights(
                ln1: try norm(p + "input_layernorm"), attention: attention, ln2: try norm(p + "post_attention_layernorm"),
                mlp: MLPWeights(input: try linear(p + "mlp.dense_h_to_4h", d, dff), up: nil,
                                output: try outputLinear(p + "mlp.dense_4h_to_h", dff, d))))
        }
        let finalNorm = try norm("ln_f")
        let unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed)
        try r.finish(ignorable: [])
        var weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: embeddingNorm),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        if config.dropsOutputBiases { weights.parameterCountAdjustment = 2 * d * arch.layers }   // the unused biases still count
        return (arch, weights)
    }
}
