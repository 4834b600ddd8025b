import Foundation
import GlassboxModelIO
import GlassboxTensor

/// OLMo 2 (`Olmo2ForCausalLM` and the bare `Olmo2Model`): `nn.Linear` weights `[out, in]`, RMSNorm
/// without bias. Per block `post_attention_layernorm` (stored as ln1, firing `ln1_post`) and
/// `post_feedforward_layernorm` (ln2, firing `ln2_post`) on the branch outputs, and
/// `self_attn.q_norm` `[H·dh]` / `k_norm` `[Hkv·dh]` over the whole projections.
enum OLMo2Loader: ArchitectureLoader {
    static let modelTypes = ["olmo2"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(OLMo2Config.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab) = (arch.dModel, arch.dFF, arch.vocabSize)
        let (qWidth, kvWidth) = (arch.heads * arch.headDim, arch.kvHeads * arch.headDim)

        func norm(_ name: String, width: Int) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [width]), bias: nil)
        }

        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let ln1 = try norm(p + "post_attention_layernorm", width: d)
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.attentionBias,
                                                                 outputBias: config.attentionBias)
            attention.queryNorm = try norm(p + "self_attn.q_norm", width: qWidth)
            attention.keyNorm = try norm(p + "self_attn.k_norm", width: kvWidth)
            blocks.append(BlockWeights(
                ln1: ln1,
                attention: attention,
                ln2: try norm(p + "post_feedforward_layernorm", width: d),
                mlp: try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.", d, dff)))
        }
        let finalNorm = try norm("norm", width: d)
        let unembed = try r.languageModelHead(tied: config.fields.tieWordEmbeddings, embed: embed)
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
