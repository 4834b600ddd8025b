import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Falcon (`FalconForCausalLM`, bare `FalconModel`): `FalconLinear` weights `[out, in]` with biases
/// iff `bias` — `h.N.self_attention.query_key_value`, `self_attention.dense`,
/// `mlp.dense_h_to_4h`, `mlp.dense_4h_to_h` — LayerNorms with bias, `word_embeddings`, `ln_f`, and
/// an `lm_head` without bias (tied by default).
///
/// The fused `query_key_value` is split here into the runtime's q, k, v projections, its output
/// rows read in `dh`-row blocks as `FalconAttention._split_heads` views them:
/// - `new_decoder_architecture`: `[Hkv, H/Hkv + 2, dh]`, per key/value group its `H/Hkv` queries,
///   then its key, then its value (query head `g·H/Hkv + j` uses key/value head `g`);
/// - `multi_query`: `[H + 2, dh]`, every query, then the one key, then the one value;
/// - otherwise `[H, 3, dh]`: per head its query, key and value (GPT-NeoX's layout).
///
/// Blocks: a parallel block with two norms is GPT-NeoX's (`ln_attn` as `ln1`, `ln_mlp` as `ln2`);
/// with one, `input_layernorm` is both `ln1` and `ln2` (as Phi's, counted once); a sequential block
/// is the ordinary pre-norm one (`input_layernorm`, `post_attention_layernorm`).
enum FalconLoader: ArchitectureLoader {
    static let modelTypes = ["falcon"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(FalconConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("transformer.word_embeddings.weight") ? "transformer." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, vocab, dh) = (arch.dModel, arch.dFF, arch.vocabSize, arch.headDim)
        let (heads, kvHeads) = (arch.heads, arch.kvHeads)

        func norm(_ name: String) throws -> Norm {
            Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [d]),
                 bias: try r.tensor(name + ".bias", shape: [d]))
        }
        func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
            try r.outInLinear(name, inputs, outputs, bias: config.bias)
        }

        let blocksOf = fusedBlocks(config, heads: heads, kvHeads: kvHeads)
        let embed = try r.matrix("word_embeddings.weight", shape: [vocab, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "h.\(l)."
            let fused = try linear(p + "self_attention.query_key_value", d, (heads + 2 * kvHeads) * dh)
            let attention = AttentionWeights(query: fused.rowBlocks(blocksOf.query, width: dh),
                                             key: fused.rowBlocks(blocksOf.key, width: dh),
                                             value: fused.rowBlocks(blocksOf.value, width: dh),
                                             output: try linear(p + "self_attention.dense", d, d))
            let (ln1, ln2): (Norm, Norm)
            if !config.parallelAttn {
                (ln1, ln2) = (try norm(p + "input_layernorm"), try norm(p + "post_attention_layernorm"))
            } else if config.parallelNorms == 2 {
                (ln1, ln2) = (try norm(p + "ln_attn"), try norm(p + "ln_mlp"))
            } else {
                let shared = try norm(p + "input_layernorm")
                (ln1, ln2) = (shared, shared)
            }
            blocks.append(BlockWeights(
                ln1: ln1, attention: attention, ln2: ln2,
                mlp: MLPWeights(input: try linear(p + "mlp.dense_h_to_4h", d, dff), up: nil,
                                output: try linear(p + "mlp.dense_4h_to_h", dff, d))))
        }
        let finalNorm = try norm("ln_f")
        let unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: embed)
        // Remote-code-era checkpoints saved the rotary frequencies as buffers.
        try r.finish(ignorable: [#"(transformer\.)?h\.\d+\.self_attention\.rotary_emb\.inv_freq"#,
                                 #"(transformer\.)?rotary_emb\.inv_freq"#])
        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: embed, position: nil, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }

    /// The `dh`-row blocks of the fused `[(H + 2·Hkv)·dh, d]` projection holding each query head,
    /// each key head and each value head, in head order (`FalconAttention._split_heads`).
    static func fusedBlocks(_ config: FalconConfig, heads: Int, kvHeads: Int) -> (query: [Int], key: [Int], value: [Int]) {
        if config.newDecoderArchitecture {
            let group = heads / kvHeads, stride = group + 2     // [Hkv, H/Hkv + 2, dh]
            return ((0..<kvHeads).flatMap { g in (0..<group).map { g * stride + $0 } },
                    (0..<kvHeads).map { $0 * stride + group },
                    (0..<kvHeads).map { $0 * stride + group + 1 })
        }
        if config.multiQuery {                                   // [H + 2, dh]
            return (Array(0..<heads), [heads], [heads + 1])
        }
        return ((0..<heads).map { 3 * $0 }, (0..<heads).map { 3 * $0 + 1 }, (0..<heads).map { 3 * $0 + 2 })  // [H, 3, dh]
    }
}
