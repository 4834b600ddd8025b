import Foundation
import GlassboxModelIO
import GlassboxTensor

/// OLMo (`OlmoForCausalLM` and the bare `OlmoModel`): `nn.Linear` weights `[out, in]` —
/// `self_attn.{q,k,v,o}_proj` (biases iff `attention_bias`), `mlp.{gate,up,down}_proj` (no biases),
/// `lm_head` unless tied — and no norm tensors: `input_layernorm`, `post_attention_layernorm` and
/// `norm` are `OlmoLayerNorm`s without parameters, held as `Norm`s with `γ` a tensor of ones and no
/// `β` (what `F.layer_norm(x, (d,), None, None)` computes). The ones are not parameters:
/// `num_parameters()` does not count them, and neither does `parameterCount`.
enum OLMoLoader: ArchitectureLoader {
    static let modelTypes = ["olmo"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(OLMoConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff, bias) = (arch.dModel, arch.dFF, config.attentionBias)
        var weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory, parameterFreeNorms: true) { r, p in
            return (try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: bias, outputBias: bias),
                    try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.", d, dff))
        }
        // The held γ = 1 of 2 norms per block and the final norm are not parameters.
        weights.parameterCountAdjustment -= (2 * arch.layers + 1) * d
        return (arch, weights)
    }
}
