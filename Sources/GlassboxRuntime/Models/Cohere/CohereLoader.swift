import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Command-R / Aya (`CohereForCausalLM`, names under `model.`; bare `CohereModel`): `nn.Linear`
/// weights `[out, in]` — `self_attn.{q,k,v,o}_proj` (biases iff `attention_bias`),
/// `mlp.{gate,up,down}_proj` and `lm_head` without biases — and `CohereLayerNorm` weights without
/// bias: `input_layernorm` per layer, `norm` at the top, and with `use_qk_norm`
/// `self_attn.q_norm [H, dh]` / `self_attn.k_norm [Hkv, dh]` (one `γ` per head, held flat).
///
/// Loaded into the runtime's shapes:
/// - the block runs as GPT-NeoX's parallel one, `x + attn(ln1(x)) + mlp(ln2(x))`, with `ln2` the
///   same `input_layernorm` as `ln1` (as `PhiLoader`): `ln2`'s hooks hold `ln1`'s values and the
///   parameter count sees the shared norm once;
/// - `logit_scale` is folded into the output layer, `W_U = logit_scale · lm_head.weight` `[V, d]`:
///   the logits `lm_head(h) · logit_scale` of `CohereForCausalLM.forward` are `h·W_Uᵀ`, so every lens,
///   logit attribution and relevance seed through the output layer sees the scaled logit, as
///   transformers returns it (as `OPTLoader` folds `project_out`). With tied embeddings the head is
///   a scaled copy of the table (none when `logit_scale` is 1); `parameterCountAdjustment` keeps
///   `num_parameters()`'s count (`RotaryDecoderLoading`'s `outputScale`).
enum CohereLoader: ArchitectureLoader {
    static let modelTypes = ["cohere"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(CohereConfig.self, from: configData, file: configFile)
        let arch = config.architecture()
        return (arch, try weights(config, arch, checkpoint: checkpoint, directory: directory))
    }

    /// The weights of `config`'s checkpoint in `arch`'s shapes (Cohere's, or Cohere 2's on the
    /// same tensors: `Cohere2Loader`).
    static func weights(_ config: CohereConfig, _ arch: Architecture, checkpoint: Checkpoint,
                        directory: URL) throws -> TransformerWeights {
        let (d, dff, dh) = (arch.dModel, arch.dFF, arch.headDim)
        let weights = try RotaryDecoderLoading.load(arch, tied: config.tieWordEmbeddings, checkpoint: checkpoint, directory: directory,
                                                    parallel: true, outputScale: config.logitScale) { r, p in
            /// A QK `CohereLayerNorm` with one `γ [dh]` per head: `[heads, dh]`, held as `[heads·dh]`.
            func headNorm(_ name: String, heads: Int) throws -> Norm {
                Norm(kind: arch.norm, weight: try r.tensor(name + ".weight", shape: [heads, dh]).reshaped([heads * dh]), bias: nil)
            }
            var attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: config.attentionBias,
                                                                 outputBias: config.attentionBias)
            if config.useQKNorm {
                attention.queryNorm = try headNorm(p + "self_attn.q_norm", heads: arch.heads)
                attention.keyNorm = try headNorm(p + "self_attn.k_norm", heads: arch.kvHeads)
            }
            return (attention, try RotaryDecoderLoading.gatedMLP(&r, p + "mlp.", d, dff))
        }
        return weights
    }
}
