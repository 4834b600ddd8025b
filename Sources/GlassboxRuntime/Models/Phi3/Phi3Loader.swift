import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Phi-3 (`Phi3ForCausalLM`, bare `Phi3Model`): Llama's block with fused projections, split here
/// into the shared components' separate ones. `self_attn.qkv_proj.weight [(H + 2·Hkv)·dh, d]` holds
/// the query rows, then the key rows, then the value rows (transformers slices its output the same
/// way); `mlp.gate_up_proj.weight [2·dff, d]` holds the gate rows, then the up rows
/// (`gate, up = gate_up_proj(x).chunk(2)`). No biases.
enum Phi3Loader: ArchitectureLoader {
    static let modelTypes = ["phi3"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(Phi3Config.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab) = (arch.dModel, arch.dFF, arch.vocabSize)
        let (qWidth, kvWidth) = (arch.heads * arch.headDim, arch.kvHeads * arch.headDim)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]), bias: nil)
        }
        /// Rows `range` of an `[out, in]` weight as a projection of its own.
        func rows(_ weight: Tensor, _ range: Range<Int>) -> Linear {
            Linear(weight: weight.rows(range), layout: .outIn, bias: nil)
        }

        let embed = try r.tensor("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let qkv = try r.tensor(p + "self_attn.qkv_proj.weight", shape: [qWidth + 2 * kvWidth, d])
            let gateUp = try r.tensor(p + "mlp.gate_up_proj.weight", shape: [2 * dff, d])
            blocks.append(BlockWeights(
                ln1: try norm(p + "input_layernorm"),
                attention: AttentionWeights(
                    query: rows(qkv, 0..<qWidth), key: rows(qkv, qWidth..<qWidth + kvWidth),
                    value: rows(qkv, qWidth + kvWidth..<qWidth + 2 * kvWidth),
                    output: Linear(weight: try r.tensor(p + "self_attn.o_proj.weight", shape: [d, qWidth]),
                                   layout: .outIn, bias: nil)),
                ln2: try norm(p + "post_attention_layernorm"),
                mlp: MLPWeights(input: rows(gateUp, 0..<dff), up: rows(gateUp, dff..<2 * dff),
                                output: Linear(weight: try r.tensor(p + "mlp.down_proj.weight", shape: [d, dff]),
                                               layout: .outIn, bias: nil))))
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
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.(inv_freq|long_inv_freq|short_inv_freq)"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
