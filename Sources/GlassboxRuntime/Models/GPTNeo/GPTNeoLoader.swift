import Foundation
import GlassboxModelIO
import GlassboxTensor

/// GPT-Neo (`GPTNeoForCausalLM` with the `transformer.` prefix, bare `GPTNeoModel`): GPT-2's block
/// and names, but `nn.Linear` weights `[out, in]` — `h.l.attn.attention.{q,k,v}_proj` without bias,
/// `h.l.attn.attention.out_proj`, `h.l.mlp.c_fc`, `h.l.mlp.c_proj` with bias — LayerNorms `ln_1`,
/// `ln_2`, `ln_f`, learned positions `wpe`, and `lm_head` (no bias) tied to `wte` unless
/// `tie_word_embeddings` is false. Old checkpoints carry the `attn.attention.bias` /
/// `masked_bias` mask buffers, which are ignored (the mask comes from the config).
enum GPTNeoLoader: ArchitectureLoader {
    static let modelTypes = ["gpt_neo"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GPTNeoConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("transformer.wte.weight") ? "transformer." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff) = (arch.dModel, arch.dFF)

        let wte = try r.matrix("wte.weight", shape: [arch.vocabSize, d])
        let wpe = try r.tensor("wpe.weight", shape: [arch.contextLength, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "h.\(l)."
            let ln1 = try r.layerNorm(p + "ln_1", kind: arch.norm, width: d)
            blocks.append(BlockWeights(
                ln1: ln1,
                attention: try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: false, outputBias: true,
                                                                module: "attn.attention.", output: "out_proj"),
                ln2: try r.layerNorm(p + "ln_2", kind: arch.norm, width: d),
                mlp: MLPWeights(input: try r.outInLinear(p + "mlp.c_fc", d, dff, bias: true), up: nil,
                                output: try r.outInLinear(p + "mlp.c_proj", dff, d, bias: true))))
        }
        let finalNorm = try r.layerNorm("ln_f", kind: arch.norm, width: d)
        let unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: wte)
        try r.finish(ignorable: [#"(transformer\.)?h\.\d+\.attn\.attention\.(bias|masked_bias)"#])

        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: wte, position: wpe, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
