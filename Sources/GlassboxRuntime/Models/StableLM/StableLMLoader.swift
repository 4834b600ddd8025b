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
        let (d, dff, dh) = (arch.dModel, arch.dFF, arch.headDim)
        let weights = try RotaryDecoderLoading.load(arch, tied: config.tieWordEmbeddings, checkpoint: checkpoint, directory: directory,
                                                    normBias: true, parallel: config.useParallelResidual) { r, p in
            /// `StableLmLayerNormPerHead` of `heads` heads: `γ [heads·dh]`, no `β`.
            func headNorms(_ name: String, heads: Int) throws -> Norm {
                var gamma: [Float] = []
                for h in 0..<heads { gamma += try r.tensor("\(name).norms.\(h).weight", shape: [dh]).storage }
                return Norm(kind: arch.norm, weight: Tensor(shape: [heads * dh], storage: gamma), bias: nil)
            }
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.useQKVBias, outputBias: false)
            if config.qkLayerNorm {
                attention.queryNorm = try headNorms(p + "self_attn.q_layernorm", heads: arch.heads)
                attention.keyNorm = try headNorms(p + "self_attn.k_layernorm", heads: arch.kvHeads)
            }
            return (attention, try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.", d, dff))
        }
        return (arch, weights)
    }
}
