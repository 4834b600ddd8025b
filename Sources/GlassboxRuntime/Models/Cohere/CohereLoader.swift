import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Command-R / Aya (`CohereForCausalLM`, names under `model.`; bare `CohereModel`): `nn.Linear`
/// weights `[out, in]` — `self_attn.{q,k,v,o}_proj` (biases iff `attention_bias`),
/// `mlp.{gate,up,down}_proj` and `lm_head` without biases — and `CohereLayerNorm` weights without
/// bias: `input_layernorm` per layer, `norm` at the top, and with `use_qk_norm`
/// `self_attn.q_norm [H, dh]` / `self_attn.k_norm [Hkv, dh]` (one `γ` per head, held flat).
///
/// Loaded into the runtime's shapes:
/// - the block runs as GPT-NeoX's parallel one, `x + attn(ln1(x)) + mlp(ln2(x))`, with `ln2` the
///   same `input_layernorm` as `ln1` (as `PhiLoader`): `ln2`'s hooks hold `ln1`'s values and the
///   parameter count sees the shared norm once;
/// - `logit_scale` is folded into the output layer, `W_U = logit_scale · lm_head.weight` `[V, d]`:
///   the logits `lm_head(h) · logit_scale` of `CohereForCausalLM.forward` are `h·W_Uᵀ`, so every lens,
///   logit attribution and relevance seed through the output layer sees the scaled logit, as
///   transformers returns it (as `OPTLoader` folds `project_out`). With tied embeddings the head is
///   a scaled copy of the table; `parameterCountAdjustment` keeps `num_parameters()`'s count.
enum CohereLoader: ArchitectureLoader {
    static let modelTypes = ["cohere"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(CohereConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, dh) = (arch.dModel, arch.dFF, arch.vocabSize, arch.headDim)
        let (qWidth, kvWidth) = (arch.heads * dh, arch.kvHeads * dh)

        /// A bias-free `CohereLayerNorm` over `d` values.
        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]), bias: nil)
        }
        /// A QK `CohereLayerNorm` with one `γ [dh]` per head: `[heads, dh]`, held as `[heads·dh]`.
        func headNorm(_ name: String, heads: Int) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [heads, dh]).reshaped([heads * dh]), bias: nil)
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool) throws -> Linear {
            try r.outInLinear(name, inputs, outputs, bias: bias)
        }

        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let inputNorm = try norm(p + "input_layernorm")
            var attention = AttentionWeights(
                query: try linear(p + "self_attn.q_proj", d, qWidth, bias: config.attentionBias),
                key: try linear(p + "self_attn.k_proj", d, kvWidth, bias: config.attentionBias),
                value: try linear(p + "self_attn.v_proj", d, kvWidth, bias: config.attentionBias),
                output: try linear(p + "self_attn.o_proj", qWidth, d, bias: config.attentionBias))
            if config.useQKNorm {
                attention.queryNorm = try headNorm(p + "self_attn.q_norm", heads: arch.heads)
                attention.keyNorm = try headNorm(p + "self_attn.k_norm", heads: arch.kvHeads)
            }
            blocks.append(BlockWeights(
                ln1: inputNorm, attention: attention, ln2: inputNorm,
                mlp: MLPWeights(input: try linear(p + "mlp.gate_proj", d, dff, bias: false),
                                up: try linear(p + "mlp.up_proj", d, dff, bias: false),
                                output: try linear(p + "mlp.down_proj", dff, d, bias: false))))
        }
        let finalNorm = try norm("norm")
        let lmHead = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed)    // [V, d]
        var scaled = lmHead.weight.float32()
        for i in scaled.storage.indices { scaled.storage[i] *= config.logitScale }
        let unembed = Linear(weight: WeightMatrix(scaled), layout: .outIn, bias: nil)        // logit_scale · W [V, d]
        // Older checkpoints saved the rotary frequencies as a buffer.
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq"#, #"(model\.)?rotary_emb\.inv_freq"#])
        var weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        // The scaled copy of a tied table is not a parameter of its own in num_parameters().
        if config.tieWordEmbeddings { weights.parameterCountAdjustment = -vocab * d }
        return (arch, weights)
    }
}
