import Foundation
import GlassboxModelIO
import GlassboxTensor

/// The weight names Phi-3, Mixtral, Qwen MoE, StableLM and Cohere share with the Llama block
/// (`[model.]embed_tokens`, `layers.{l}.input_layernorm`, `layers.{l}.post_attention_layernorm`,
/// `norm`, `lm_head` unless tied, `nn.Linear` `[out, in]`), read strictly; each family supplies the
/// attention and MLP of a layer (`block`, given the reader and the layer's prefix `layers.{l}.`).
/// `normBias`: the norms carry a bias (StableLM's `nn.LayerNorm`). `parallel`: the block has no
/// `post_attention_layernorm`, and `ln2` is `input_layernorm` again (a parallel block on one norm,
/// as `PhiLoader`). `outputScale` ≠ 1: the output layer is `outputScale · lm_head.weight`, a Float32
/// copy (Cohere's `logit_scale`), and a tied table's copy is not counted as a parameter again.
/// `parameterFreeNorms`: the checkpoint has no norm tensors (OLMo's `OlmoLayerNorm`); each norm is
/// held with `γ` a tensor of ones `[d]` and no `β` (the caller discounts the ones from the count).
/// `branchNorms`: the names of a sandwich block's norms on the attention and MLP outputs
/// (`ln1Post`, `ln2Post` under `layers.{l}.`; GLM-4's `post_self_attn_layernorm`, `post_mlp_layernorm`).
/// `embeddingScale`: block 0 reads the token embeddings times it (`EmbeddingWeights.scale`, Granite's
/// `embedding_multiplier`). `normWeightOffset`: each norm's `γ` is the stored weight plus it
/// (Nemotron's `NemotronLayerNorm1P` scales by `weight + 1`), summed in Float32 at load.
/// `headBias`: `lm_head` carries a bias `lm_head.bias [V]` (PhiMoE's `lm_head_bias`), its own when tied.
enum RotaryDecoderLoading {
    static func load(_ arch: Architecture, tied: Bool, checkpoint: Checkpoint, directory: URL,
                     normBias: Bool = false, parallel: Bool = false, outputScale: Float = 1, parameterFreeNorms: Bool = false,
                     branchNorms: (attention: String, mlp: String)? = nil,
                     embeddingScale: Float? = nil, normWeightOffset: Float = 0, headBias: Bool = false,
                     block: (inout WeightReader, String) throws -> (attention: AttentionWeights, mlp: MLPWeights))
        throws -> TransformerWeights {
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, vocab) = (arch.dModel, arch.vocabSize)
        func norm(_ name: String) throws -> Norm {
            if parameterFreeNorms { return Norm(kind: arch.norm, weight: Tensor(shape: [d], repeating: 1), bias: nil) }
            var gamma = try r.tensor(name + ".weight", shape: [d])
            if normWeightOffset != 0 { for i in 0..<d { gamma.storage[i] += normWeightOffset } }   // w → w + offset
            return Norm(kind: arch.norm, weight: gamma, bias: normBias ? try r.tensor(name + ".bias", shape: [d]) : nil)
        }
        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let ln1 = try norm(p + "input_layernorm")
            let (attention, mlp) = try block(&r, p)
            let ln2 = parallel ? ln1 : try norm(p + "post_attention_layernorm")
            var weights = BlockWeights(ln1: ln1, attention: attention, ln2: ln2, mlp: mlp)
            if let branchNorms {
                weights.ln1Post = try norm(p + branchNorms.attention)
                weights.ln2Post = try norm(p + branchNorms.mlp)
            }
            blocks.append(weights)
        }
        let finalNorm = try norm("norm")
        var unembed = try r.languageModelHead(tied: tied, embed: embed).scaled(by: outputScale)   // [V, d]
        if headBias {
            unembed = Linear(weight: unembed.weight, layout: unembed.layout,
                             bias: try r.tensor("lm_head.bias", shape: [vocab], prefixed: false))
        }
        // Older checkpoints saved the rotary frequencies as buffers.
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.(inv_freq|long_inv_freq|short_inv_freq)"#,
                                 #"(model\.)?rotary_emb\.inv_freq"#])
        var embeddings = EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil)
        embeddings.scale = embeddingScale
        var weights = TransformerWeights(
            embeddings: embeddings,
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        // The scaled copy of a tied table is not a parameter of its own in num_parameters().
        if tied && outputScale != 1 { weights.parameterCountAdjustment = -vocab * d }
        return weights
    }

    /// Llama's attention layout under block prefix `p`: `self_attn.{q,k,v,o}_proj` (`nn.Linear`,
    /// `[out, in]`) for `arch`'s query width `H·dh` and key/value width `Hkv·dh`, biases on q, k and v
    /// iff `qkvBias`, on o iff `outputBias` (GLM: never), read in that order. Where a family names
    /// them otherwise: `module`, the attention's prefix under the block (GPT-J's `attn.`, GPT-Neo's
    /// `attn.attention.`); `output`, the output map's name (Phi's `dense`, OPT's and GPT-J's
    /// `out_proj`). `outputScale` ≠ 1: the output map is a Float32 copy times it (`Linear.scaled(by:)`,
    /// Granite's `residual_multiplier`: what the residual receives).
    static func projections(_ r: inout WeightReader, _ p: String, _ arch: Architecture,
                            qkvBias: Bool, outputBias: Bool, module: String = "self_attn.", output: String = "o_proj",
                            outputScale: Float = 1) throws -> AttentionWeights {
        let (d, qWidth, kvWidth) = (arch.dModel, arch.heads * arch.headDim, arch.kvHeads * arch.headDim)
        let a = p + module
        return AttentionWeights(query: try r.outInLinear(a + "q_proj", d, qWidth, bias: qkvBias),
                                key: try r.outInLinear(a + "k_proj", d, kvWidth, bias: qkvBias),
                                value: try r.outInLinear(a + "v_proj", d, kvWidth, bias: qkvBias),
                                output: try r.outInLinear(a + output, qWidth, d, bias: outputBias).scaled(by: outputScale))
    }

    /// Llama's gated MLP under prefix `x` (`mlp.`, or an expert's `mlp.experts.{e}.`):
    /// `gate_proj`, `up_proj` (`[width, d]`) and `down_proj` (`[d, width]`), `nn.Linear` with biases iff
    /// `bias`, read in that order (`LlamaMLP`: `down_proj(act(gate_proj(x)) * up_proj(x))`).
    /// `outputScale` ≠ 1: `down_proj` is a Float32 copy times it (Granite's `residual_multiplier`).
    static func gatedMLP(_ r: inout WeightReader, _ x: String, _ d: Int, _ width: Int, bias: Bool = false,
                         outputScale: Float = 1) throws -> MLPWeights {
        MLPWeights(input: try r.outInLinear(x + "gate_proj", d, width, bias: bias),
                   up: try r.outInLinear(x + "up_proj", d, width, bias: bias),
                   output: try r.outInLinear(x + "down_proj", width, d, bias: bias).scaled(by: outputScale))
    }

    /// An `nn.Linear` without bias, `[outputs, inputs]`.
    static func linear(_ r: inout WeightReader, _ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
        try r.outInLinear(name, inputs, outputs, bias: false)
    }
}
