import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Nemotron (`NemotronForCausalLM`, bare `NemotronModel`): `nn.Linear` weights `[out, in]` —
/// `self_attn.{q,k,v,o}_proj` (biases iff `attention_bias`, `o_proj` included), `mlp.up_proj`
/// and `mlp.down_proj` (biases iff `mlp_bias`; no gate), `lm_head` unless tied — and
/// `NemotronLayerNorm1P` weights and biases (`input_layernorm`, `post_attention_layernorm`, `norm`),
/// through `RotaryDecoderLoading`.
///
/// The `+ 1` of `NemotronLayerNorm1P` is folded into `γ` at load (`γ = 1 + w`, Float32), as
/// Gemma's `(1 + w)`: the norm is then the shared LayerNorm, bitwise the forward transformers runs
/// in float32, and every analysis reading `γ` (lens folding, DLA, `project`, neurons) sees the real
/// multiplier. Nothing a hook or a relevance rule sees changes: `hook_scale` is the statistic before
/// any affine part, LayerNorm's `hook_normalized` is the output `γ ⊙ x̂ + β`, and LXT's layer-norm rule
/// (identity on the normalisation) treats the affine map `(w + 1) ⊙ x̂ + β` as one linear map whatever
/// way its scale is written.
enum NemotronLoader: ArchitectureLoader {
    static let modelTypes = ["nemotron"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(NemotronConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let weights = try RotaryDecoderLoading.load(
            arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint, directory: directory,
            normBias: true, normWeightOffset: 1) { r, p in
            func mlp(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
                try r.outInLinear(p + "mlp." + name, inputs, outputs, bias: config.mlpBias)
            }
            let attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.attentionBias,
                                                                 outputBias: config.attentionBias)
            return (attention, MLPWeights(input: try mlp("up_proj", d, dff), up: nil, output: try mlp("down_proj", dff, d)))
        }
        return (arch, weights)
    }
}
