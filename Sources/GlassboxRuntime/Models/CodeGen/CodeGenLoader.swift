import Foundation
import GlassboxModelIO
import GlassboxTensor

/// CodeGen (`CodeGenForCausalLM`, `transformer.` prefix; bare `CodeGenModel`): GPT-J's weights
/// (``GPTJLoader``: `wte`, per block `ln_1`, `attn.out_proj` without bias, `mlp.fc_in` / `fc_out`
/// with biases, `ln_f`, `lm_head` with a bias) except that the attention reads one fused
/// `h.N.attn.qkv_proj` `[3d, d]` without bias.
///
/// `CodeGenAttention.forward` views the fused output `[3d]` as `mp_num = 4` shards of `3d/4`, cuts
/// each shard into (query, VALUE, key) blocks of `ld = d/4`, and `_split_heads` makes shard `m`'s
/// blocks heads `m·H/4 ..< (m+1)·H/4`. So in rows of width `ld`, the fused weight is
/// `[4 shards, (q, v, k), ld, d]`, and the runtime's q `[d, d]` is row blocks `3m` (m = 0..<4) in
/// order, v blocks `3m + 1`, k blocks `3m + 2` (`Linear.rowBlocks`): permuted once at load, no cost
/// per token. Older checkpoints saved the `attn.causal_mask` and `attn.masked_bias` buffers: ignored.
enum CodeGenLoader: ArchitectureLoader {
    static let modelTypes = ["codegen"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(CodeGenConfig.self, from: configData, file: configFile)
        return try GPTJLoader.load(config.gptj, modelType: "codegen", checkpoint: checkpoint, directory: directory,
                                   buffers: #"(causal_mask|masked_bias)"#) { r, p, arch in
            let (d, ld) = (arch.dModel, arch.dModel / 4)
            let fused = try r.outInLinear(p + "attn.qkv_proj", d, 3 * d, bias: false)   // [4, 3, ld] row blocks
            let shards = 0..<4
            return AttentionWeights(query: fused.rowBlocks(shards.map { 3 * $0 }, width: ld),
                                    key: fused.rowBlocks(shards.map { 3 * $0 + 2 }, width: ld),
                                    value: fused.rowBlocks(shards.map { 3 * $0 + 1 }, width: ld),
                                    output: try r.outInLinear(p + "attn.out_proj", d, d, bias: false))
        }
    }
}
