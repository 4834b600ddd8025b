import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Helium (`HeliumForCausalLM`, bare `HeliumModel`): `nn.Linear` weights `[out, in]` —
/// `self_attn.{q,k,v}_proj` (biases iff `attention_bias`), `self_attn.o_proj` without bias,
/// `mlp.{gate,up,down}_proj` (biases iff `mlp_bias`), `lm_head` unless tied — and RMSNorm weights
/// (`input_layernorm`, `post_attention_layernorm`, `norm`), through `RotaryDecoderLoading`.
enum HeliumLoader: ArchitectureLoader {
    static let modelTypes = ["helium"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(HeliumConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let weights = try RotaryDecoderLoading.load(
            arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint, directory: directory) { r, p in
            (try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.attentionBias, outputBias: false),
             try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.", d, dff, bias: config.mlpBias))
        }
        return (arch, weights)
    }
}
