import Foundation
import GlassboxModelIO
import GlassboxTensor

/// Phi-3 (`Phi3ForCausalLM`, bare `Phi3Model`): Llama's block with fused projections, split here
/// into the shared components' separate ones. `self_attn.qkv_proj.weight [(H + 2·Hkv)·dh, d]` holds
/// the query rows, then the key rows, then the value rows (transformers slices its output the same
/// way); `mlp.gate_up_proj.weight [2·dff, d]` holds the gate rows, then the up rows
/// (`gate, up = gate_up_proj(x).chunk(2)`). No biases.
enum Phi3Loader: ArchitectureLoader {
    static let modelTypes = ["phi3"]

    static func load(configData: Data, configFile: URL, checkpoint: Checkpoint,
                     directory: URL, head: RequestedHead?) throws -> (Architecture, TransformerWeights) {
        let config = try ConfigDecoding.decode(Phi3Config.self, from: configData, file: configFile)
        let arch = config.architecture()
        let (d, dff) = (arch.dModel, arch.dFF)
        let (qWidth, kvWidth) = (arch.heads * arch.headDim, arch.kvHeads * arch.headDim)
        /// Rows `range` of an `[out, in]` weight as a projection of its own.
        func rows(_ weight: WeightMatrix, _ range: Range<Int>) -> Linear {
            Linear(weight: weight.rowBlock(range), layout: .outIn, bias: nil)
        }
        let weights = try RotaryDecoderLoading.load(arch, tied: config.fields.tieWordEmbeddings, checkpoint: checkpoint,
                                                    directory: directory) { r, p in
            let qkv = try r.matrix(p + "self_attn.qkv_proj.weight", shape: [qWidth + 2 * kvWidth, d])
            let attention = AttentionWeights(
                query: rows(qkv, 0..<qWidth), key: rows(qkv, qWidth..<qWidth + kvWidth),
                value: rows(qkv, qWidth + kvWidth..<qWidth + 2 * kvWidth),
                output: try RotaryDecoderLoading.linear(&r, p + "self_attn.o_proj", qWidth, d))
            let gateUp = try r.matrix(p + "mlp.gate_up_proj.weight", shape: [2 * dff, d])
            let mlp = MLPWeights(input: rows(gateUp, 0..<dff), up: rows(gateUp, dff..<2 * dff),
                                 output: try RotaryDecoderLoading.linear(&r, p + "mlp.down_proj", dff, d))
            return (attention, mlp)
        }
        return (arch, weights)
    }
}
