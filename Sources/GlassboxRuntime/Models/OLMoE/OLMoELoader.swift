import Foundation
import GlassboxModelIO
import GlassboxTensor

/// OLMoE (`OlmoeForCausalLM`, bare `OlmoeModel`): `self_attn.q_proj|k_proj|v_proj|o_proj`
/// (`[out, in]`, biases iff `attention_bias`), `self_attn.q_norm` `[H·dh]` and `k_norm` `[Hkv·dh]`
/// over the whole projections, and per layer `mlp.gate` (`[E, d]`, the router) and
/// `mlp.experts.{e}.gate_proj|up_proj [dff, d]`, `down_proj [d, dff]`. The block's `MLPWeights`
/// carry the mixture; their own `input`/`up`/`output` are expert 0's.
enum OLMoELoader: ArchitectureLoader {
    static let modelTypes = ["olmoe"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(OLMoEConfig.self, from: configData, file: configFile)
        // Before the router or the expert list is sized by the count.
        try CheckpointCounts.checkExperts(config.numExperts, key: "num_experts", checkpoint: checkpoint, configFile: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let (qWidth, kvWidth) = (arch.heads * arch.headDim, arch.kvHeads * arch.headDim)
        let bias = config.attentionBias
        let weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory) { r, p in
            func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool = false) throws -> Linear {
                try r.outInLinear(name, inputs, outputs, bias: bias)
            }
            func norm(_ name: String, width: Int) throws -> Norm {
                Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [width]), bias: nil)
            }
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: bias, outputBias: bias)
            attention.queryNorm = try norm(p + "self_attn.q_norm", width: qWidth)
            attention.keyNorm = try norm(p + "self_attn.k_norm", width: kvWidth)
            let experts = try (0..<config.numExperts).map { e in
                try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.experts.\(e).", d, dff)
            }
            var mixture = MixtureWeights(router: try linear(p + "mlp.gate", d, config.numExperts), experts: experts,
                                         topK: config.numExpertsPerTok)
            mixture.renormalizes = config.normTopKProb
            return (attention, MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output, mixture: mixture))
        }
        return (arch, weights)
    }
}
