import Foundation
import GlassboxModelIO
import GlassboxTensor

/// The weight names Phi-3 and Mixtral share with the Llama block (`[model.]embed_tokens`,
/// `layers.{l}.input_layernorm`, `layers.{l}.post_attention_layernorm`, `norm`, `lm_head` unless
/// tied, all `nn.Linear` `[out, in]` without biases), read strictly; each family supplies the
/// attention and MLP of a layer (`block`, given the reader and the layer's prefix `layers.{l}.`).
enum RotaryDecoderLoading {
    static func load(_ arch: Architecture, tied: Bool, checkpoint: Checkpoint, directory: URL,
                     block: (inout WeightReader, String) throws -> (attention: AttentionWeights, mlp: MLPWeights))
        throws -> TransformerWeights {
        let prefix = checkpoint.contains("model.embed_tokens.weight") ? "model." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, vocab) = (arch.dModel, arch.vocabSize)
        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]), bias: nil)
        }
        let embed = try r.matrix("embed_tokens.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "layers.\(l)."
            let ln1 = try norm(p + "input_layernorm")
            let (attention, mlp) = try block(&r, p)
            blocks.append(BlockWeights(ln1: ln1, attention: attention, ln2: try norm(p + "post_attention_layernorm"), mlp: mlp))
        }
        let finalNorm = try norm("norm")
        let unembed = try r.languageModelHead(tied: tied, embed: embed)
        // Older checkpoints saved the rotary frequencies as buffers.
        try r.finish(ignorable: [#"(model\.)?layers\.\d+\.self_attn\.rotary_emb\.(inv_freq|long_inv_freq|short_inv_freq)"#])
        return TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
    }

    /// An `nn.Linear` without bias, `[outputs, inputs]`.
    static func linear(_ r: inout WeightReader, _ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
        try r.outInLinear(name, inputs, outputs, bias: false)
    }
}
