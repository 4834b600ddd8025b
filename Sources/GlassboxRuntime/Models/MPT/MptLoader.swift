import Foundation
import GlassboxModelIO
import GlassboxTensor

/// MPT (`MptForCausalLM`, bare `MptModel`; weights under `transformer.` or unprefixed): `wte`
/// `[V, d]`, per block `blocks.N.norm_1` (weight only), `attn.Wqkv` `[3d, d]`, `attn.out_proj`
/// `[d, d]`, `norm_2`, `ffn.up_proj` `[4d, d]`, `ffn.down_proj` `[d, 4d]` (no biases), `norm_f`,
/// and an `lm_head` without bias (tied by default).
///
/// The fused `Wqkv` is cut as `MptAttention.forward` chunks its output: rows `0..<d` are the
/// queries, `d..<2d` the keys, `2d..<3d` the values, each `[H, dh]` (`Linear.rowBlocks`).
/// Stored biases (a checkpoint written with `no_bias` false by MosaicML's own code) are not read,
/// as transformers builds every Linear and LayerNorm without one and drops them.
enum MptLoader: ArchitectureLoader {
    static let modelTypes = ["mpt"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(MptConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("transformer.wte.weight") ? "transformer." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, dh, heads) = (arch.dModel, arch.dFF, arch.vocabSize, arch.headDim, arch.heads)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]), bias: nil)
        }
        let embed = try r.matrix("wte.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "blocks.\(l)."
            let fused = try r.outInLinear(p + "attn.Wqkv", d, 3 * d, bias: false)      // q | k | v rows
            let attention = AttentionWeights(query: fused.rowBlocks(Array(0..<heads), width: dh),
                                             key: fused.rowBlocks(Array(heads..<(2 * heads)), width: dh),
                                             value: fused.rowBlocks(Array((2 * heads)..<(3 * heads)), width: dh),
                                             output: try r.outInLinear(p + "attn.out_proj", d, d, bias: false))
            blocks.append(BlockWeights(
                ln1: try norm(p + "norm_1"), attention: attention, ln2: try norm(p + "norm_2"),
                mlp: MLPWeights(input: try r.outInLinear(p + "ffn.up_proj", d, dff, bias: false), up: nil,
                                output: try r.outInLinear(p + "ffn.down_proj", dff, d, bias: false))))
        }
        let finalNorm = try norm("norm_f")
        let unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed)
        try r.finish(ignorable: [#"(transformer\.)?(blocks\.\d+\.(norm_[12]|attn\.(Wqkv|out_proj)|ffn\.(up|down)_proj)|norm_f)\.bias"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
