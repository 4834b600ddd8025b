import Foundation
import GlassboxModelIO
import GlassboxTensor

/// GLM and GLM-4 (`GlmForCausalLM`, `Glm4ForCausalLM`, bare `GlmModel` / `Glm4Model`): `nn.Linear`
/// weights `[out, in]` — `self_attn.{q,k,v}_proj` (biases iff `attention_bias`), `self_attn.o_proj`
/// without bias, `mlp.gate_up_proj [2·dff, d]` (the gate rows, then the up rows: `GlmMLP`'s
/// `gate, up_states = up_states.chunk(2, dim=-1)`, as Phi-3's) and `mlp.down_proj` without biases,
/// `lm_head` unless tied — and RMSNorm weights (`input_layernorm`, `post_attention_layernorm`,
/// `norm`; `glm4` also `post_self_attn_layernorm` and `post_mlp_layernorm`, the sandwich block's
/// `ln1_post` / `ln2_post`), through `RotaryDecoderLoading`.
enum GlmLoader: ArchitectureLoader {
    static let modelTypes = ["glm", "glm4"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(GlmConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let weights = try RotaryDecoderLoading.load(
            arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint, directory: directory,
            branchNorms: config.sandwich ? ("post_self_attn_layernorm", "post_mlp_layernorm") : nil) { r, p in
            let attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.attentionBias, outputBias: false)
            let gateUp = try r.matrix(p + "mlp.gate_up_proj.weight", shape: [2 * dff, d])   // [gate; up]
            let mlp = MLPWeights(input: Linear(weight: gateUp.rowBlock(0..<dff), layout: .outIn, bias: nil),
                                 up: Linear(weight: gateUp.rowBlock(dff..<2 * dff), layout: .outIn, bias: nil),
                                 output: try RotaryDecoderLoading.linear(&r, p + "mlp.down_proj", dff, d))
            return (attention, mlp)
        }
        return (arch, weights)
    }
}
