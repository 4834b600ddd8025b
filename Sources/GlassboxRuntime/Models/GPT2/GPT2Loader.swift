import Foundation
import GlassboxModelIO
import GlassboxTensor

/// GPT-2 (`GPT2LMHeadModel` / `GPT2Model` checkpoints): learned positions, pre-LN blocks, fused
/// `c_attn`, `Conv1D` weights stored `[in, out]`, and an LM head tied to `wte` unless the config
/// unties it and the checkpoint carries `lm_head.weight`; `GPT2ForSequenceClassification` checkpoints
/// carry `score.weight` instead (`DecoderClassifierHead`).
enum GPT2Loader: ArchitectureLoader {
    static let modelTypes = ["gpt2"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GPT2Config.self, from: configData, file: configFile)
        var arch = config.architecture(head: .languageModel)
        let prefix = checkpoint.contains("transformer.wte.weight") ? "transformer." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff) = (arch.dModel, arch.dFF)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                 bias: try r.tensor(name + ".bias", shape: [d]))
        }
        func conv1D(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            Linear(weight: try r.matrix(name + ".weight", shape: [inputs, outputs]), layout: .inOut,
                   bias: try r.tensor(name + ".bias", shape: [outputs]))
        }

        let wte = try r.matrix("wte.weight", shape: [arch.vocabSize, d])
        let wpe = try r.tensor("wpe.weight", shape: [arch.contextLength, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "h.\(l)."
            // c_attn: [d, 3d] = [W_Q | W_K | W_V] along the output axis.
            let fused = try conv1D(p + "attn.c_attn", d, 3 * d)
            let qkv = (0..<3).map { i in
                Linear(weight: fused.weight.columnBlock(i * d..<(i + 1) * d), layout: .inOut,
                       bias: fused.bias!.slice(i * d..<(i + 1) * d))
            }
            blocks.append(BlockWeights(
                ln1: try norm(p + "ln_1"),
                attention: AttentionWeights(query: qkv[0], key: qkv[1], value: qkv[2],
                                            output: try conv1D(p + "attn.c_proj", d, d)),
                ln2: try norm(p + "ln_2"),
                mlp: MLPWeights(input: try conv1D(p + "mlp.c_fc", d, dff), up: nil,
                                output: try conv1D(p + "mlp.c_proj", dff, d))))
        }
        let finalNorm = try norm("ln_f")

        let unembed: Linear
        let classifier = DecoderClassifierHead.wanted(head, checkpoint: checkpoint)
        if classifier {
            (unembed, arch.head) = try DecoderClassifierHead.read(&r, configData: configData, configFile: configFile, width: d)
        } else {
            unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: wte)  // a tied copy is consumed
        }
        try r.finish(ignorable: [#"(transformer\.)?h\.\d+\.attn\.(bias|masked_bias)"#]
                         + DecoderClassifierHead.otherHeadWeights(classifier: classifier))

        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: wte, position: wpe, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }
}
