import Foundation
import GlassboxModelIO
import GlassboxTensor

/// StarCoder2 (`Starcoder2ForCausalLM`, bare `Starcoder2Model`): `nn.Linear` weights `[out, in]` —
/// `self_attn.{q,k,v,o}_proj` and `mlp.c_fc`, `mlp.c_proj`, all with biases when `use_bias`,
/// `lm_head` (no bias) unless tied — and `nn.LayerNorm`s with bias (`input_layernorm`,
/// `post_attention_layernorm`, `norm`), through `RotaryDecoderLoading`.
enum Starcoder2Loader: ArchitectureLoader {
    static let modelTypes = ["starcoder2"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(Starcoder2Config.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff, bias) = (arch.dModel, arch.dFF, config.useBias)
        let weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory, normBias: true) { r, p in
            func linear(_ name: String, _ inputs: Int, _ outputs: Int) throws -> Linear {
                try r.outInLinear(name, inputs, outputs, bias: bias)
            }
            let attention = try RotaryDecoderLoading.projections(&r, p, arch, qkvBias: bias, outputBias: bias)
            return (attention, MLPWeights(input: try linear(p + "mlp.c_fc", d, dff), up: nil,
                                          output: try linear(p + "mlp.c_proj", dff, d)))
        }
        return (arch, weights)
    }
}
