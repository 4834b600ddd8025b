import Foundation
import GlassboxModelIO
import GlassboxTensor

/// GPT-J (`GPTJForCausalLM`, `transformer.` prefix; bare `GPTJModel`): `nn.Linear` weights
/// `[out, in]` — `h.N.attn.{q,k,v,out}_proj` without biases, `h.N.mlp.fc_in` / `fc_out` and
/// `lm_head` with biases — and LayerNorms with bias: `h.N.ln_1` per layer and `ln_f`.
///
/// The block (`GPTJBlock`) runs as GPT-NeoX's parallel one, `x + attn(ln1(x)) + mlp(ln2(x))`, with
/// `ln2` the same `ln_1` as `ln1` (as `PhiLoader`; TransformerLens ties them the same way): both
/// branches read one LayerNorm of the block input, so `ln2`'s hooks hold the same values as `ln1`'s
/// and the parameter count sees the shared norm once. Older checkpoints saved the causal mask and
/// the sin/cos table as buffers (`attn.bias`, `attn.masked_bias`, `attn.embed_positions`): ignored.
enum GPTJLoader: ArchitectureLoader {
    static let modelTypes = ["gptj"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GPTJConfig.self, from: configData, file: configFile)
        return try load(config, modelType: "gptj", checkpoint: checkpoint, directory: directory,
                        buffers: #"(bias|masked_bias|embed_positions)"#) { r, p, arch in
            try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: false, outputBias: false,
                                                 module: "attn.", output: "out_proj")
        }
    }

    /// The GPT-J block's weights (`GPTJModel`, and CodeGen's `CodeGenModel`, which differs only in
    /// its attention's projections): `attention(r, "h.N.", arch)` reads a layer's q/k/v/out maps;
    /// `buffers`, the regex of the attention buffers older checkpoints saved under `h.N.attn.`.
    static func load(_ config: GPTJConfig, modelType: String, checkpoint: Checkpoint, directory: URL, buffers: String,
                     attention: (inout WeightReader, String, Architecture) throws -> AttentionWeights)
        throws -> (Architecture, TransformerWeights) {
        let arch = config.architecture(modelType: modelType)
        let prefix = checkpoint.contains("transformer.wte.weight") ? "transformer." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab) = (arch.dModel, arch.dFF, arch.vocabSize)

        /// A LayerNorm with bias over `d` values.
        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                 bias: try r.tensor(name + ".bias", shape: [d]))
        }

        let embed = try r.matrix("wte.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "h.\(l)."
            let ln = try norm(p + "ln_1")
            let attention = try attention(&r, p, arch)
            blocks.append(BlockWeights(
                ln1: ln, attention: attention, ln2: ln,
                mlp: MLPWeights(input: try r.outInLinear(p + "mlp.fc_in", d, dff, bias: true), up: nil,
                                output: try r.outInLinear(p + "mlp.fc_out", dff, d, bias: true))))
        }
        let finalNorm = try norm("ln_f")
        // lm_head is an nn.Linear with a bias; tying shares only its weight with wte.
        let headWeight: WeightMatrix
        if config.tieWordEmbeddings {
            r.markUsed("lm_head.weight")
            headWeight = embed
        } else {
            headWeight = try r.matrix("lm_head.weight", shape: [vocab, d], prefixed: false)
        }
        let unembed = Linear(weight: headWeight, layout: .outIn,
                             bias: try r.tensor("lm_head.bias", shape: [vocab], prefixed: false))
        try r.finish(ignorable: [#"(transformer\.)?h\.\d+\.attn\."# + buffers])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
