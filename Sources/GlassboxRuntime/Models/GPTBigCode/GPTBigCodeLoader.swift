import Foundation
import GlassboxModelIO
import GlassboxTensor

/// GPT-BigCode (`GPTBigCodeForCausalLM` with the `transformer.` prefix, bare `GPTBigCodeModel`):
/// GPT-2's names — `wte`, `wpe`, `h.N.ln_1`, `h.N.attn.c_attn`, `h.N.attn.c_proj`, `h.N.ln_2`,
/// `h.N.mlp.c_fc`, `h.N.mlp.c_proj`, `ln_f` — but `nn.Linear` weights `[out, in]` (GPT-2's are
/// `Conv1D` `[in, out]`), every one with a bias, and `lm_head` (no bias) tied to `wte` unless
/// `tie_word_embeddings` is false.
///
/// The fused `c_attn` `[(H + 2·Hkv)·dh, d]` is split here into the runtime's q, k, v projections,
/// its output rows read in `dh`-row blocks as `GPTBigCodeAttention.forward` cuts them:
/// - `multi_query`: `split((d, 2·dh))` — every query head, then the one key, then the one value;
/// - otherwise `.view(n, H, 3·dh)` — per head its query, key and value (`[H, 3, dh]`, NOT GPT-2's
///   `[3, H, dh]`, as the comment in the transformers source warns).
enum GPTBigCodeLoader: ArchitectureLoader {
    static let modelTypes = ["gpt_bigcode"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GPTBigCodeConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let prefix = checkpoint.contains("transformer.wte.weight") ? "transformer." : ""
        var r = WeightReader(checkpoint: checkpoint, directory: directory, prefix: prefix)
        let (d, dff, dh) = (arch.dModel, arch.dFF, arch.headDim)
        let blocksOf = fusedBlocks(heads: arch.heads, multiQuery: config.multiQuery)

        let wte = try r.matrix("wte.weight", shape: [arch.vocabSize, d])
        let wpe = try r.tensor("wpe.weight", shape: [arch.contextLength, d])
        var blocks: [BlockWeights] = []
        for l in 0..<arch.layers {
            let p = "h.\(l)."
            let fused = try r.outInLinear(p + "attn.c_attn", d, (arch.heads + 2 * arch.kvHeads) * dh, bias: true)
            blocks.append(BlockWeights(
                ln1: try r.layerNorm(p + "ln_1", kind: arch.norm, width: d),
                attention: AttentionWeights(query: fused.rowBlocks(blocksOf.query, width: dh),
                                            key: fused.rowBlocks(blocksOf.key, width: dh),
                                            value: fused.rowBlocks(blocksOf.value, width: dh),
                                            output: try r.outInLinear(p + "attn.c_proj", d, d, bias: true)),
                ln2: try r.layerNorm(p + "ln_2", kind: arch.norm, width: d),
                mlp: MLPWeights(input: try r.outInLinear(p + "mlp.c_fc", d, dff, bias: true), up: nil,
                                output: try r.outInLinear(p + "mlp.c_proj", dff, d, bias: true))))
        }
        let finalNorm = try r.layerNorm("ln_f", kind: arch.norm, width: d)
        let unembed = try r.languageModelHead(tied: config.tieWordEmbeddings, embed: wte)
        try r.finish(ignorable: [])

        let weights = TransformerWeights(
            embeddings: EmbeddingWeights(token: wte, position: wpe, tokenType: nil, norm: nil),
            blocks: blocks,
            head: HeadWeights(finalNorm: finalNorm, pooler: nil, transform: nil, transformNorm: nil, unembed: unembed))
        return (arch, weights)
    }

    /// The `dh`-row blocks of the fused `[(H + 2·Hkv)·dh, d]` `c_attn` holding each query head, each
    /// key head and each value head, in head order (`GPTBigCodeAttention.forward`).
    static func fusedBlocks(heads: Int, multiQuery: Bool) -> (query: [Int], key: [Int], value: [Int]) {
        if multiQuery {                                          // [H + 2, dh]
            return (Array(0..<heads), [heads], [heads + 1])
        }
        return ((0..<heads).map { 3 * $0 }, (0..<heads).map { 3 * $0 + 1 }, (0..<heads).map { 3 * $0 + 2 })  // [H, 3, dh]
    }
}
