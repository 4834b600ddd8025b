import Foundation
import GlassboxModelIO
import GlassboxTensor

/// PhiMoE (`PhimoeForCausalLM`, bare `PhimoeModel`): `self_attn.q_proj|k_proj|v_proj|o_proj`
/// (`[out, in]`, biases iff `attention_bias`), `input_layernorm` / `post_attention_layernorm` /
/// `norm` (`nn.LayerNorm`, weight and bias), per layer `block_sparse_moe.gate` (`[E, d]`, the router,
/// no bias) and `block_sparse_moe.experts.{e}.w1|w3 [dff, d]`, `w2 [d, dff]` (no biases), and
/// `lm_head` (`[V, d]` unless tied, `lm_head.bias [V]` iff `lm_head_bias`). The block's `MLPWeights`
/// carry the mixture; their own `input`/`up`/`output` are expert 0's.
enum PhiMoELoader: ArchitectureLoader {
    static let modelTypes = ["phimoe"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(PhiMoEConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let linear = RotaryDecoderLoading.linear
        let bias = config.attentionBias
        let weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory, normBias: true, headBias: config.lmHeadBias) { r, p in
            let attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: bias, outputBias: bias)
            let experts = try (0..<config.numLocalExperts).map { e in
                let x = p + "block_sparse_moe.experts.\(e)."
                return MLPWeights(input: try linear(&r, x + "w1", d, dff), up: try linear(&r, x + "w3", d, dff),
                                  output: try linear(&r, x + "w2", dff, d))
            }
            var mixture = MixtureWeights(router: try linear(&r, p + "block_sparse_moe.gate", d, config.numLocalExperts),
                                         experts: experts, topK: 2)
            mixture.renormalizes = false
            mixture.kind = arch.experts!.kind
            return (attention, MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output, mixture: mixture))
        }
        return (arch, weights)
    }
}
