import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Mixtral (`MixtralForCausalLM`, bare `MixtralModel`): Mistral's attention (`self_attn.q_proj`,
/// `k_proj`, `v_proj`, `o_proj`, `[out, in]`, no biases) and, per layer, `block_sparse_moe.gate`
/// (`[E, d]`, the router) and `block_sparse_moe.experts.{e}.w1|w3 [dff, d]`, `w2 [d, dff]`. The
/// block's `MLPWeights` carry the mixture; their own `input`/`up`/`output` are expert 0's.
enum MixtralLoader: ArchitectureLoader {
    static let modelTypes = ["mixtral"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(MixtralConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let linear = RotaryDecoderLoading.linear
        let weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory) { r, p in
            let attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: false, outputBias: false)
            let experts = try (0..<config.numLocalExperts).map { e in
                let x = p + "block_sparse_moe.experts.\(e)."
                return MLPWeights(input: try linear(&r, x + "w1", d, dff), up: try linear(&r, x + "w3", d, dff),
                                  output: try linear(&r, x + "w2", dff, d))
            }
            let mixture = MixtureWeights(router: try linear(&r, p + "block_sparse_moe.gate", d, config.numLocalExperts),
                                         experts: experts, topK: config.numExpertsPerTok)
            return (attention, MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output, mixture: mixture))
        }
        return (arch, weights)
    }
}
