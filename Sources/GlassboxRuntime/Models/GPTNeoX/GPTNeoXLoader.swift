import Foundation
import GlassboxModelIO
import GlassboxTensor

/// GPT-NeoX (`GPTNeoXForCausalLM`, bare `GPTNeoXModel`): `nn.Linear` weights `[out, in]`,
/// LayerNorms with bias, one fused `query_key_value [3d, d]` whose output rows are grouped per head
/// (`[H, 3, dh]`: head `h`'s query, key, value rows are `h·3dh + {0, dh, 2dh} + i`), split here
/// into separate q, k, v projections, and an untied `embed_out` unless `tie_word_embeddings`.
enum GPTNeoXLoader: ArchitectureLoader {
    static let modelTypes = ["gpt_neox"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GPTNeoXConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("gpt_neox.embed_in.weight") ? "gpt_neox." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, heads, dh) = (arch.dModel, arch.dFF, arch.vocabSize, arch.heads, arch.headDim)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                 bias: try r.tensor(name + ".bias", shape: [d]))
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool) throws -> Linear {
            Linear(weight: try r.matrix(name + ".weight", shape: [outputs, inputs]), layout: .outIn,
                   bias: bias ? try r.tensor(name + ".bias", shape: [outputs]) : nil)
        }

        let embed = try r.matrix("embed_in.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let qkv = try linear(p + "attention.query_key_value", d, 3 * d, bias: config.attentionBias)
            let (q, k, v) = (splitQKV(qkv, part: 0, heads: heads, headDim: dh),
                             splitQKV(qkv, part: 1, heads: heads, headDim: dh),
                             splitQKV(qkv, part: 2, heads: heads, headDim: dh))
            blocks.append(BlockWeights(
                ln1: try norm(p + "input_layernorm"),
                attention: AttentionWeights(query: q, key: k, value: v,
                                            output: try linear(p + "attention.dense", d, d, bias: config.attentionBias)),
                ln2: try norm(p + "post_attention_layernorm"),
                mlp: MLPWeights(input: try linear(p + "mlp.dense_h_to_4h", d, dff, bias: true), up: nil,
                                output: try linear(p + "mlp.dense_4h_to_h", dff, d, bias: true))))
        }
        let finalNorm = try norm("final_layer_norm")
        let unembed: Linear
        if config.tieWordEmbeddings {
            r.markUsed("embed_out.weight")
            unembed = Linear(weight: embed, layout: .outIn, bias: nil)
        } else {
            unembed = Linear(weight: try r.matrix("embed_out.weight", shape: [vocab, d], prefixed: false),
                             layout: .outIn, bias: nil)
        }
        // Older checkpoints (Pythia) saved the causal mask and rotary frequencies as buffers.
        try r.finish(ignorable: [#"(gpt_neox\.)?layers\.\d+\.attention\.(bias|masked_bias|rotary_emb\.inv_freq)"#,
                                 #"(gpt_neox\.)?rotary_emb\.inv_freq"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }

    /// Rows `h·3dh + part·dh ..< h·3dh + (part+1)·dh` of the fused `[3d, d]` weight (and bias) for
    /// every head `h`, stacked → an `[H·dh, d]` projection (`part` 0 query, 1 key, 2 value).
    static func splitQKV(_ fused: Linear, part: Int, heads: Int, headDim dh: Int) -> Linear {
        fused.rowBlocks((0..<heads).map { h in h * 3 + part }, width: dh)
    }
}
