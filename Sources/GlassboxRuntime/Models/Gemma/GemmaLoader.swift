import Foundation
import GlassboxModelIO
import GlassboxTensor

/// The Gemma family (`GemmaForCausalLM`, `Gemma2ForCausalLM`, `Gemma3ForCausalLM` — model_type
/// `gemma3_text` — and their bare `*Model` checkpoints).
///
/// Every RMSNorm multiplies by `(1 + w)`; the loader stores `γ = 1 + w` (the sum transformers
/// forms in float32 before multiplying, as TransformerLens converts it), so the shared RMSNorm is
/// bitwise the model's and every analysis reading `γ` sees the real multiplier. The token rows are
/// multiplied by `√d` rounded to the embedding table's stored dtype (transformers multiplies by
/// `torch.tensor(√d, dtype=hidden dtype)`: 55.5 for `d` = 3072 in bf16). Gemma 2 and 3 blocks are
/// sandwiches: `input_layernorm` (ln1), `post_attention_layernorm` (ln1_post),
/// `pre_feedforward_layernorm` (ln2), `post_feedforward_layernorm` (ln2_post); Gemma's
/// `post_attention_layernorm` is its pre-MLP norm (ln2). Gemma 3 adds `q_norm` / `k_norm` `[dh]`.
///
/// A `gemma3` checkpoint (`Gemma3ForConditionalGeneration`) loads as its text model
/// (`GemmaLayout`): the same tensors under `language_model.model.` or `model.language_model.`;
/// its vision tower and projector are left unread.
enum GemmaLoader: ArchitectureLoader {
    static let modelTypes = GemmaConfig.Family.allCases.map(\.rawValue) + [GemmaConfig.multimodalType]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GemmaConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let layout = GemmaLayout(checkpoint: checkpoint, multimodal: config.textModelOf != nil)
        let prefix = layout.prefix
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, dh) = (arch.dModel, arch.dFF, arch.vocabSize, arch.headDim)

        func norm(_ name: String, width: Int) throws -> Norm {
            var gamma = try r.tensor(name + ".weight", shape: [width])          // w → 1 + w
            for i in 0..<gamma.count { gamma.storage[i] = 1 + gamma.storage[i] }
            return Norm(kind: arch.norm, weight: gamma, bias: nil)
        }

        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        let embedDType = checkpoint.entry(prefix + "embed_tokens.weight")?.dtype ?? .f32
        let qkNorm = config.family == .gemma3Text
        let sandwich = arch.placement == .sandwich
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let ln1 = try norm(p + "input_layernorm", width: d)
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.attentionBias,
                                                                 outputBias: config.attentionBias)
            if qkNorm {
                attention.queryNorm = try norm(p + "self_attn.q_norm", width: dh)
                attention.keyNorm = try norm(p + "self_attn.k_norm", width: dh)
            }
            var block = BlockWeights(
                ln1: ln1,
                attention: attention,
                ln2: try norm(p + (sandwich ? "pre_feedforward_layernorm" : "post_attention_layernorm"), width: d),
                mlp: try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.", d, dff))
            if sandwich {
                block.ln1Post = try norm(p + "post_attention_layernorm", width: d)
                block.ln2Post = try norm(p + "post_feedforward_layernorm", width: d)
            }
            blocks.append(block)
        }
        let finalNorm = try norm("norm", width: d)
        let unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed, names: layout.headNames)
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq"#] + layout.ignorable)
        var embeddings = EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil)
        embeddings.scale = embedDType.rounded(Float(Double(d).squareRoot()))
        let weights = TransformerWeights(
            embeddings: embeddings, blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
