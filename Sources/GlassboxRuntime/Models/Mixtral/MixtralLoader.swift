import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Mixtral (`MixtralForCausalLM`, bare `MixtralModel`): Mistral's attention (`self_attn.q_proj`,
/// `k_proj`, `v_proj`, `o_proj`, `[out, in]`, no biases) and, per layer, `block_sparse_moe.gate`
/// (`[E, d]`, the router) and `block_sparse_moe.experts.{e}.w1|w3 [dff, d]`, `w2 [d, dff]`.
enum MixtralLoader: ArchitectureLoader {
    static let modelTypes = ["mixtral"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(MixtralConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab) = (arch.dModel, arch.dFF, arch.vocabSize)
        let (qWidth, kvWidth) = (arch.heads * arch.headDim, arch.kvHeads * arch.headDim)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]), bias: nil)
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            Linear(weight: try r.tensor(name + ".weight", shape: [outputs, inputs]), layout: .outIn, bias: nil)
        }

        let embed = try r.tensor("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let experts = try (0..<config.numLocalExperts).map { e in
                let x = p + "block_sparse_moe.experts.\(e)."
                return MLPWeights(input: try linear(x + "w1", d, dff), up: try linear(x + "w3", d, dff),
                                  output: try linear(x + "w2", dff, d))
            }
            let mixture = MixtureWeights(router: try linear(p + "block_sparse_moe.gate", d, config.numLocalExperts),
                                         experts: experts, topK: config.numExpertsPerTok)
            blocks.append(BlockWeights(
                ln1: try norm(p + "input_layernorm"),
                attention: AttentionWeights(
                    query: try linear(p + "self_attn.q_proj", d, qWidth), key: try linear(p + "self_attn.k_proj", d, kvWidth),
                    value: try linear(p + "self_attn.v_proj", d, kvWidth), output: try linear(p + "self_attn.o_proj", qWidth, d)),
                ln2: try norm(p + "post_attention_layernorm"),
                mlp: MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output, mixture: mixture)))
        }
        let finalNorm = try norm("norm")
        let unembed: Linear
        if config.tieWordEmbeddings {
            r.markUsed("lm_head.weight")
            unembed = Linear(weight: embed, layout: .outIn, bias: nil)
        } else {
            unembed = Linear(weight: try r.tensor("lm_head.weight", shape: [vocab, d], prefixed: false),
                             layout: .outIn, bias: nil)
        }
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
