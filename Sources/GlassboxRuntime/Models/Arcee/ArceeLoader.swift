import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Arcee (`ArceeForCausalLM`, bare `ArceeModel`): `nn.Linear` weights `[out, in]` —
/// `self_attn.{q,k,v,o}_proj` (biases iff `attention_bias`, as `ArceeAttention`), `mlp.up_proj`
/// and `mlp.down_proj` (biases iff `mlp_bias`; `ArceeMLP` has no `gate_proj`), `lm_head` unless
/// tied — and RMSNorm weights (`input_layernorm`, `post_attention_layernorm`, `norm`), through
/// `RotaryDecoderLoading`. The MLP is `MLPWeights` with `input` = `up_proj` (the activated map of a
/// `.standard` MLP) and no `up`.
enum ArceeLoader: ArchitectureLoader {
    static let modelTypes = ["arcee"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(ArceeConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let weights = try RotaryDecoderLoading.load(
            arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint, directory: directory) { r, p in
            func linear(_ name: String, _ inputs: Int, _ outputs: Int, bias: Bool) throws -> Linear {
                try r.outInLinear(p + name, inputs, outputs, bias: bias)
            }
            let attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.attentionBias,
                                                                 outputBias: config.attentionBias)
            let mlp = MLPWeights(input: try linear("mlp.up_proj", d, dff, bias: config.mlpBias), up: nil,
                                 output: try linear("mlp.down_proj", dff, d, bias: config.mlpBias))
            return (attention, mlp)
        }
        return (arch, weights)
    }
}
