import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Phi-1 / Phi-1.5 / Phi-2 (`PhiForCausalLM`, bare `PhiModel`): `nn.Linear` weights `[out, in]`
/// with biases — `self_attn.{q,k,v}_proj`, `self_attn.dense`, `mlp.fc1`, `mlp.fc2`, `lm_head` — and
/// LayerNorms with bias: `input_layernorm` per layer, `final_layernorm`, and with `qk_layernorm`
/// `self_attn.{q,k}_layernorm` (`[dh]`, shared by every head).
///
/// The block runs as GPT-NeoX's parallel one, `x + attn(ln1(x)) + mlp(ln2(x))`, with `ln2` the same
/// `input_layernorm` as `ln1` (TransformerLens ties them the same way): both branches read one
/// LayerNorm of the block input, so `ln2`'s hooks hold the same values as `ln1`'s; the parameter
/// count sees the shared norm once.
enum PhiLoader: ArchitectureLoader {
    static let modelTypes = ["phi"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(PhiConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, dh) = (arch.dModel, arch.dFF, arch.vocabSize, arch.headDim)

        /// A LayerNorm with bias over `width` values.
        func norm(_ name: String, width: Int) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [width]),
                 bias: try r.tensor(name + ".bias", shape: [width]))
        }
        /// An `nn.Linear` with bias.
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            try r.outInLinear(name, inputs, outputs, bias: true)
        }

        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let inputNorm = try norm(p + "input_layernorm", width: d)
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: true, outputBias: true, output: "dense")
            if config.qkLayerNorm {
                attention.queryNorm = try norm(p + "self_attn.q_layernorm", width: dh)
                attention.keyNorm = try norm(p + "self_attn.k_layernorm", width: dh)
            }
            blocks.append(BlockWeights(
                ln1: inputNorm, attention: attention, ln2: inputNorm,
                mlp: MLPWeights(input: try linear(p + "mlp.fc1", d, dff), up: nil, output: try linear(p + "mlp.fc2", dff, d))))
        }
        let finalNorm = try norm("final_layernorm", width: d)
        // lm_head is an nn.Linear with a bias; tying shares only its weight with the embeddings.
        let head = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed)
        let unembed = Linear(weight: head.weight, layout: .outIn,
                             bias: try r.tensor("lm_head.bias", shape: [vocab], prefixed: false))
        // Older checkpoints saved the rotary frequencies as buffers.
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.inv_freq"#, #"(model\.)?rotary_emb\.inv_freq"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
