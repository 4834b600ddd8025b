import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Qwen2-MoE and Qwen3-MoE (`Qwen2MoeForCausalLM`, `Qwen3MoeForCausalLM`, bare `*Model`):
/// `self_attn.q_proj|k_proj|v_proj|o_proj` (`[out, in]`; Qwen2-MoE q/k/v biases, Qwen3-MoE
/// `q_norm`/`k_norm` `[dh]` and `attention_bias`), and per layer either `mlp.gate` (`[E, d]`, the
/// router), `mlp.experts.{e}.gate_proj|up_proj [dffE, d]`, `down_proj [d, dffE]` (Qwen2-MoE also
/// `mlp.shared_expert.*` `[dffS, d]`/`[d, dffS]` and `mlp.shared_expert_gate [1, d]`), or a dense
/// `mlp.gate_proj|up_proj|down_proj` (`intermediate_size`). A sparse block's `MLPWeights` carry
/// the mixture; their own `input`/`up`/`output` are expert 0's.
enum QwenMoELoader: ArchitectureLoader {
    static let modelTypes = QwenMoEConfig.Family.allCases.map(\.rawValue)

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(QwenMoEConfig.self, from: configData, file: configFile)
        // Only a sparse layer reads experts: an all-dense config loads whatever num_experts says, as
        // in transformers (red-team 23). Checked before the router sizes anything by the count.
        if config.sparseLayers.contains(true) {
            try CheckpointCounts.checkExperts(config.numExperts, key: "num_experts", checkpoint: checkpoint, configFile: configFile)
        }
        let arch = config.architecture()
        let d = arch.dModel
        let weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory) { r, p in
            func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool = false) throws -> Linear {
                try r.outInLinear(name, inputs, outputs, bias: bias)
            }
            func headNorm(_ name: String) throws -> Norm? {
                guard config.qkNorm else { return nil }
                return Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [arch.headDim]), bias: nil)
            }
            func gated(_ x: String, _ width: Int) throws -> MLPWeights {
                try RotaryDecoderLoading.gatedMLP(&r, x, d, width)
            }
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.qkvBias, outputBias: config.outputBias)
            attention.queryNorm = try headNorm(p + "self_attn.q_norm")
            attention.keyNorm = try headNorm(p + "self_attn.k_norm")
            let l = Int(p.split(separator: ".")[1])!
            guard config.sparseLayers[l] else { return (attention, try gated(p + "mlp.", config.fields.intermediateSize)) }
            let experts = try (0..<config.numExperts).map { e in try gated(p + "mlp.experts.\(e).", config.moeIntermediateSize) }
            var mixture = MixtureWeights(router: try linear(p + "mlp.gate", d, config.numExperts), experts: experts,
                                         topK: config.numExpertsPerTok)
            mixture.renormalizes = config.normTopKProb
            if let width = config.sharedExpertIntermediateSize {
                mixture.shared = SharedExpertWeights(mlp: try gated(p + "mlp.shared_expert.", width),
                                                     gate: try linear(p + "mlp.shared_expert_gate", d, 1))
            }
            return (attention, MLPWeights(input: experts[0].input, up: experts[0].up, output: experts[0].output, mixture: mixture))
        }
        return (arch, weights)
    }
}
