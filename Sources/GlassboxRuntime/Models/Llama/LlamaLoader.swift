import Foundation
import GlassboxModelIO
import GlassboxTensor

/// The Llama family (`LlamaForCausalLM`, `MistralForCausalLM`, `Qwen2ForCausalLM`,
/// `Qwen3ForCausalLM` and their bare `*Model` checkpoints): `nn.Linear` weights stored `[out, in]`, RMSNorm without bias, a gated
/// MLP (`down(silu(gate(x)) ⊙ up(x))`), grouped-query attention, rotary embeddings; Qwen3 adds
/// `q_norm` / `k_norm` (RMSNorm `[dh]` per head, before the rotation). `*ForSequenceClassification`
/// checkpoints carry `score.weight` instead of an LM head (`DecoderClassifierHead`).
/// `GraniteForCausalLM` is the Llama block with its multipliers folded in (`GraniteMultipliers`).
enum LlamaLoader: ArchitectureLoader {
    static let modelTypes = LlamaConfig.Family.allCases.map(\.rawValue)

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(LlamaConfig.self, from: configData, file: configFile)
        var arch = config.architecture()
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab) = (arch.dModel, arch.dFF, arch.vocabSize)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]), bias: nil)
        }
        func headNorm(_ name: String) throws -> Norm? {
            guard config.qkNorm else { return nil }
            return Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [arch.headDim]), bias: nil)
        }
        /// Granite's `residual_multiplier` (1 elsewhere): each branch's last map times it (what the residual receives).
        let residual = Float(config.granite?.residual ?? 1)

        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let ln1 = try norm(p + "input_layernorm")
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.qkvBias, outputBias: config.outputBias,
                                                                 outputScale: residual)
            attention.queryNorm = try headNorm(p + "self_attn.q_norm")
            attention.keyNorm = try headNorm(p + "self_attn.k_norm")
            blocks.append(BlockWeights(
                ln1: ln1,
                attention: attention,
                ln2: try norm(p + "post_attention_layernorm"),
                mlp: try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.", d, dff, bias: config.mlpBias, outputScale: residual)))
        }
        let finalNorm = try norm("norm")
        let unembed: Linear
        // transformers 4.53.3 defines no GraniteForSequenceClassification (HeadClass refuses the name):
        // a Granite checkpoint is a language model, and a stray score.weight is ignored as transformers does.
        let classifier = config.family != .granite && DecoderClassifierHead.wanted(head, checkpoint: checkpoint)
        if classifier {
            (unembed, arch.head) = try DecoderClassifierHead.read(&r, configData: configData, configFile: configFile, width: d)
        } else {
            unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed)
                .scaled(by: Float(1 / (config.granite?.logitsScaling ?? 1)))                          // lm_head(h) / z
        }
        // Older checkpoints saved the rotary frequencies as a buffer.
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq"#]
                         + DecoderClassifierHead.otherHeadWeights(classifier: classifier))
        var embeddings = EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil)
        if let m = config.granite?.embedding, m != 1 { embeddings.scale = Float(m) }   // inputs_embeds · m_e
        var weights = TransformerWeights(
            embeddings: embeddings,
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        // A tied output layer divided by logits_scaling is a copy of the table: num_parameters() counts it once.
        if config.tieWordEmbeddings, !classifier, !unembed.weight.sharesStorage(with: embed) {
            weights.parameterCountAdjustment = -unembed.weight.count
        }
        return (arch, weights)
    }
}
