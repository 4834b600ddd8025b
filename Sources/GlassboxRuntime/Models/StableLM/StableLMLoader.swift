import Foundation
import GlassboxModelIO
import GlassboxTensor

/// StableLM (`StableLmForCausalLM`, bare `StableLmModel`): `nn.Linear` weights `[out, in]` —
/// `self_attn.{q,k,v}_proj` (biases with `use_qkv_bias`), `self_attn.o_proj`, `mlp.{gate,up,down}_proj`
/// (no biases), `lm_head` unless tied — and LayerNorms with bias: `input_layernorm`,
/// `post_attention_layernorm` (sequential blocks only) and `norm`. With `qk_layernorm`,
/// `self_attn.{q,k}_layernorm.norms.{h}.weight` `[dh]` (`StableLmLayerNormPerHead`, no bias) are read
/// into one `γ [heads·dh]`, head `h`'s at `h·dh..<(h+1)·dh` (`Norm.perHeadAffine`).
///
/// With `use_parallel_residual` the block runs as GPT-NeoX's parallel one with `ln2` the same
/// `input_layernorm` as `ln1`, as Phi's does (`PhiLoader`).
enum StableLMLoader: ArchitectureLoader {
    static let modelTypes = ["stablelm"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(StableLMConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, dh) = (arch.dModel, arch.dFF, arch.vocabSize, arch.headDim)
        let (qWidth, kvWidth) = (arch.heads * dh, arch.kvHeads * dh)

        /// An `nn.LayerNorm` with bias over `d` values.
        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                 bias: try r.tensor(name + ".bias", shape: [d]))
        }
        /// `StableLmLayerNormPerHead` of `heads` heads: `γ [heads·dh]`, no `β`.
        func headNorms(_ name: String, heads: Int) throws -> Norm {
            var gamma: [Float] = []
            for h in 0..<heads { gamma += try r.tensor("\(name).norms.\(h).weight", shape: [dh]).storage }
            return Norm(kind: arch.norm, weight: Tensor(shape: [heads * dh], storage: gamma), bias: nil)
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool) throws -> Linear {
            try r.outInLinear(name, inputs, outputs, bias: bias)
        }

        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let inputNorm = try norm(p + "input_layernorm")
            var attention = AttentionWeights(query: try linear(p + "self_attn.q_proj", d, qWidth, bias: config.useQKVBias),
                                             key: try linear(p + "self_attn.k_proj", d, kvWidth, bias: config.useQKVBias),
                                             value: try linear(p + "self_attn.v_proj", d, kvWidth, bias: config.useQKVBias),
                                             output: try linear(p + "self_attn.o_proj", qWidth, d, bias: false))
            if config.qkLayerNorm {
                attention.queryNorm = try headNorms(p + "self_attn.q_layernorm", heads: arch.heads)
                attention.keyNorm = try headNorms(p + "self_attn.k_layernorm", heads: arch.kvHeads)
            }
            let ln2 = config.useParallelResidual ? inputNorm : try norm(p + "post_attention_layernorm")
            blocks.append(BlockWeights(
                ln1: inputNorm, attention: attention, ln2: ln2,
                mlp: MLPWeights(input: try linear(p + "mlp.gate_proj", d, dff, bias: false),
                                up: try linear(p + "mlp.up_proj", d, dff, bias: false),
                                output: try linear(p + "mlp.down_proj", dff, d, bias: false))))
        }
        let finalNorm = try norm("norm")
        let unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed)
        // Older checkpoints saved the rotary frequencies as buffers.
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq"#, #"(model\.)?rotary_emb\.inv_freq"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
